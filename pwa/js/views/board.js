/**
 * The pipeline board: one column per stage, in pipeline order, each with
 * its deal count and total value and the deals as cards. On a phone the
 * columns scroll sideways. A control above the columns sorts the cards of
 * every column and hides deals below a lead score, and the counts and
 * totals cover only the deals shown. Cards in Lead qualification show
 * their lead score. A rotting deal (see ../rotting.js) gets a badge, and
 * each column header counts its rotting deals. The phone works both out
 * from its own records, so they show offline too.
 */

import { SCORE_THRESHOLDS, SORT_KEYS, orderDeals, readBoardOrder, saveBoardOrder } from '../board-order.js';
import { h, replaceChildren } from '../dom.js';
import { formatDate, formatMoney, t } from '../i18n.js';
import { leadScore } from '../lead-score.js';
import { daysWithoutActivity, isRotting } from '../rotting.js';
import { dealHref } from '../router.js';
import { STAGES } from '../stages.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 * @typedef {import('../rotting.js').RottingContext} RottingContext
 */

/** @param {AppContext} ctx */
export function createBoardView(ctx) {
  const columns = h('div', { class: 'columns', 'data-testid': 'board' });
  let order = readBoardOrder();

  const sortPicker = /** @type {HTMLSelectElement} */ (
    h('select', { 'data-testid': 'board-sort' }, SORT_KEYS.map((key) => h('option', { value: key }, t(`board.sort.${key}`))))
  );
  const scorePicker = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'data-testid': 'board-min-score' },
      SCORE_THRESHOLDS.map((score) =>
        h('option', { value: String(score) }, score === 0 ? t('board.filter.all') : t('board.filter.min', { score })),
      ),
    )
  );
  sortPicker.value = order.sort;
  scorePicker.value = String(order.minScore);
  const changeOrder = () => {
    order = { sort: /** @type {typeof order.sort} */ (sortPicker.value), minScore: Number(scorePicker.value) };
    saveBoardOrder(order);
    void refresh();
  };
  sortPicker.addEventListener('change', changeOrder);
  scorePicker.addEventListener('change', changeOrder);

  const controls = h(
    'div',
    { class: 'board-controls', 'data-testid': 'board-controls' },
    h('label', {}, t('board.sort_label'), sortPicker),
    h('label', {}, t('board.filter_label'), scorePicker),
  );
  const element = h(
    'section',
    { class: 'board-view' },
    h('h1', { class: 'visually-hidden' }, t('board.title')),
    controls,
    columns,
  );

  async function refresh() {
    const accounts = await ctx.store.getRecordsByEntity('account');
    const accountNames = new Map(accounts.map((account) => [account.id, account.fields.name]));
    const rottingContextOf = await loadRottingContexts(ctx, Date.now());

    const rendered = [];
    for (const stage of STAGES) {
      const deals = orderDeals(await ctx.store.getDealsByStage(stage), order);
      rendered.push(renderColumn(ctx, stage, deals, accountNames, rottingContextOf));
    }
    replaceChildren(columns, rendered);
  }

  return { element, refresh };
}

/**
 * Read every note, follow-up and pending deal mutation once, and return a
 * function that gives a deal's rotting context from them.
 * @param {AppContext} ctx
 * @param {number} nowMs
 * @returns {Promise<(deal: LocalRecord) => RottingContext>}
 */
async function loadRottingContexts(ctx, nowMs) {
  const notes = groupBy(await ctx.store.getRecordsByEntity('note'), (note) => note.fields.deal_id);
  const followups = groupBy(
    await ctx.store.getRecordsByEntity('followup'),
    (followup) => followup.fields.deal_id,
  );
  const mutations = await ctx.store.getPendingMutations();
  const pending = groupBy(
    mutations.filter((mutation) => mutation.entity === 'deal'),
    (mutation) => mutation.record_id,
  );

  return (deal) => ({
    notes: notes.get(deal.id) ?? [],
    followups: followups.get(deal.id) ?? [],
    pending: pending.get(deal.id) ?? [],
    nowMs,
  });
}

/**
 * @template T
 * @param {T[]} items
 * @param {(item: T) => string} keyOf
 * @returns {Map<string, T[]>}
 */
function groupBy(items, keyOf) {
  /** @type {Map<string, T[]>} */
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * @param {AppContext} ctx
 * @param {string} stage
 * @param {LocalRecord[]} deals
 * @param {Map<string, string>} accountNames
 * @param {(deal: LocalRecord) => RottingContext} rottingContextOf
 */
function renderColumn(ctx, stage, deals, accountNames, rottingContextOf) {
  /** @type {Map<string, number>} Days without activity of each rotting deal, by id. */
  const idleDays = new Map();
  for (const deal of deals) {
    const context = rottingContextOf(deal);
    if (isRotting(deal, context)) idleDays.set(deal.id, daysWithoutActivity(deal, context) ?? 0);
  }

  return h(
    'section',
    { class: 'column', 'data-testid': 'stage-column', 'data-stage': stage },
    h(
      'header',
      { class: 'column-header' },
      h('h2', { 'data-testid': 'stage-name' }, t(`stage.${stage}`)),
      h('span', { class: 'column-count', 'data-testid': 'stage-count' }, t('board.count', { count: deals.length })),
      h('span', { class: 'column-total', 'data-testid': 'stage-total' }, formatTotal(deals)),
      idleDays.size > 0
        ? h(
            'span',
            { class: 'column-rotting', 'data-testid': 'stage-rotting' },
            t('board.rotting_count', { count: idleDays.size }),
          )
        : null,
    ),
    deals.length === 0
      ? h('p', { class: 'empty' }, t('board.empty'))
      : h(
          'ul',
          { class: 'cards' },
          deals.map((deal) => renderCard(ctx, deal, accountNames, idleDays.get(deal.id))),
        ),
  );
}

/**
 * @param {AppContext} ctx
 * @param {LocalRecord} deal
 * @param {Map<string, string>} accountNames
 * @param {number | undefined} idleDays  Days without activity when the deal is rotting.
 */
function renderCard(ctx, deal, accountNames, idleDays) {
  const { fields } = deal;
  const owner = ctx.members.get(fields.owner_id)?.name ?? '';
  const close = fields.expected_close
    ? t('board.close', { date: formatDate(fields.expected_close) })
    : t('board.no_close');

  return h(
    'li',
    {},
    h(
      'a',
      { class: 'card', href: dealHref(deal.id), 'data-testid': 'deal-card', 'data-deal-id': deal.id },
      h('strong', { class: 'card-title', 'data-testid': 'card-title' }, fields.title ?? ''),
      h('span', { class: 'card-account' }, accountNames.get(fields.account_id) ?? ''),
      h('span', { class: 'card-value', 'data-testid': 'card-value' }, formatMoney(Number(fields.value ?? 0), fields.currency)),
      h('span', { class: 'card-close' }, close),
      h('span', { class: 'card-owner' }, owner),
      fields.stage === 'qualification'
        ? h('span', { class: 'card-score', 'data-testid': 'card-score' }, t('board.lead_score', { score: leadScore(fields) }))
        : null,
      idleDays === undefined ? null : renderRottingBadge(idleDays),
      deal.pending > 0
        ? h(
            'span',
            { class: 'card-pending', 'data-testid': 'card-pending', title: t('board.pending') },
            h('span', { 'aria-hidden': 'true' }, '•'),
            h('span', { class: 'visually-hidden' }, t('board.pending')),
          )
        : null,
    ),
  );
}

/**
 * Build the badge of a rotting deal. Screen readers read the days without
 * activity in place of the short visible word.
 * @param {number} idleDays
 */
function renderRottingBadge(idleDays) {
  return h(
    'span',
    { class: 'card-rotting', 'data-testid': 'card-rotting' },
    h('span', { 'aria-hidden': 'true' }, t('board.rotting')),
    h(
      'span',
      { class: 'visually-hidden', 'data-testid': 'card-rotting-label' },
      t('board.rotting_label', { count: idleDays }),
    ),
  );
}

/**
 * Return the sum of the deals' values, one amount per currency.
 * @param {LocalRecord[]} deals
 */
export function formatTotal(deals) {
  /** @type {Map<string, number>} */
  const totals = new Map();
  for (const deal of deals) {
    const currency = deal.fields.currency ?? 'USD';
    totals.set(currency, (totals.get(currency) ?? 0) + (Number(deal.fields.value) || 0));
  }
  if (totals.size === 0) return formatMoney(0);
  return [...totals].map(([currency, amount]) => formatMoney(amount, currency)).join(' + ');
}
