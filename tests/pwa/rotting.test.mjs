import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import { DAY_MS, daysWithoutActivity, isRotting, lastActivityMs } from '../../pwa/js/rotting.js';
import { DEFAULT_ROTTING_DAYS } from '../../pwa/js/stages.js';

const NOW_MS = Date.parse('2027-02-01T12:00:00Z');

/** Return a stamp of `days` before NOW_MS. */
function stampDaysAgo(days) {
  return `${String(NOW_MS - days * DAY_MS).padStart(16, '0')}-0001-server`;
}

/** Return an ISO time `days` before NOW_MS; negative days are in the future. */
function isoDaysAgo(days) {
  return new Date(NOW_MS - days * DAY_MS).toISOString();
}

/**
 * Return a local deal in `stage` whose server copy was last written `daysAgo`
 * days before NOW_MS, every field with the same stamp.
 */
function deal({ stage = 'proposal', daysAgo = 30, deleted = false, ...fields } = {}) {
  const all = { title: 'Rack refresh', stage, status: 'open', parked_until: null, ...fields };
  const meta = Object.fromEntries(
    Object.keys(all).map((name) => [name, { ver: 1, hlc: stampDaysAgo(daysAgo), dev: 'server' }]),
  );
  return {
    entity: 'deal',
    id: 'd1',
    fields: all,
    deleted,
    pending: 0,
    server: { entity: 'deal', id: 'd1', deleted, seq: 1, fields: all, meta },
  };
}

/** Return a note of deal d1 met `metDaysAgo` and created `createdDaysAgo` days ago. */
function note({ metDaysAgo, createdDaysAgo = metDaysAgo, deleted = false }) {
  const fields = { deal_id: 'd1', met_at: isoDaysAgo(metDaysAgo), body: 'Called Mere.' };
  const meta = { met_at: { ver: 2, hlc: stampDaysAgo(createdDaysAgo), dev: 'server' } };
  return { entity: 'note', id: 'n1', fields, deleted, pending: 0, server: { meta } };
}

/** Return a follow-up of deal d1 due in `dueInDays` days. */
function followup({ dueInDays, done = false, deleted = false }) {
  const fields = { deal_id: 'd1', due_at: isoDaysAgo(-dueInDays), done };
  return { entity: 'followup', id: 'f1', fields, deleted, pending: 0, server: null };
}

// Proposal rots after 10 days without activity.
const CASES = [
  { name: 'fresh deal', deal: deal({ daysAgo: 2 }), rotting: false },
  { name: 'old stage entry', deal: deal({ daysAgo: 30 }), rotting: true },
  { name: 'one day inside the limit', deal: deal({ daysAgo: 9 }), rotting: false },
  { name: 'just past the limit', deal: deal({ daysAgo: 10.01 }), rotting: true },
  { name: 'recent note saves it', deal: deal(), notes: [note({ metDaysAgo: 3 })], rotting: false },
  {
    name: 'old meeting noted recently saves it',
    deal: deal(),
    notes: [note({ metDaysAgo: 40, createdDaysAgo: 1 })],
    rotting: false,
  },
  { name: 'old note does not', deal: deal(), notes: [note({ metDaysAgo: 20 })], rotting: true },
  {
    name: 'deleted note does not',
    deal: deal(),
    notes: [note({ metDaysAgo: 1, deleted: true })],
    rotting: true,
  },
  {
    name: 'future follow-up saves it',
    deal: deal(),
    followups: [followup({ dueInDays: 2 })],
    rotting: false,
  },
  {
    name: 'done follow-up does not',
    deal: deal(),
    followups: [followup({ dueInDays: 2, done: true })],
    rotting: true,
  },
  {
    name: 'deleted follow-up does not',
    deal: deal(),
    followups: [followup({ dueInDays: 2, deleted: true })],
    rotting: true,
  },
  {
    name: 'overdue follow-up does not',
    deal: deal(),
    followups: [followup({ dueInDays: -1 })],
    rotting: true,
  },
  {
    name: 'pending edit saves it',
    deal: deal(),
    pending: [
      { id: 'dev-a:1', entity: 'deal', record_id: 'd1', fields: { value: 10 }, base: {}, hlc: stampDaysAgo(1) },
    ],
    rotting: false,
  },
  { name: 'parked deal', deal: deal({ parked_until: '2027-03-01' }), rotting: false },
  { name: 'parking ended long ago', deal: deal({ parked_until: '2026-12-01' }), rotting: true },
  { name: 'parking ended today', deal: deal({ parked_until: '2027-02-01' }), rotting: false },
  { name: 'won deal', deal: deal({ status: 'won' }), rotting: false },
  { name: 'lost deal', deal: deal({ status: 'lost' }), rotting: false },
  { name: 'deleted deal', deal: deal({ deleted: true }), rotting: false },
  { name: 'stage that never rots', deal: deal(), limitsDays: { proposal: null }, rotting: false },
  { name: 'unknown stage', deal: deal({ stage: 'custom' }), rotting: false },
  { name: 'team limit', deal: deal({ daysAgo: 30 }), limitsDays: { proposal: 45 }, rotting: false },
  { name: 'closing rots sooner', deal: deal({ stage: 'closing', daysAgo: 8 }), rotting: true },
];

describe('isRotting', () => {
  for (const { name, deal: subject, rotting, ...context } of CASES) {
    it(name, () => {
      assert.equal(isRotting(subject, { nowMs: NOW_MS, ...context }), rotting);
    });
  }

  it('ignores an unsynced deal with no stamps', () => {
    const local = { ...deal(), server: null };
    assert.equal(lastActivityMs(local, {}), null);
    assert.equal(isRotting(local, { nowMs: NOW_MS }), false);
  });

  it('takes the latest stamp of any field', () => {
    const subject = deal({ daysAgo: 30 });
    subject.server.meta.value = { ver: 3, hlc: stampDaysAgo(4), dev: 'dev-b' };
    assert.equal(lastActivityMs(subject, {}), NOW_MS - 4 * DAY_MS);
    assert.equal(isRotting(subject, { nowMs: NOW_MS }), false);
  });

  it('counts whole days without activity', () => {
    assert.equal(daysWithoutActivity(deal({ daysAgo: 30.5 }), { nowMs: NOW_MS }), 30);
    assert.equal(daysWithoutActivity({ ...deal(), server: null }, { nowMs: NOW_MS }), null);
  });

  it('mirrors the server stage limits', async () => {
    const source = await readFile(new URL('../../server/pipelines.py', import.meta.url), 'utf8');
    const table = source.match(/DEFAULT_ROTTING_DAYS[^{]*\{([^}]*)\}/);
    assert.ok(table, 'server/pipelines.py defines DEFAULT_ROTTING_DAYS');
    const server = Object.fromEntries(
      [...table[1].matchAll(/"(\w+)":\s*(\d+|None)/g)].map(([, stage, days]) => [
        stage,
        days === 'None' ? null : Number(days),
      ]),
    );
    assert.deepEqual(DEFAULT_ROTTING_DAYS, server);
  });
});
