/**
 * Rotting deals, worked out on the phone from the records it holds, so the
 * board can flag them offline. The rule mirrors `plan_rotting` in
 * server/reminders.py: an open deal that is not deleted and not parked
 * rots when its last activity is older than its stage's limit, unless a
 * follow-up that is not done is due after now.
 *
 * The phone has no stage events or row timestamps, so it reads times from
 * hybrid logical clock stamps instead. The stage entry is the wall time of
 * the `stage` field's stamp, and a record's creation is its earliest stamp.
 */

import { wallMsOf } from './hlc.js';
import { DEFAULT_ROTTING_DAYS } from './stages.js';

/** Milliseconds in a day, the unit of the stage limits. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * @typedef {import('./local-view.js').LocalRecord} LocalRecord
 * @typedef {import('./sync-client.js').Mutation} Mutation
 */

/**
 * The records and the time the rule reads besides the deal itself.
 * @typedef {object} RottingContext
 * @property {LocalRecord[]} [notes]  The deal's notes, of which deleted ones are skipped.
 * @property {LocalRecord[]} [followups]  The deal's follow-ups, of which deleted ones are skipped.
 * @property {Mutation[]} [pending]  The deal's pending mutations, which count as activity.
 * @property {number} nowMs  The current time in ms since the epoch.
 * @property {Record<string, number | null>} [limitsDays]  Days per stage; a stage
 *   missing or null never rots. Defaults to DEFAULT_ROTTING_DAYS.
 */

/**
 * Return whether a deal has gone without activity past its stage's limit.
 * @param {LocalRecord} deal
 * @param {RottingContext} context
 * @returns {boolean}
 */
export function isRotting(deal, context) {
  const { fields } = deal;
  const { followups = [], nowMs, limitsDays = DEFAULT_ROTTING_DAYS } = context;
  if (deal.deleted || fields.status !== 'open' || isParked(fields.parked_until, nowMs)) {
    return false;
  }

  const limitDays = limitsDays[fields.stage];
  if (limitDays === null || limitDays === undefined) return false;
  if (followups.some((followup) => isScheduledAfter(followup, nowMs))) return false;

  const activityMs = lastActivityMs(deal, context);
  if (activityMs === null) return false;

  return nowMs - activityMs > limitDays * DAY_MS;
}

/**
 * Return the time of a deal's last activity in ms, or null when the phone
 * has no stamp of it (a deal created on this phone and never synced, with
 * no pending mutation either).
 *
 * Activity is the latest of: any field stamp of the server copy (the stage
 * entry among them), a pending mutation, the end of a past parking, and
 * each note that is not deleted, by meeting time and by creation.
 * @param {LocalRecord} deal
 * @param {Pick<RottingContext, 'notes' | 'pending'>} context
 * @returns {number | null}
 */
export function lastActivityMs(deal, { notes = [], pending = [] }) {
  const times = [
    ...stampTimes(deal.server?.meta),
    ...pending.map((mutation) => wallMsOf(mutation.hlc)),
  ];
  const unparked = parseTime(deal.fields.parked_until);
  if (unparked !== null) times.push(unparked);

  for (const note of notes) {
    if (note.deleted) continue;
    const metAt = parseTime(note.fields.met_at);
    if (metAt !== null) times.push(metAt);
    // The server counts a note's creation too, and its earliest stamp is the
    // phone's closest record of that time.
    const created = stampTimes(note.server?.meta);
    if (created.length > 0) times.push(Math.min(...created));
  }

  return times.length > 0 ? Math.max(...times) : null;
}

/**
 * Return the whole days between a deal's last activity and now, or null
 * when the phone has no stamp of its activity.
 * @param {LocalRecord} deal
 * @param {RottingContext} context
 * @returns {number | null}
 */
export function daysWithoutActivity(deal, context) {
  const activityMs = lastActivityMs(deal, context);
  if (activityMs === null) return null;

  return Math.max(0, Math.floor((context.nowMs - activityMs) / DAY_MS));
}

/**
 * Return whether a deal is parked now: `parked_until` is a day after today
 * in UTC, the day the server compares it with.
 * @param {string | null | undefined} parkedUntil  `YYYY-MM-DD`.
 * @param {number} nowMs
 */
function isParked(parkedUntil, nowMs) {
  if (!parkedUntil) return false;

  const today = new Date(nowMs).toISOString().slice(0, 10);
  return String(parkedUntil) > today;
}

/**
 * @param {LocalRecord} followup
 * @param {number} nowMs
 */
function isScheduledAfter(followup, nowMs) {
  if (followup.deleted || followup.fields.done) return false;

  const dueMs = parseTime(followup.fields.due_at);
  return dueMs !== null && dueMs > nowMs;
}

/**
 * Return the wall times of every field stamp in a record's meta.
 * @param {Record<string, {hlc?: string}> | undefined} meta
 * @returns {number[]}
 */
function stampTimes(meta) {
  return Object.values(meta ?? {})
    .filter((field) => typeof field?.hlc === 'string')
    .map((field) => wallMsOf(/** @type {string} */ (field.hlc)));
}

/**
 * Parse an ISO date or date-time, or return null for a missing or invalid
 * value. A date alone is midnight UTC, as the server reads `parked_until`.
 * @param {unknown} value
 * @returns {number | null}
 */
function parseTime(value) {
  if (typeof value !== 'string' || value === '') return null;

  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
