/**
 * The edits a rep makes on a deal page, each turned into one mutation on
 * the outbox. Every function rejects, with nothing queued, when the phone
 * cannot store the edit.
 */

import { BANT_FIELDS } from './lead-score.js';
import { nextStage } from './stages.js';

/**
 * @typedef {import('./outbox.js').Outbox} Outbox
 * @typedef {import('./local-view.js').LocalRecord} LocalRecord
 */

/**
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {string} stage
 */
export function moveToStage(outbox, deal, stage) {
  return outbox.enqueue('deal', deal.id, { stage });
}

/**
 * Move a deal to the stage after its current one. Resolves to null on the
 * last stage.
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 */
export async function moveToNextStage(outbox, deal) {
  const stage = nextStage(deal.fields.stage);
  if (!stage) return null;
  return moveToStage(outbox, deal, stage);
}

/**
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {number} value
 */
export function setValue(outbox, deal, value) {
  return outbox.enqueue('deal', deal.id, { value });
}

/**
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {string | null} expectedClose  YYYY-MM-DD, or null to clear it.
 */
export function setExpectedClose(outbox, deal, expectedClose) {
  return outbox.enqueue('deal', deal.id, { expected_close: expectedClose });
}

/**
 * Check or uncheck one BANT item. Each item is its own field, so two reps
 * who tick different items of one deal both keep their ticks.
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {typeof BANT_FIELDS[number]} item
 * @param {boolean} checked
 */
export function setBantItem(outbox, deal, item, checked) {
  if (!BANT_FIELDS.includes(item)) throw new Error(`${item} is not a BANT field; use one of ${BANT_FIELDS.join(', ')}.`);
  return outbox.enqueue('deal', deal.id, { [item]: checked });
}

/**
 * Set the rep's own win probability of a deal, a whole percent from 0 to
 * 100, or null to go back to the stage's default. Moving the deal to
 * another stage leaves it as it is.
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {number | null} percent
 */
export function setProbability(outbox, deal, percent) {
  if (percent !== null && !isWholePercent(percent)) {
    throw new RangeError(`Probability ${percent} is invalid; use a whole percent from 0 to 100, or null.`);
  }
  return outbox.enqueue('deal', deal.id, { probability: percent });
}

/**
 * Return true for a whole number from 0 to 100, as the server accepts for
 * `probability`.
 * @param {unknown} value
 */
export function isWholePercent(value) {
  return Number.isInteger(value) && /** @type {number} */ (value) >= 0 && /** @type {number} */ (value) <= 100;
}

/**
 * Replace the deal's description. It is a free-text field, so a concurrent
 * edit by a teammate makes a conflict that keeps both texts.
 * @param {Outbox} outbox
 * @param {LocalRecord} deal
 * @param {string} description
 */
export function setDescription(outbox, deal, description) {
  return outbox.enqueue('deal', deal.id, { description });
}

/**
 * Create a meeting note on a deal.
 * @param {Outbox} outbox
 * @param {{dealId: string, authorId: string, metAt: string, body: string}} note
 *   metAt is a YYYY-MM-DD date. The note records noon UTC of that day, so
 *   the date reads the same from UTC-11 to UTC+11.
 */
export function logNote(outbox, { dealId, authorId, metAt, body }) {
  return outbox.enqueue('note', crypto.randomUUID(), {
    deal_id: dealId,
    author_id: authorId,
    met_at: `${metAt}T12:00:00Z`,
    body,
    deleted: false,
  });
}

/**
 * Schedule a follow-up on a deal, assigned to the rep who schedules it.
 * @param {Outbox} outbox
 * @param {{dealId: string, assigneeId: string, dueAt: string}} followup
 *   dueAt is a local date-time from a datetime-local input.
 */
export function scheduleFollowup(outbox, { dealId, assigneeId, dueAt }) {
  return outbox.enqueue('followup', crypto.randomUUID(), {
    deal_id: dealId,
    assignee_id: assigneeId,
    due_at: new Date(dueAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    done: false,
    deleted: false,
  });
}

/**
 * Replace the text of a meeting note.
 * @param {Outbox} outbox
 * @param {LocalRecord} note
 * @param {string} body
 */
export function editNoteBody(outbox, note, body) {
  return outbox.enqueue('note', note.id, { body });
}

/**
 * @param {Outbox} outbox
 * @param {LocalRecord} followup
 */
export function markFollowupDone(outbox, followup) {
  return outbox.enqueue('followup', followup.id, { done: true });
}

/**
 * Return the rep's side and the teammate's side of a conflict. The side
 * whose edit this device wrote is "mine": if the record's field was last
 * written by this device, the kept value is mine, otherwise the other one.
 * @param {LocalRecord} conflict
 * @param {LocalRecord | null} record
 * @param {string} deviceId
 */
export function conflictSides(conflict, record, deviceId) {
  const { kept, other, field } = conflict.fields;
  const keptIsMine = record?.server?.meta?.[field]?.dev === deviceId;
  return keptIsMine ? { mine: kept, theirs: other } : { mine: other, theirs: kept };
}

/**
 * Resolve a conflict: write the chosen text to the record's field, then
 * mark the conflict resolved. "both" keeps my text, then theirs.
 * @param {Outbox} outbox
 * @param {LocalRecord} conflict
 * @param {LocalRecord | null} record
 * @param {'mine' | 'theirs' | 'both'} choice
 * @param {string} deviceId
 */
export async function resolveConflict(outbox, conflict, record, choice, deviceId) {
  const { mine, theirs } = conflictSides(conflict, record, deviceId);
  const value = { mine, theirs, both: `${mine ?? ''}\n\n${theirs ?? ''}` }[choice];
  await outbox.enqueue(conflict.fields.entity, conflict.fields.record_id, {
    [conflict.fields.field]: value,
  });
  await outbox.enqueue('conflict', conflict.id, { resolved: true });
}
