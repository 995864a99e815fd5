import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import * as hlc from '../../pwa/js/hlc.js';

const { HybridClock, formatStamp, parseStamp } = hlc;
const VECTORS = new URL('../../sync/vectors/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('clock.json', VECTORS), 'utf8'));

function runStep(clock, step) {
  switch (step.op) {
    case 'parse':
      return parseStamp(step.stamp);
    case 'format':
      return formatStamp(step.wall_ms, step.counter, step.device);
    case 'now':
      return clock.now(step.wall_ms);
    case 'observe':
      clock.observe(step.stamp, step.wall_ms);
      return clock.last;
    default:
      throw new Error(`Unknown step op ${step.op} in clock.json.`);
  }
}

describe('hybrid clock on the shared vectors', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.description}`, () => {
      const clock = testCase.device
        ? new HybridClock(testCase.device, testCase.last)
        : null;
      testCase.steps.forEach((step, number) => {
        const expected = step.expected;
        if (expected !== null && typeof expected === 'object' && 'error' in expected) {
          assert.throws(() => runStep(clock, step), hlc[expected.error], `step ${number}`);
        } else {
          assert.deepEqual(runStep(clock, step), expected, `step ${number}`);
        }
      });
    });
  }
});

describe('HybridClock', () => {
  it('issues strictly increasing stamps when the wall clock stalls', () => {
    const clock = new HybridClock('dev-a');
    const stamps = Array.from({ length: 100 }, () => clock.now(1733312345678));

    const sorted = [...stamps].sort();
    assert.deepEqual(stamps, sorted);
    assert.equal(new Set(stamps).size, stamps.length);
  });

  it('issues a stamp above any stamp it observed', () => {
    const clock = new HybridClock('dev-a');
    const remote = '0001733312399999-0007-dev-b';
    clock.observe(remote, 1733312345678);

    assert.ok(clock.now(1733312345678) > remote);
  });
});
