/**
 * The KPIs the phone can compute from its own copy of the book, for the
 * dashboard when the server cannot be reached. Each figure follows the
 * server's definition (server/kpis.py) and returns the same JSON shape,
 * with money as numbers instead of decimal strings:
 *
 *   open                 open deals per currency: count, value, weighted value
 *                        (the deal's own probability, else its stage's)
 *   win_rate             won / (won + lost)
 *   average_won_value    mean value of won deals, per currency
 *   stage_conversion     per stage, deals that reached it and the next one
 *   forecast             open deals by month of expected close, per currency
 *
 * A deal parked until a day after today (UTC, as on the server) is left out
 * of the open pipeline and the forecast.
 *   overdue_followups    follow-ups not done and due before now
 *
 * The phone stores no closing or creation dates, so win rate, average won
 * value and stage conversion count every deal on the phone instead of the
 * period's deals. The figures in SERVER_ONLY need stage history or those
 * dates and exist only online.
 */

import { DEFAULT_PROBABILITIES, STAGES } from './stages.js';

/** KPIs the phone cannot compute; the dashboard names them when offline. */
export const SERVER_ONLY = /** @type {const} */ ([
  'sales_cycle',
  'sales_velocity',
  'first_response',
  'time_in_stage',
  'stale_deals',
]);

/**
 * Stage probabilities used when the team's pipelines are not on the phone;
 * the server's defaults (server/pipelines.py).
 */
export { DEFAULT_PROBABILITIES };

/** Rows listed at most in the overdue follow-up list, as on the server. */
export const LIST_LIMIT = 50;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * @typedef {{id: string, fields: Record<string, any>}} BookRecord
 * @typedef {object} LocalKpiInput
 * @property {BookRecord[]} deals  Deals that are not deleted.
 * @property {BookRecord[]} followups  Follow-ups that are not deleted.
 * @property {string} start  First day of the period, YYYY-MM-DD.
 * @property {string} end  Day after the period, YYYY-MM-DD.
 * @property {number} nowMs
 * @property {string | null} [ownerId]  Only this rep's deals, or the whole team.
 * @property {Record<string, number>} [probabilities]  Stage -> percent.
 */

/**
 * Compute the phone's KPIs; see the module comment for each definition.
 * @param {LocalKpiInput} input
 */
export function computeLocalKpis(input) {
  const { start, end, nowMs, ownerId = null } = input;
  const probabilities = input.probabilities ?? DEFAULT_PROBABILITIES;
  const dealsById = new Map(input.deals.map((deal) => [deal.id, deal]));
  const deals = ownerId ? input.deals.filter((deal) => deal.fields.owner_id === ownerId) : input.deals;

  return {
    period: { start, end },
    owner_id: ownerId,
    as_of: new Date(nowMs).toISOString(),
    open: openPipeline(deals, probabilities, todayUtc(nowMs)),
    ...closedDeals(deals),
    stage_conversion: stageConversion(deals),
    forecast: forecast(deals, probabilities, start, end, todayUtc(nowMs)),
    overdue_followups: overdueFollowups(input.followups, dealsById, ownerId, nowMs),
  };
}

/**
 * @param {BookRecord[]} deals
 * @param {Record<string, number>} probabilities
 * @param {string} today  YYYY-MM-DD in UTC.
 */
function openPipeline(deals, probabilities, today) {
  /** @type {Record<string, {deals: number, value: number, weighted_value: number, unscheduled_deals: number}>} */
  const open = {};
  for (const deal of deals) {
    if (!inPipeline(deal, today)) continue;
    const currency = deal.fields.currency ?? 'USD';
    const totals = (open[currency] ??= { deals: 0, value: 0, weighted_value: 0, unscheduled_deals: 0 });
    const value = Number(deal.fields.value) || 0;
    totals.deals += 1;
    totals.value += value;
    totals.weighted_value += (value * probabilityOf(deal, probabilities)) / 100;
    if (!deal.fields.expected_close) totals.unscheduled_deals += 1;
  }
  for (const totals of Object.values(open)) {
    totals.value = roundCents(totals.value);
    totals.weighted_value = roundCents(totals.weighted_value);
  }
  return open;
}

/** @param {BookRecord[]} deals */
function closedDeals(deals) {
  let won = 0;
  let lost = 0;
  /** @type {Record<string, {deals: number, total: number}>} */
  const wonTotals = {};
  for (const deal of deals) {
    if (deal.fields.status === 'lost') lost += 1;
    if (deal.fields.status !== 'won') continue;
    won += 1;
    if (deal.fields.value === null || deal.fields.value === undefined) continue;
    const currency = deal.fields.currency ?? 'USD';
    const totals = (wonTotals[currency] ??= { deals: 0, total: 0 });
    totals.deals += 1;
    totals.total += Number(deal.fields.value) || 0;
  }

  /** @type {Record<string, {deals: number, value: number}>} */
  const averageWonValue = {};
  for (const currency of Object.keys(wonTotals).sort()) {
    const { deals: valued, total } = wonTotals[currency];
    averageWonValue[currency] = { deals: valued, value: roundCents(total / valued) };
  }
  return {
    win_rate: { won, lost, rate: ratio(won, won + lost) },
    average_won_value: averageWonValue,
  };
}

/**
 * A deal reached a stage when its stage is that one or a later one, or
 * when it is won.
 * @param {BookRecord[]} deals
 */
function stageConversion(deals) {
  const reached = STAGES.map(() => 0);
  for (const deal of deals) {
    const index = deal.fields.status === 'won' ? STAGES.length - 1 : STAGES.indexOf(deal.fields.stage);
    for (let stage = 0; stage <= index; stage++) reached[stage] += 1;
  }
  return STAGES.slice(0, -1).map((stage, i) => ({
    stage,
    reached: reached[i],
    next_stage: STAGES[i + 1],
    next_reached: reached[i + 1],
    rate: ratio(reached[i + 1], reached[i]),
  }));
}

/**
 * @param {BookRecord[]} deals
 * @param {Record<string, number>} probabilities
 * @param {string} start
 * @param {string} end
 * @param {string} today  YYYY-MM-DD in UTC.
 */
function forecast(deals, probabilities, start, end, today) {
  /** @type {Map<string, {month: string, currency: string, deals: number, value: number, weighted_value: number}>} */
  const rows = new Map();
  for (const deal of deals) {
    const close = deal.fields.expected_close;
    if (!inPipeline(deal, today) || !close || close < start || close >= end) continue;
    const month = close.slice(0, 7);
    const currency = deal.fields.currency ?? 'USD';
    const key = `${month} ${currency}`;
    const row = rows.get(key) ?? { month, currency, deals: 0, value: 0, weighted_value: 0 };
    const value = Number(deal.fields.value) || 0;
    row.deals += 1;
    row.value += value;
    row.weighted_value += (value * probabilityOf(deal, probabilities)) / 100;
    rows.set(key, row);
  }
  return [...rows.keys()].sort().map((key) => {
    const row = /** @type {NonNullable<ReturnType<typeof rows.get>>} */ (rows.get(key));
    return { ...row, value: roundCents(row.value), weighted_value: roundCents(row.weighted_value) };
  });
}

/**
 * For one rep, a follow-up counts when assigned to the rep, or unassigned
 * on one of the rep's deals.
 * @param {BookRecord[]} followups
 * @param {Map<string, BookRecord>} dealsById
 * @param {string | null} ownerId
 * @param {number} nowMs
 */
function overdueFollowups(followups, dealsById, ownerId, nowMs) {
  const overdue = [];
  for (const followup of followups) {
    const { done, due_at: dueAt, deal_id: dealId, assignee_id: assigneeId } = followup.fields;
    const deal = dealsById.get(dealId);
    if (done || !dueAt || !deal) continue;
    const dueMs = Date.parse(dueAt);
    if (!(dueMs < nowMs)) continue;
    if (ownerId && (assigneeId ?? deal.fields.owner_id) !== ownerId) continue;
    overdue.push({
      id: followup.id,
      deal_id: dealId,
      deal_title: deal.fields.title ?? '',
      assignee_id: assigneeId ?? null,
      due_at: dueAt,
      days_overdue: Math.floor((nowMs - dueMs) / DAY_MS),
    });
  }
  overdue.sort((a, b) => a.due_at.localeCompare(b.due_at) || a.id.localeCompare(b.id));
  return { total: overdue.length, followups: overdue.slice(0, LIST_LIMIT) };
}

/**
 * Return true for an open deal that is not parked past today.
 * @param {BookRecord} deal
 * @param {string} today
 */
function inPipeline(deal, today) {
  if (deal.fields.status !== 'open') return false;
  const parkedUntil = deal.fields.parked_until;
  return !parkedUntil || parkedUntil <= today;
}

/**
 * Return the deal's win probability in percent: the rep's own, else the stage's.
 * @param {BookRecord} deal
 * @param {Record<string, number>} probabilities
 */
function probabilityOf(deal, probabilities) {
  const own = deal.fields.probability;
  if (typeof own === 'number') return own;
  return probabilities[deal.fields.stage] ?? 0;
}

/** Return the UTC date of a time as YYYY-MM-DD. */
function todayUtc(/** @type {number} */ nowMs) {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/**
 * Return numerator / denominator rounded to 4 places, or null for 0 / 0.
 * @param {number} numerator
 * @param {number} denominator
 */
function ratio(numerator, denominator) {
  if (!denominator) return null;
  return Math.round((numerator / denominator) * 10_000) / 10_000;
}

function roundCents(/** @type {number} */ amount) {
  return Math.round(amount * 100) / 100;
}

/** Months before and after the current one that the default period covers. */
const DEFAULT_PERIOD_MONTHS = 6;

/**
 * Return the default period: the six months before the current month and
 * the six after it, so past closes (win rate, cycle) and coming ones
 * (forecast) both show, whatever the time of year.
 * @param {Date} today
 * @returns {{start: string, end: string}}  ISO dates; `end` is exclusive.
 */
export function defaultPeriod(today) {
  const year = today.getFullYear();
  const month = today.getMonth();
  const iso = (/** @type {Date} */ day) =>
    `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-01`;
  return {
    start: iso(new Date(year, month - DEFAULT_PERIOD_MONTHS, 1)),
    end: iso(new Date(year, month + DEFAULT_PERIOD_MONTHS + 1, 1)),
  };
}
