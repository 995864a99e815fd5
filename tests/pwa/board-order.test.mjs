import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BOARD_ORDER_STORAGE_KEY,
  DEFAULT_BOARD_ORDER,
  orderDeals,
  readBoardOrder,
  saveBoardOrder,
} from '../../pwa/js/board-order.js';

/** Return a deal with a lead score of 25 per `checked` item. */
function deal(id, { title = id, value = 0, close = null, checked = 0 } = {}) {
  const names = ['bant_budget', 'bant_authority', 'bant_need', 'bant_timing'];
  const bant = Object.fromEntries(names.map((name, i) => [name, i < checked]));
  return { id, fields: { title, value, expected_close: close, ...bant } };
}

const deals = [
  deal('a', { value: 500, close: '2027-05-01', checked: 1 }),
  deal('b', { value: 9000, close: '2027-02-01', checked: 4 }),
  deal('c', { value: 1200, close: null, checked: 2 }),
  deal('d', { value: 9000, close: '2027-01-15', checked: 0 }),
];

/** @param {{id: string}[]} list */
const ids = (list) => list.map((item) => item.id);

describe('board order', () => {
  it('sorts by expected close by default, undated last', () => {
    assert.deepEqual(ids(orderDeals(deals, DEFAULT_BOARD_ORDER)), ['d', 'b', 'a', 'c']);
  });

  it('sorts by value, highest first, ties by close', () => {
    assert.deepEqual(ids(orderDeals(deals, { sort: 'value', minScore: 0 })), ['d', 'b', 'c', 'a']);
  });

  it('sorts by lead score, highest first', () => {
    assert.deepEqual(ids(orderDeals(deals, { sort: 'lead_score', minScore: 0 })), ['b', 'c', 'a', 'd']);
  });

  it('breaks equal scores by expected close', () => {
    const tied = [deal('x', { close: '2027-09-01', checked: 2 }), deal('y', { close: '2027-03-01', checked: 2 })];
    assert.deepEqual(ids(orderDeals(tied, { sort: 'lead_score', minScore: 0 })), ['y', 'x']);
  });

  const thresholds = [
    { minScore: 0, expected: ['d', 'b', 'a', 'c'] },
    { minScore: 50, expected: ['b', 'c'] },
    { minScore: 75, expected: ['b'] },
    { minScore: 100, expected: ['b'] },
  ];
  for (const { minScore, expected } of thresholds) {
    it(`keeps deals scoring at least ${minScore}`, () => {
      assert.deepEqual(ids(orderDeals(deals, { sort: 'expected_close', minScore })), expected);
    });
  }

  it('leaves the input array as it was', () => {
    const input = [...deals];
    orderDeals(input, { sort: 'value', minScore: 50 });
    assert.deepEqual(ids(input), ['a', 'b', 'c', 'd']);
  });

  it('counts a value that is not a number as 0', () => {
    const odd = [deal('n', { value: null }), deal('m', { value: 10 })];
    assert.deepEqual(ids(orderDeals(odd, { sort: 'value', minScore: 0 })), ['m', 'n']);
  });
});

describe('saved board order', () => {
  /** Return a Map-backed stand-in for localStorage. */
  function memoryStorage(initial = {}) {
    const items = new Map(Object.entries(initial));
    return {
      items,
      getItem: (key) => items.get(key) ?? null,
      setItem: (key, value) => items.set(key, String(value)),
    };
  }

  it('reads the default when nothing is saved', () => {
    assert.deepEqual(readBoardOrder(memoryStorage()), DEFAULT_BOARD_ORDER);
  });

  it('reads back what was saved', () => {
    const storage = memoryStorage();
    saveBoardOrder({ sort: 'lead_score', minScore: 75 }, storage);
    assert.deepEqual(readBoardOrder(storage), { sort: 'lead_score', minScore: 75 });
  });

  it('falls back per setting on unknown values', () => {
    const storage = memoryStorage({ [BOARD_ORDER_STORAGE_KEY]: '{"sort":"owner","minScore":75}' });
    assert.deepEqual(readBoardOrder(storage), { sort: 'expected_close', minScore: 75 });
    storage.setItem(BOARD_ORDER_STORAGE_KEY, '{"sort":"value","minScore":60}');
    assert.deepEqual(readBoardOrder(storage), { sort: 'value', minScore: 0 });
  });

  it('falls back on unparsable JSON', () => {
    const storage = memoryStorage({ [BOARD_ORDER_STORAGE_KEY]: '{not json' });
    assert.deepEqual(readBoardOrder(storage), DEFAULT_BOARD_ORDER);
  });

  it('works without storage', () => {
    assert.deepEqual(readBoardOrder(undefined), DEFAULT_BOARD_ORDER);
    assert.doesNotThrow(() => saveBoardOrder({ sort: 'value', minScore: 0 }, undefined));
  });

  it('survives storage that throws', () => {
    const blocked = {
      getItem: () => { throw new Error('blocked'); },
      setItem: () => { throw new Error('blocked'); },
    };
    assert.deepEqual(readBoardOrder(blocked), DEFAULT_BOARD_ORDER);
    assert.doesNotThrow(() => saveBoardOrder({ sort: 'value', minScore: 0 }, blocked));
  });
});
