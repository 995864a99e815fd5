import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import * as merge from '../../pwa/js/merge.js';

const { applyMutation, MAX_CLOCK_AHEAD_MS } = merge;
const VECTORS = new URL('../../sync/vectors/', import.meta.url);

function loadCases(filename) {
  return JSON.parse(readFileSync(new URL(filename, VECTORS), 'utf8'));
}

function contextOf(context) {
  return {
    device: context.device,
    seq: context.seq,
    nowMs: context.now_ms,
    textFields: context.text_fields,
  };
}

function* permutations(items) {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (const [index, item] of items.entries()) {
    const rest = [...items.slice(0, index), ...items.slice(index + 1)];
    for (const tail of permutations(rest)) yield [item, ...tail];
  }
}

describe('applyMutation on the shared merge vectors', () => {
  for (const testCase of loadCases('merge.json')) {
    it(`${testCase.name}: ${testCase.description}`, () => {
      const before = JSON.stringify([testCase.record, testCase.mutation]);
      const outcome = applyMutation(
        testCase.record,
        testCase.mutation,
        contextOf(testCase.context),
      );

      assert.deepEqual(outcome, testCase.expected);
      assert.equal(JSON.stringify([testCase.record, testCase.mutation]), before);
    });
  }
});

describe('applyMutation on the shared error vectors', () => {
  for (const testCase of loadCases('errors.json')) {
    it(`${testCase.name}: throws ${testCase.expected.error}`, () => {
      const call = () =>
        applyMutation(testCase.record, testCase.mutation, contextOf(testCase.context));

      assert.throws(call, merge[testCase.expected.error]);
    });
  }
});

describe('applyMutation on the shared sequences', () => {
  for (const testCase of loadCases('sequences.json')) {
    it(`${testCase.name}: ends the same in every order`, () => {
      const { context, expected } = testCase;
      for (const order of permutations(testCase.mutations)) {
        let record = testCase.record;
        let conflictCount = 0;
        order.forEach((item, offset) => {
          const outcome = applyMutation(record, item.mutation, {
            device: item.device,
            seq: context.first_seq + offset,
            nowMs: context.now_ms,
            textFields: context.text_fields,
          });
          record = outcome.record;
          conflictCount += outcome.conflicts.length;
        });

        const orderIds = order.map((item) => item.mutation.id).join(', ');
        assert.deepEqual(record.fields, expected.fields, orderIds);
        assert.equal(conflictCount, expected.conflict_count, orderIds);
      }
    });
  }
});

describe('MAX_CLOCK_AHEAD_MS', () => {
  it('is one minute, as in the protocol', () => {
    assert.equal(MAX_CLOCK_AHEAD_MS, 60_000);
  });
});
