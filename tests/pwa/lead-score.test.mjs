import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BANT_FIELDS, leadScore } from '../../pwa/js/lead-score.js';

describe('lead score', () => {
  it('scores no checked item as 0', () => {
    assert.equal(leadScore({}), 0);
    assert.equal(leadScore({ bant_budget: false, bant_authority: null }), 0);
  });

  it('adds 25 per checked item', () => {
    assert.equal(leadScore({ bant_budget: true }), 25);
    assert.equal(leadScore({ bant_budget: true, bant_need: true }), 50);
    assert.equal(leadScore({ bant_authority: true, bant_need: true, bant_timing: true }), 75);
  });

  it('scores all four items as 100', () => {
    const all = Object.fromEntries(BANT_FIELDS.map((name) => [name, true]));
    assert.equal(leadScore(all), 100);
  });

  // server/entities.py: lead_score = 25 * sum(bool(values.get(name)) for name in BANT_FIELDS)
  it('matches the server rule for every combination', () => {
    for (let mask = 0; mask < 16; mask++) {
      const fields = Object.fromEntries(BANT_FIELDS.map((name, bit) => [name, Boolean(mask & (1 << bit))]));
      const checked = BANT_FIELDS.filter((name) => fields[name]).length;
      assert.equal(leadScore(fields), 25 * checked, JSON.stringify(fields));
    }
  });

  it('ignores fields other than the four BANT items', () => {
    assert.equal(leadScore({ title: 'Rack refresh', probability: 80, bant_timing: true }), 25);
  });

  it('names the same four fields as the server', () => {
    assert.deepEqual(BANT_FIELDS, ['bant_budget', 'bant_authority', 'bant_need', 'bant_timing']);
  });
});
