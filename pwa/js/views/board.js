/**
 * The pipeline board: one column per stage, in pipeline order, each with
 * its deal count and total value and the deals as cards. On a phone the
 * columns scroll sideways. A control above the columns sorts the cards of
 * every column and hides deals below a lead score, and the counts and
 * totals cover only the deals shown. Cards in Lead qualification show
 * their lead score.
 */

import { SCORE_THRESHOLDS, SORT_KEYS, orderDeals, readBoardOrder, saveBoardOrder } from '../board-order.js';
import { h, replaceChildren } from '../dom.js';
import { formatDate, formatMoney, t } from '../i18n.js';
import { leadScore } from '../lead-score.js';
import { dealHref } from '../router.js';
import { STAGES } from '../stages.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
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

    const rendered = [];
    for (const stage of STAGES) {
      const deals = orderDeals(await ctx.store.getDealsByStage(stage), order);
      rendered.push(renderColumn(ctx, stage, deals, accountNames));
    }
    replaceChildren(columns, rendered);
  }

  return { element, refresh };
}

/**
 * @param {AppContext} ctx
 * @param {string} stage
 * @param {LocalRecord[]} deals
 * @param {Map<string, string>} accountNames
 */
function renderColumn(ctx, stage, deals, accountNames) {
  return h(
    'section',
    { class: 'column', 'data-testid': 'stage-column', 'data-stage': stage },
    h(
      'header',
      { class: 'column-header' },
      h('h2', { 'data-testid': 'stage-name' }, t(`stage.${stage}`)),
      h('span', { class: 'column-count', 'data-testid': 'stage-count' }, t('board.count', { count: deals.length })),
      h('span', { class: 'column-total', 'data-testid': 'stage-total' }, formatTotal(deals)),
    ),
    deals.length === 0
      ? h('p', { class: 'empty' }, t('board.empty'))
      : h('ul', { class: 'cards' }, deals.map((deal) => renderCard(ctx, deal, accountNames))),
  );
}

/**
 * @param {AppContext} ctx
 * @param {LocalRecord} deal
 * @param {Map<string, string>} accountNames
 */
function renderCard(ctx, deal, accountNames) {
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
      deal.pending > 0 ? h('span', { class: 'card-pending', 'aria-hidden': 'true' }, '•') : null,
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
