/**
 * The dashboard: KPIs of a period for the team or one rep, a stage
 * conversion funnel, the forecast by month, stale deals and overdue
 * follow-ups. Figures come from GET /api/kpis when the server responds and
 * are computed from the phone's copy of the book otherwise (../kpis.js),
 * with a line saying which figures need a connection.
 */

import { createAppApi, describeApiError } from '../api.js';
import { forecastChart, funnelChart, numbersTable } from '../charts.js';
import { h, replaceChildren } from '../dom.js';
import {
  formatCompactMoney,
  formatDate,
  formatDateTime,
  formatMoney,
  formatMonth,
  formatNumber,
  formatPercent,
} from '../format.js';
import { t } from '../i18n.js';
import { SERVER_ONLY, computeLocalKpis, defaultPeriod } from '../kpis.js';
import { getLogger } from '../log.js';
import { dealHref } from '../router.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {{source: 'server' | 'phone', figures: any, failure?: string}} Shown
 */

/** Store meta key of the team's stage probabilities, kept for offline figures. */
const PROBABILITIES_META_KEY = 'stage_probabilities';

const log = getLogger('dashboard');

/** @param {AppContext} ctx */
export function createDashboardView(ctx) {
  const api = createAppApi(ctx.store);
  const period = defaultPeriod(new Date());
  const from = /** @type {HTMLInputElement} */ (
    h('input', { type: 'date', value: period.start, 'data-testid': 'period-from', required: true })
  );
  const to = /** @type {HTMLInputElement} */ (
    h('input', { type: 'date', value: period.end, 'data-testid': 'period-to', required: true })
  );
  const owner = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'period-owner' }));
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'period', 'data-testid': 'period-form' },
    h('label', {}, t('dashboard.from'), from),
    h('label', {}, t('dashboard.to'), to),
    h('label', { class: 'period-owner' }, t('dashboard.owner'), owner),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'period-show' }, t('dashboard.show')),
    formError,
  );
  const source = h('p', { class: 'source', 'data-testid': 'kpi-source', 'aria-live': 'polite' }, t('dashboard.loading'));
  const body = h('div', { class: 'dashboard-body' });
  const element = h(
    'section',
    { class: 'dashboard-view', 'data-testid': 'dashboard' },
    h('h1', {}, t('dashboard.title')),
    form,
    source,
    body,
  );

  /** @type {Shown | null} */
  let shown = null;
  let ownerChoiceMade = false;
  let loads = 0;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ownerChoiceMade = true;
    void load();
  });

  async function load() {
    if (!from.value || !to.value || from.value >= to.value) {
      formError.textContent = t('dashboard.invalid_period');
      formError.hidden = false;
      return;
    }
    formError.hidden = true;
    const load = ++loads;
    source.textContent = t('dashboard.loading');
    const result = await fetchFigures();
    if (load !== loads) return;
    shown = result;
    await render();
  }

  /** @returns {Promise<Shown>} */
  async function fetchFigures() {
    if (!navigator.onLine) return { source: 'phone', figures: await computeOnPhone() };
    const query = new URLSearchParams({ start: from.value, end: to.value });
    if (owner.value) query.set('owner_id', owner.value);
    try {
      const figures = await api.get(`/api/kpis?${query}`);
      void saveProbabilities();
      return { source: 'server', figures };
    } catch (error) {
      log.info('KPIs from the server failed; computing them on the phone', error);
      return { source: 'phone', figures: await computeOnPhone(), failure: describeApiError(error) };
    }
  }

  async function saveProbabilities() {
    try {
      const { pipelines } = await api.get('/api/pipelines');
      const stages = pipelines?.[0]?.stages ?? [];
      const probabilities = Object.fromEntries(stages.map((/** @type {any} */ stage) => [stage.key, stage.probability]));
      await ctx.store.setMeta({ [PROBABILITIES_META_KEY]: probabilities });
    } catch (error) {
      log.info('could not save the stage probabilities', error);
    }
  }

  async function computeOnPhone() {
    return computeLocalKpis({
      deals: await ctx.store.getRecordsByEntity('deal'),
      followups: await ctx.store.getRecordsByEntity('followup'),
      start: from.value,
      end: to.value,
      nowMs: Date.now(),
      ownerId: owner.value || null,
      probabilities: (await ctx.store.getMeta(PROBABILITIES_META_KEY)) ?? undefined,
    });
  }

  async function render() {
    if (!shown) return;
    if (shown.source === 'server') {
      source.textContent = t('dashboard.source_server', { time: formatDateTime(shown.figures.as_of) });
    } else {
      const why = shown.failure ? t('dashboard.server_failed', { reason: shown.failure }) : t('dashboard.source_phone');
      source.textContent = `${why} ${t('dashboard.phone_scope')}`;
    }
    replaceChildren(body, renderFigures(shown));
  }

  function fillOwners() {
    const selected = owner.value;
    const members = [...ctx.members.values()].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    replaceChildren(
      owner,
      h('option', { value: '' }, t('dashboard.owner_team')),
      members.map((member) => h('option', { value: member.id }, member.name)),
    );
    if (!ownerChoiceMade) {
      owner.value = ctx.user.role === 'manager' ? '' : ctx.user.id;
      if (owner.value !== (ctx.user.role === 'manager' ? '' : ctx.user.id)) {
        // The team list has not arrived yet: add this rep so "mine" can be picked.
        owner.append(h('option', { value: ctx.user.id }, ctx.user.name ?? ctx.user.email ?? ''));
        owner.value = ctx.user.id;
      }
    } else {
      owner.value = selected;
    }
  }

  async function refresh() {
    fillOwners();
    if (shown === null) {
      await load();
      return;
    }
    if (shown.source === 'phone') {
      shown = { ...shown, figures: await computeOnPhone() };
      await render();
    }
  }

  return { element, refresh };
}

/** @param {Shown} shown */
function renderFigures(shown) {
  const figures = shown.figures;
  const online = shown.source === 'server';
  return [
    renderTiles(figures, online),
    online ? null : h('p', { class: 'server-only', 'data-testid': 'server-only' }, t('dashboard.server_only', { names: serverOnlyNames() })),
    renderFunnel(figures.stage_conversion ?? []),
    renderForecast(figures.forecast ?? []),
    online ? renderTimeInStage(figures.time_in_stage ?? []) : null,
    online ? renderStale(figures.stale_deals) : null,
    renderOverdue(figures.overdue_followups),
  ];
}

function serverOnlyNames() {
  const keys = {
    sales_cycle: 'kpi.sales_cycle',
    sales_velocity: 'kpi.velocity',
    first_response: 'kpi.first_response',
    time_in_stage: 'kpi.time_in_stage',
    stale_deals: 'kpi.stale_deals',
  };
  return SERVER_ONLY.map((name) => t(keys[name])).join(', ');
}

/**
 * @param {any} figures
 * @param {boolean} online
 */
function renderTiles(figures, online) {
  const open = Object.entries(figures.open ?? {});
  const openDeals = open.reduce((sum, [, totals]) => sum + Number(totals.deals), 0);
  const winRate = figures.win_rate ?? {};
  const tiles = [
    tile('pipeline-value', t('kpi.pipeline_value'), moneyList(open, 'value'), t('kpi.open_deals', { count: openDeals })),
    tile('weighted-value', t('kpi.weighted_value'), moneyList(open, 'weighted_value')),
    tile(
      'win-rate',
      t('kpi.win_rate'),
      winRate.rate === null || winRate.rate === undefined ? t('common.none') : formatPercent(winRate.rate),
      t('kpi.win_rate_detail', { won: formatNumber(winRate.won ?? 0), lost: formatNumber(winRate.lost ?? 0) }),
    ),
    tile('average-deal', t('kpi.average_deal'), moneyList(Object.entries(figures.average_won_value ?? {}), 'value')),
  ];
  if (online) {
    const cycle = figures.sales_cycle?.average_days;
    const hours = figures.first_response?.mean_hours;
    const velocity = Object.entries(figures.sales_velocity ?? {}).map(([currency, amount]) =>
      t('kpi.velocity_value', { amount: formatMoney(Number(amount), currency) }),
    );
    tiles.push(
      tile('sales-cycle', t('kpi.sales_cycle'), cycle === null || cycle === undefined ? t('common.none') : days(cycle)),
      tile('velocity', t('kpi.velocity'), velocity.join(' + ') || t('common.none')),
      tile(
        'first-response',
        t('kpi.first_response'),
        hours === null || hours === undefined ? t('common.none') : t('kpi.hours', { count: formatNumber(hours) }),
      ),
    );
  }
  return h('dl', { class: 'kpi-tiles', 'data-testid': 'kpi-tiles' }, tiles);
}

/**
 * @param {string} name
 * @param {string} label
 * @param {string} value
 * @param {string} [detail]
 */
function tile(name, label, value, detail) {
  return h(
    'div',
    { class: 'kpi', 'data-testid': `kpi-${name}` },
    h('dt', {}, label),
    h('dd', { class: 'kpi-value', 'data-testid': 'kpi-value' }, value),
    detail ? h('dd', { class: 'kpi-detail' }, detail) : null,
  );
}

/**
 * Return per-currency amounts joined with " + ", or a dash for none.
 * @param {[string, any][]} entries  [currency, totals] pairs.
 * @param {string} field
 */
function moneyList(entries, field) {
  const amounts = entries
    .filter(([, totals]) => totals[field] !== null && totals[field] !== undefined)
    .map(([currency, totals]) => formatMoney(Number(totals[field]), currency));
  return amounts.join(' + ') || t('common.none');
}

/** @param {number} count */
function days(count) {
  return t('kpi.days', { count });
}

/** @param {any[]} conversion */
function renderFunnel(conversion) {
  const heading = h('h2', {}, t('funnel.title'));
  if (conversion.length === 0 || conversion[0].reached === 0) {
    return h('section', { class: 'card-section', 'data-testid': 'funnel' }, heading, h('p', { class: 'empty' }, t('funnel.empty')));
  }
  const last = conversion[conversion.length - 1];
  const stages = [
    ...conversion.map((row) => ({ stage: row.stage, count: row.reached, rate: row.rate })),
    { stage: last.next_stage, count: last.next_reached, rate: null },
  ];
  const rows = stages.map(({ stage, count, rate }) => {
    const label = t(`stage.${stage}`);
    const countText = formatNumber(count);
    const rateText = rate === null || rate === undefined ? null : formatPercent(rate);
    const description = rateText
      ? t('funnel.bar_label', { stage: label, count: countText, rate: rateText })
      : t('funnel.last_bar_label', { stage: label, count: countText });
    return { label, count, countText, rateText, description };
  });
  const hasNext = (/** @type {number} */ index) => index < conversion.length;
  return h(
    'section',
    { class: 'card-section', 'data-testid': 'funnel' },
    heading,
    h('p', { class: 'chart-summary' }, t('funnel.summary')),
    funnelChart(rows, t('funnel.title')),
    numbersTable(
      t('funnel.title'),
      [t('funnel.stage'), t('funnel.reached'), t('funnel.moved_on')],
      rows.map((row, index) => [row.label, row.countText, hasNext(index) ? row.rateText ?? t('common.none') : t('common.none')]),
      'funnel-table',
    ),
  );
}

/** @param {any[]} forecast */
function renderForecast(forecast) {
  const heading = h('h2', {}, t('forecast.title'));
  if (forecast.length === 0) {
    return h('section', { class: 'card-section', 'data-testid': 'forecast' }, heading, h('p', { class: 'empty' }, t('forecast.empty')));
  }
  const currencies = [...new Set(forecast.map((row) => row.currency))];
  return h(
    'section',
    { class: 'card-section', 'data-testid': 'forecast' },
    heading,
    currencies.map((currency) => {
      const rows = forecast.filter((row) => row.currency === currency);
      const columns = rows.map((row) => {
        const value = formatMoney(Number(row.value), currency);
        const weighted = formatMoney(Number(row.weighted_value), currency);
        return {
          label: formatMonth(row.month).replace(/\s*\d{4}\s*年?/, '') || formatMonth(row.month),
          value: Number(row.value),
          weighted: Number(row.weighted_value),
          valueLabel: formatCompactMoney(Number(row.value), currency),
          description: t('forecast.bar_label', { month: formatMonth(row.month), value, weighted }),
          cells: [formatMonth(row.month), value, weighted],
        };
      });
      const title = currencies.length > 1 ? `${t('forecast.title')} (${currency})` : t('forecast.title');
      return [
        currencies.length > 1 ? h('h3', {}, currency) : null,
        forecastChart(columns, title),
        h(
          'p',
          { class: 'chart-legend', 'aria-hidden': 'true' },
          h('span', { class: 'swatch swatch-light' }),
          t('forecast.value'),
          h('span', { class: 'swatch' }),
          t('forecast.weighted'),
        ),
        numbersTable(title, [t('forecast.month'), t('forecast.value'), t('forecast.weighted')], columns.map((column) => column.cells), 'forecast-table'),
      ];
    }),
  );
}

/** @param {any[]} stays */
function renderTimeInStage(stays) {
  const measured = stays.filter((row) => row.stays > 0);
  if (measured.length === 0) return null;
  return h(
    'section',
    { class: 'card-section', 'data-testid': 'time-in-stage' },
    h('h2', {}, t('time_in_stage.title')),
    h(
      'table',
      { class: 'figures' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('funnel.stage')), h('th', { scope: 'col' }, t('time_in_stage.average')))),
      h('tbody', {}, measured.map((row) => h('tr', {}, h('th', { scope: 'row' }, t(`stage.${row.stage}`)), h('td', {}, days(row.average_days))))),
    ),
  );
}

/** @param {any} stale */
function renderStale(stale) {
  const deals = stale?.deals ?? [];
  return h(
    'section',
    { class: 'card-section', 'data-testid': 'stale-deals' },
    h('h2', {}, t('stale.title')),
    deals.length === 0
      ? h('p', { class: 'empty' }, t('stale.empty'))
      : h(
          'ul',
          { class: 'list' },
          deals.map((/** @type {any} */ deal) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: dealHref(deal.id), 'data-testid': 'stale-deal', 'data-deal-id': deal.id },
                h('strong', {}, deal.title ?? ''),
                h('span', { class: 'muted' }, t('stale.item', { stage: t(`stage.${deal.stage}`), days: days(deal.days_in_stage) })),
              ),
            ),
          ),
        ),
    stale?.total > deals.length ? h('p', { class: 'muted' }, t('stale.more', { count: stale.total - deals.length })) : null,
  );
}

/** @param {any} overdue */
function renderOverdue(overdue) {
  const followups = overdue?.followups ?? [];
  return h(
    'section',
    { class: 'card-section', 'data-testid': 'overdue-followups' },
    h('h2', {}, t('overdue.title')),
    followups.length === 0
      ? h('p', { class: 'empty' }, t('overdue.empty'))
      : h(
          'ul',
          { class: 'list' },
          followups.map((/** @type {any} */ followup) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: dealHref(followup.deal_id), 'data-testid': 'overdue-followup', 'data-deal-id': followup.deal_id },
                h('strong', {}, followup.deal_title ?? ''),
                h('span', { class: 'muted' }, t('overdue.item', { date: formatDate(followup.due_at), days: days(followup.days_overdue) })),
              ),
            ),
          ),
        ),
    overdue?.total > followups.length ? h('p', { class: 'muted' }, t('stale.more', { count: overdue.total - followups.length })) : null,
  );
}
