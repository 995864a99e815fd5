/**
 * The "Done" and "Snooze 1 day" buttons of a reminder notification. The
 * service worker runs them with no page open and often with no signal, so
 * each one queues a mutation in the IndexedDB outbox exactly as the page
 * would: the id is `DEVICE:COUNTER` from the stored device id and counter,
 * `base` comes from the stored server copy, and `hlc` from a clock resumed
 * from the stored stamp. The page's sync loop sends it on its next round.
 */

import { HybridClock } from './hlc.js';
import { createOutbox } from './outbox.js';
import { META_KEYS } from './store.js';

/** How far "Snooze 1 day" moves a follow-up, in ms. */
export const SNOOZE_MS = 24 * 60 * 60 * 1000;

/** Notification action ids, as the server's push payload names them. */
export const REMINDER_ACTIONS = /** @type {const} */ ({ done: 'done', snooze: 'snooze-1d' });

/**
 * Return the fields a reminder action writes on its follow-up.
 * @param {string} action  One of REMINDER_ACTIONS.
 * @param {number} nowMs
 * @returns {Record<string, any>}
 */
export function reminderActionFields(action, nowMs) {
  if (action === REMINDER_ACTIONS.done) return { done: true };
  if (action === REMINDER_ACTIONS.snooze) {
    return { due_at: new Date(nowMs + SNOOZE_MS).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  throw new Error(`Unknown reminder action ${JSON.stringify(action)}; expected "done" or "snooze-1d".`);
}

/**
 * Queue the mutation of a reminder action on a follow-up and return it.
 * Rejects when the phone has never signed in (no device id), because then
 * there is no outbox the server would accept.
 * @param {import('./store.js').Store} store
 * @param {{action: string, followupId: string, nowMs?: number}} request
 * @returns {Promise<import('./sync-client.js').Mutation>}
 */
export async function queueReminderAction(store, { action, followupId, nowMs = Date.now() }) {
  const fields = reminderActionFields(action, nowMs);
  const deviceId = await store.getMeta(META_KEYS.deviceId);
  if (!deviceId) {
    throw new Error(`Cannot queue "${action}" for follow-up ${followupId}: this phone has no device id; sign in first.`);
  }
  const clock = new HybridClock(deviceId, (await store.getMeta(META_KEYS.clockStamp)) ?? null);
  const offsetMs = (await store.getMeta(META_KEYS.serverOffsetMs)) ?? 0;
  const outbox = createOutbox({
    store,
    clock,
    deviceId,
    now: () => nowMs,
    getServerOffsetMs: () => offsetMs,
  });
  return outbox.enqueue('followup', followupId, fields);
}
