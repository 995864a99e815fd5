/**
 * The phone's view of a record: the last server copy with the rep's pending
 * mutations laid over it, oldest first. The rep's own unsynced edits always
 * show, because they are what the rep last typed; the server's merge decides
 * later whether they win.
 *
 * NOTE: the merge rule of merge.js is not applied here, so until the next
 * sync an edit that will lose to a concurrent one shows as if it won.
 */

/**
 * @typedef {import('./sync-client.js').WireRecord} WireRecord
 * @typedef {import('./sync-client.js').Mutation} Mutation
 */

/**
 * A row of the records store.
 * @typedef {object} LocalRecord
 * @property {string} entity
 * @property {string} id
 * @property {Record<string, any>} fields  Local view: server fields plus pending edits.
 * @property {boolean} deleted  Local view of the `deleted` field.
 * @property {number} pending  Number of pending mutations laid over the server copy.
 * @property {WireRecord | null} server  Last copy received from the server.
 */

/**
 * Build the local view of a record, or return null when there is neither a
 * server copy nor a pending mutation.
 * @param {string} entity
 * @param {string} id
 * @param {WireRecord | null} server
 * @param {Mutation[]} pending  Pending mutations of this record, oldest first.
 * @returns {LocalRecord | null}
 */
export function buildLocalRecord(entity, id, server, pending) {
  if (!server && pending.length === 0) return null;

  const fields = { ...(server?.fields ?? {}) };
  let deleted = server?.deleted ?? false;
  for (const mutation of pending) {
    for (const [name, value] of Object.entries(mutation.fields)) {
      if (name === 'deleted') deleted = Boolean(value);
      else fields[name] = value;
    }
  }

  return { entity, id, fields, deleted, pending: pending.length, server };
}

/**
 * Return, per field of an edit, the `ver` the phone has seen in its server
 * copy (0 for a field it has never seen).
 * @param {WireRecord | null} server
 * @param {string[]} fieldNames
 * @returns {Record<string, number>}
 */
export function baseVersions(server, fieldNames) {
  /** @type {Record<string, number>} */
  const base = {};
  for (const name of fieldNames) {
    base[name] = server?.meta?.[name]?.ver ?? 0;
  }
  return base;
}
