/**
 * Per-field merge of one mutation into one record, the twin of
 * sync/merge.py. It uses no DOM, so pages and the service worker share it.
 *
 * The rules of docs/sync.md, tried in order for each field:
 * 1. The record has no value for the field: apply.
 * 2. The record is deleted and the mutation does not set `deleted`: apply
 *    nothing, keep the values in history (`edit_on_deleted`).
 * 3. The device that wrote the current value sent the mutation: apply if
 *    the mutation's stamp is higher, else keep it in history (`superseded`).
 * 4. The mutation's base is at least the field's `ver`: a sequential edit.
 *    Apply and keep the old value in history (`overwritten`).
 * 5. Otherwise the edits are concurrent and the higher stamp wins, except
 *    that a stamp more than MAX_CLOCK_AHEAD_MS ahead of `nowMs` never wins.
 *    The loser goes to history (`concurrent`). For a free-text field a
 *    conflict entry also contains both texts.
 *
 * Rule 2 is checked for the whole mutation before any field, so a mutation
 * on a deleted record writes nothing, not even a field the record lacks.
 */

import { InvalidStamp, SyncError, checkDevice, parseStamp, wallMsOf } from './hlc.js';

export { InvalidStamp, SyncError };

/**
 * Maximum lead, in ms, of a stamp over the server's clock for it to still
 * win a concurrent edit. It stops a phone with a fast clock winning every edit.
 */
export const MAX_CLOCK_AHEAD_MS = 60_000;

/** Raised when a mutation is malformed or does not match its record. */
export class InvalidMutation extends SyncError {}

/** Raised when a stored record cannot be merged into. */
export class InvalidRecord extends SyncError {}

/**
 * @typedef {{ver: number, hlc: string, dev: string}} FieldMeta
 * @typedef {{entity: string, id: string, fields: Record<string, unknown>,
 *   meta: Record<string, FieldMeta>}} SyncRecord
 * @typedef {{id?: string, entity: string, record_id: string,
 *   fields: Record<string, unknown>, base?: Record<string, number>,
 *   hlc: string}} Mutation
 * @typedef {'overwritten' | 'concurrent' | 'superseded' | 'edit_on_deleted'} Reason
 * @typedef {{field: string, value: unknown, hlc: string, dev: string,
 *   reason: Reason}} HistoryEntry
 * @typedef {{field: string, kept: unknown, other: unknown, kept_hlc: string,
 *   other_hlc: string, other_dev: string}} Conflict
 * @typedef {{record: SyncRecord, status: 'applied' | 'deleted' | 'unchanged',
 *   history: HistoryEntry[], conflicts: Conflict[],
 *   changed_fields: string[]}} Outcome
 * @typedef {{device: string, seq: number, nowMs: number,
 *   textFields: Iterable<string>}} MergeContext
 */

/**
 * Merges `mutation` from `device` into `record` and returns the outcome.
 * `record` is null when the record does not exist yet. `seq` is the team's
 * change sequence number given to the fields the mutation writes, and
 * `nowMs` the server's clock. Neither argument is modified.
 * @param {SyncRecord | null} record
 * @param {Mutation} mutation
 * @param {MergeContext} context
 * @returns {Outcome}
 */
export function applyMutation(record, mutation, { device, seq, nowMs, textFields }) {
  checkDevice(device);
  checkContext(seq, nowMs);
  checkMutation(mutation);
  const created = record === null || record === undefined;
  const merged = created ? newRecord(mutation) : copyRecord(record, mutation);
  /** @type {Outcome} */
  const outcome = {
    record: merged,
    status: 'unchanged',
    history: [],
    conflicts: [],
    changed_fields: [],
  };
  const incoming = structuredClone(mutation.fields);
  /** @type {FieldMeta} */
  const written = { ver: seq, hlc: mutation.hlc, dev: device };

  if (merged.fields.deleted === true && !hasOwn(incoming, 'deleted')) {
    for (const [field, value] of Object.entries(incoming)) {
      lose(outcome, field, value, written, 'edit_on_deleted');
    }
    outcome.status = 'deleted';
    return outcome;
  }

  const base = mutation.base ?? {};
  const textSet = new Set(textFields);
  for (const [field, value] of Object.entries(incoming)) {
    const fieldBase = hasOwn(base, field) ? base[field] : 0;
    mergeField(outcome, field, value, fieldBase, written, nowMs, textSet.has(field));
  }

  if (created && !hasOwn(merged.fields, 'deleted')) {
    write(outcome, 'deleted', false, written);
  }
  if (outcome.changed_fields.length > 0) {
    outcome.status = 'applied';
  }

  return outcome;
}

/**
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} value
 * @param {number} base
 * @param {FieldMeta} written
 * @param {number} nowMs
 * @param {boolean} isText
 */
function mergeField(outcome, field, value, base, written, nowMs, isText) {
  const record = outcome.record;
  if (!hasOwn(record.fields, field)) {
    write(outcome, field, value, written);
    return;
  }

  const current = currentMeta(record, field);
  if (current.dev === written.dev) {
    if (written.hlc > current.hlc) {
      overwrite(outcome, field, value, written, 'overwritten');
    } else {
      lose(outcome, field, value, written, 'superseded');
    }
  } else if (base >= current.ver) {
    overwrite(outcome, field, value, written, 'overwritten');
  } else if (winsConcurrent(written.hlc, current.hlc, nowMs)) {
    const keptValue = structuredClone(value);
    const oldValue = overwrite(outcome, field, value, written, 'concurrent');
    if (isText) addConflict(outcome, field, keptValue, written, oldValue, current);
  } else {
    const keptValue = structuredClone(record.fields[field]);
    lose(outcome, field, value, written, 'concurrent');
    if (isText) addConflict(outcome, field, keptValue, current, value, written);
  }
}

/**
 * @param {string} incomingHlc
 * @param {string} currentHlc
 * @param {number} nowMs
 * @returns {boolean}
 */
function winsConcurrent(incomingHlc, currentHlc, nowMs) {
  // NOTE: when both stamps are too far ahead, the value that arrived first
  // is kept, so the result then depends on the order of arrival.
  if (wallMsOf(incomingHlc) - nowMs > MAX_CLOCK_AHEAD_MS) return false;
  if (wallMsOf(currentHlc) - nowMs > MAX_CLOCK_AHEAD_MS) return true;

  return incomingHlc > currentHlc;
}

/**
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} value
 * @param {FieldMeta} written
 */
function write(outcome, field, value, written) {
  outcome.record.fields[field] = value;
  outcome.record.meta[field] = { ...written };
  outcome.changed_fields.push(field);
}

/**
 * Writes `value`, moving the old value to history, and returns the old one.
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} value
 * @param {FieldMeta} written
 * @param {Reason} reason
 * @returns {unknown}
 */
function overwrite(outcome, field, value, written, reason) {
  const oldValue = outcome.record.fields[field];
  const oldMeta = outcome.record.meta[field];
  if (!sameValue(oldValue, value)) {
    addHistory(outcome, field, oldValue, oldMeta, reason);
  }
  write(outcome, field, value, written);

  return oldValue;
}

/**
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} value
 * @param {FieldMeta} written
 * @param {Reason} reason
 */
function lose(outcome, field, value, written, reason) {
  const fields = outcome.record.fields;
  if (hasOwn(fields, field) && sameValue(fields[field], value)) return;
  addHistory(outcome, field, value, written, reason);
}

/**
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} value
 * @param {FieldMeta} meta
 * @param {Reason} reason
 */
function addHistory(outcome, field, value, meta, reason) {
  outcome.history.push({
    field,
    value: structuredClone(value),
    hlc: meta.hlc,
    dev: meta.dev,
    reason,
  });
}

/**
 * @param {Outcome} outcome
 * @param {string} field
 * @param {unknown} kept
 * @param {FieldMeta} keptMeta
 * @param {unknown} other
 * @param {FieldMeta} otherMeta
 */
function addConflict(outcome, field, kept, keptMeta, other, otherMeta) {
  if (sameValue(kept, other)) return;
  outcome.conflicts.push({
    field,
    kept: structuredClone(kept),
    other: structuredClone(other),
    kept_hlc: keptMeta.hlc,
    other_hlc: otherMeta.hlc,
    other_dev: otherMeta.dev,
  });
}

/**
 * Compares two JSON values by content.
 * @param {unknown} left
 * @param {unknown} right
 * @returns {boolean}
 */
export function sameValue(left, right) {
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => sameValue(item, right[index]))
    );
  }
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => hasOwn(right, key) && sameValue(left[key], right[key]))
    );
  }

  return left === right;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param {object} object
 * @param {string} key
 */
function hasOwn(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * @param {Mutation} mutation
 * @returns {SyncRecord}
 */
function newRecord(mutation) {
  return { entity: mutation.entity, id: mutation.record_id, fields: {}, meta: {} };
}

/**
 * @param {SyncRecord} record
 * @param {Mutation} mutation
 * @returns {SyncRecord}
 */
function copyRecord(record, mutation) {
  if (!isObject(record)) {
    throw new InvalidRecord(`Record ${JSON.stringify(record)} is not a JSON object.`);
  }
  const where = `${quote(record.entity)} record ${quote(record.id)}`;
  if (record.entity !== mutation.entity || record.id !== mutation.record_id) {
    throw new InvalidMutation(
      `Mutation for ${quote(mutation.entity)} record ${quote(mutation.record_id)} ` +
        `cannot apply to ${where}; load the record the mutation names.`,
    );
  }
  if (!isObject(record.fields)) {
    throw new InvalidRecord(`The fields of ${where} are not a JSON object.`);
  }
  if (record.meta !== undefined && !isObject(record.meta)) {
    throw new InvalidRecord(`The meta of ${where} is not a JSON object.`);
  }

  const merged = structuredClone(record);
  merged.meta ??= {};
  return merged;
}

/**
 * @param {SyncRecord} record
 * @param {string} field
 * @returns {FieldMeta}
 */
function currentMeta(record, field) {
  const meta = hasOwn(record.meta, field) ? record.meta[field] : undefined;
  const where = `${quote(record.entity)} record ${quote(record.id)}`;
  if (!isObject(meta)) {
    throw new InvalidRecord(
      `Field ${quote(field)} of ${where} has a value but no meta; ` +
        'store ver, hlc and dev with every field.',
    );
  }
  if (!Number.isInteger(meta.ver) || meta.ver < 0) {
    throw new InvalidRecord(
      `Field ${quote(field)} of ${where} has invalid ver ${quote(meta.ver)}.`,
    );
  }
  if (typeof meta.dev !== 'string') {
    throw new InvalidRecord(
      `Field ${quote(field)} of ${where} has invalid dev ${quote(meta.dev)}.`,
    );
  }
  parseStamp(meta.hlc);

  return meta;
}

/**
 * @param {number} seq
 * @param {number} nowMs
 */
function checkContext(seq, nowMs) {
  if (!Number.isInteger(seq) || seq < 1) {
    throw new InvalidMutation(`Sequence number ${quote(seq)} is not a positive integer.`);
  }
  if (!Number.isInteger(nowMs) || nowMs < 0) {
    throw new InvalidMutation(
      `Server time ${quote(nowMs)} is not a non-negative integer of ms.`,
    );
  }
}

/** @param {Mutation} mutation */
function checkMutation(mutation) {
  if (!isObject(mutation)) {
    throw new InvalidMutation(`Mutation ${quote(mutation)} is not a JSON object.`);
  }
  const name = `Mutation ${quote(mutation.id ?? '(no id)')}`;
  for (const key of /** @type {const} */ (['entity', 'record_id'])) {
    if (typeof mutation[key] !== 'string' || mutation[key] === '') {
      throw new InvalidMutation(
        `${name} has invalid ${key} ${quote(mutation[key])}; send a non-empty string.`,
      );
    }
  }
  const fields = mutation.fields;
  if (!isObject(fields) || Object.keys(fields).length === 0) {
    throw new InvalidMutation(
      `${name} has fields ${quote(fields)}; send an object with at least one field.`,
    );
  }
  if (hasOwn(fields, 'deleted') && typeof fields.deleted !== 'boolean') {
    throw new InvalidMutation(
      `${name} sets deleted to ${quote(fields.deleted)}; send true or false.`,
    );
  }
  checkBase(name, mutation.base ?? {});
  if (typeof mutation.hlc !== 'string') {
    throw new InvalidStamp(
      `${name} has hlc ${quote(mutation.hlc)}; send the device's clock stamp ` +
        'of the edit.',
    );
  }
  parseStamp(mutation.hlc);
}

/**
 * @param {string} name
 * @param {unknown} base
 */
function checkBase(name, base) {
  if (!isObject(base)) {
    throw new InvalidMutation(`${name} has base ${quote(base)}; send an object.`);
  }
  for (const [field, ver] of Object.entries(base)) {
    if (!Number.isInteger(ver) || /** @type {number} */ (ver) < 0) {
      throw new InvalidMutation(
        `${name} has base ${quote(ver)} for field ${quote(field)}; send the ` +
          'non-negative ver the device had seen, or 0 for a new field.',
      );
    }
  }
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function quote(value) {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
