import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { computeLocalKpis, defaultPeriod } from '../../pwa/js/kpis.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');

/** Return a deal record with the given fields over open USD defaults. */
function deal(id, fields) {
  return { id, fields: { status: 'open', currency: 'USD', stage: 'proposal', value: 1000, ...fields } };
}

function compute(deals, followups = []) {
  return computeLocalKpis({ deals, followups, start: '2026-01-01', end: '2027-01-01', nowMs: NOW });
}

describe('local kpis', () => {
  it('weights by the stage probability', () => {
    const { open } = compute([deal('a', { stage: 'proposal' })]);
    assert.equal(open.USD.weighted_value, 500);
  });

  it('prefers the deal own probability', () => {
    const { open } = compute([deal('a', { stage: 'proposal', probability: 20 })]);
    assert.equal(open.USD.weighted_value, 200);
  });

  it('leaves parked deals out of the pipeline', () => {
    const figures = compute([
      deal('a', { parked_until: '2026-12-05', expected_close: '2026-12-20' }),
      deal('b', { parked_until: '2026-12-04', expected_close: '2026-12-20' }),
    ]);
    assert.equal(figures.open.USD.deals, 1);
    assert.equal(figures.forecast.length, 1);
    assert.equal(figures.forecast[0].deals, 1);
  });

  it('counts won and lost deals for the win rate', () => {
    const { win_rate: winRate } = compute([deal('a', { status: 'won' }), deal('b', { status: 'lost' }), deal('c', {})]);
    assert.deepEqual(winRate, { won: 1, lost: 1, rate: 0.5 });
  });

  it('counts a won deal as reaching every stage', () => {
    const conversion = compute([deal('a', { status: 'won', stage: 'proposal' }), deal('b', { stage: 'qualification' })]).stage_conversion;
    assert.equal(conversion[0].reached, 2);
    assert.equal(conversion[1].reached, 2);
    assert.equal(conversion[2].reached, 1);
    assert.equal(conversion[6].next_reached, 1);
  });

  it('lists follow-ups due before now and not done', () => {
    const followups = [
      { id: 'f1', fields: { deal_id: 'a', due_at: '2026-12-01T09:00:00Z', done: false } },
      { id: 'f2', fields: { deal_id: 'a', due_at: '2026-12-01T09:00:00Z', done: true } },
      { id: 'f3', fields: { deal_id: 'a', due_at: '2026-12-09T09:00:00Z', done: false } },
    ];
    const { overdue_followups: overdue } = compute([deal('a', { title: 'Rack refresh' })], followups);
    assert.equal(overdue.total, 1);
    assert.equal(overdue.followups[0].id, 'f1');
    assert.equal(overdue.followups[0].days_overdue, 3);
  });
});

describe('default dashboard period', () => {
  it('spans six months back and six ahead of the current month', () => {
    assert.deepEqual(defaultPeriod(new Date(2026, 11, 4)), { start: '2026-06-01', end: '2027-07-01' });
    assert.deepEqual(defaultPeriod(new Date(2027, 0, 31)), { start: '2026-07-01', end: '2027-08-01' });
  });
});
