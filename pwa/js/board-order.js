/**
 * The order and filter of the cards in each column of the pipeline board.
 * Cards sort by expected close (soonest first, the default), by value
 * (highest first) or by lead score (highest first), and the filter keeps
 * only deals whose lead score is at least a threshold. The rep's choice is saved in localStorage, so it
 * survives reloads and works offline.
 */

import { leadScore } from './lead-score.js';

/** Card orders the board offers, the default first. */
export const SORT_KEYS = /** @type {const} */ (['expected_close', 'value', 'lead_score']);

/** Lead score thresholds the filter offers. A threshold of 0 shows every deal. */
export const SCORE_THRESHOLDS = /** @type {const} */ ([0, 50, 75, 100]);

/** localStorage key of the rep's board order and filter. */
export const BOARD_ORDER_STORAGE_KEY = 'dealbook.board_order';

/**
 * @typedef {typeof SORT_KEYS[number]} SortKey
 * @typedef {{sort: SortKey, minScore: number}} BoardOrder
 * @typedef {{id: string, fields: Record<string, any>}} BoardDeal
 */

/** @type {BoardOrder} */
export const DEFAULT_BOARD_ORDER = Object.freeze({ sort: 'expected_close', minScore: 0 });

/**
 * Return the deals with a lead score of at least `minScore`, sorted by
 * `sort`, as a new array. Ties fall back to expected close, then title,
 * then id, so the order never depends on the order the store returned.
 * Values in different currencies are compared as plain numbers.
 * @template {BoardDeal} T
 * @param {T[]} deals
 * @param {BoardOrder} order
 * @returns {T[]}
 */
export function orderDeals(deals, { sort, minScore }) {
  const shown = deals.filter((deal) => leadScore(deal.fields) >= minScore);
  const compare = {
    expected_close: byExpectedClose,
    value: (/** @type {T} */ a, /** @type {T} */ b) => valueOf(b) - valueOf(a) || byExpectedClose(a, b),
    lead_score: (/** @type {T} */ a, /** @type {T} */ b) =>
      leadScore(b.fields) - leadScore(a.fields) || byExpectedClose(a, b),
  }[sort] ?? byExpectedClose;
  return shown.sort(compare);
}

/**
 * Read the saved board order. A missing or unknown setting falls back to
 * the default, so an old or hand-edited value never breaks the board.
 * @param {Pick<Storage, 'getItem'> | undefined} [storage]
 * @returns {BoardOrder}
 */
export function readBoardOrder(storage = globalThis.localStorage) {
  let saved;
  try {
    saved = JSON.parse(storage?.getItem(BOARD_ORDER_STORAGE_KEY) ?? 'null');
  } catch {
    // Unparsable JSON or blocked storage: use the default order.
    saved = null;
  }
  const sort = SORT_KEYS.includes(saved?.sort) ? saved.sort : DEFAULT_BOARD_ORDER.sort;
  const minScore = SCORE_THRESHOLDS.includes(saved?.minScore) ? saved.minScore : DEFAULT_BOARD_ORDER.minScore;
  return { sort, minScore };
}

/**
 * Save the board order. Without storage the choice lasts until reload.
 * @param {BoardOrder} order
 * @param {Pick<Storage, 'setItem'> | undefined} [storage]
 */
export function saveBoardOrder(order, storage = globalThis.localStorage) {
  try {
    storage?.setItem(BOARD_ORDER_STORAGE_KEY, JSON.stringify(order));
  } catch {
    // NOTE: blocked storage (private modes) keeps the choice for this page only.
  }
}

/** @param {BoardDeal} deal */
function valueOf(deal) {
  return Number(deal.fields.value) || 0;
}

/**
 * Compare by expected close, soonest first, with undated deals last.
 * @param {BoardDeal} a
 * @param {BoardDeal} b
 */
function byExpectedClose(a, b) {
  const left = a.fields.expected_close ?? '9999';
  const right = b.fields.expected_close ?? '9999';
  return (
    left.localeCompare(right) ||
    String(a.fields.title ?? '').localeCompare(String(b.fields.title ?? '')) ||
    a.id.localeCompare(b.id)
  );
}
