/**
 * The pipeline board: one column per stage, in pipeline order, each with
 * its deal count and total value and the deals as cards. On a phone the
 * columns scroll sideways.
 */

import { h, replaceChildren } from '../dom.js';
import { formatDate, formatMoney, t } from '../i18n.js';
import { dealHref } from '../router.js';
import { STAGES } from '../stages.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/** @param {AppContext} ctx */
export function createBoardView(ctx) {
  const columns = h('div', { class: 'columns', 'data-testid': 'board' });
  const element = h('section', { class: 'board-view' }, h('h1', { class: 'visually-hidden' }, t('board.title')), columns);

  async function refresh() {
    const accounts = await ctx.store.getRecordsByEntity('account');
    const accountNames = new Map(accounts.map((account) => [account.id, account.fields.name]));

    const rendered = [];
    for (const stage of STAGES) {
      const deals = await ctx.store.getDealsByStage(stage);
      deals.sort(byExpectedClose);
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

/**
 * @param {LocalRecord} a
 * @param {LocalRecord} b
 */
function byExpectedClose(a, b) {
  const left = a.fields.expected_close ?? '9999';
  const right = b.fields.expected_close ?? '9999';
  return left.localeCompare(right) || String(a.fields.title).localeCompare(String(b.fields.title));
}
