/**
 * The outbox: every edit the rep makes becomes a mutation that is queued in
 * the store and shown at once in the local view (optimistic), then sent by
 * the sync loop oldest first. A mutation leaves the outbox only when a sync
 * response names it: applied and duplicate ones are dropped, and rejected or
 * deleted ones move to the set-aside list, where the rep fixes, discards or
 * restores them. Nothing the rep typed is dropped without the rep's action.
 */

import { MAX_BATCH } from './sync-client.js';

/**
 * @typedef {import('./store.js').Store} Store
 * @typedef {import('./store.js').SetAsideChange} SetAsideChange
 * @typedef {import('./sync-client.js').Mutation} Mutation
 * @typedef {import('./sync-client.js').MutationResult} MutationResult
 */

/**
 * @typedef {object} OutboxOptions
 * @property {Store} store
 * @property {{now(wallMs: number): string}} clock  Hybrid logical clock issuing stamps.
 * @property {string} deviceId
 * @property {() => number} [now]  Wall clock, ms since the epoch.
 * @property {() => number} [getServerOffsetMs]  Measured server time minus phone time.
 * @property {(mutation: Mutation) => void} [onEnqueued]  Called after each commit, to start a sync.
 */

/** Create the outbox for one device. */
export function createOutbox(/** @type {OutboxOptions} */ options) {
  const {
    store,
    clock,
    deviceId,
    now = Date.now,
    getServerOffsetMs = () => 0,
    onEnqueued = () => {},
  } = options;

  /**
   * Queue an edit of a record and show it locally. Rejects, with nothing
   * queued, when the store cannot write.
   * @param {string} entity
   * @param {string} recordId
   * @param {Record<string, any>} fields
   * @returns {Promise<Mutation>}
   */
  async function enqueue(entity, recordId, fields) {
    if (Object.keys(fields).length === 0) {
      throw new Error(`Edit of ${entity} ${recordId} changes no field.`);
    }
    const hlc = clock.now(now() + getServerOffsetMs());
    const mutation = await store.enqueueMutation({
      deviceId,
      entity,
      recordId,
      fields,
      hlc,
    });
    onEnqueued(mutation);
    return mutation;
  }

  /**
   * Queue a set-aside change again with the rep's corrected fields, as a new
   * mutation, because the server returns the first result for an old id forever.
   * @param {SetAsideChange} change
   * @param {Record<string, any>} fields
   */
  async function resend(change, fields) {
    const mutation = await enqueue(change.mutation.entity, change.mutation.record_id, fields);
    await store.removeSetAsideChange(change.id);
    return mutation;
  }

  /**
   * Restore a record a teammate deleted, together with the rep's edit.
   * @param {SetAsideChange} change
   */
  function restore(change) {
    return resend(change, { ...change.mutation.fields, deleted: false });
  }

  /** Drop a set-aside change for good. */
  function discard(/** @type {SetAsideChange} */ change) {
    return store.removeSetAsideChange(change.id);
  }

  return { enqueue, resend, restore, discard };
}

/** @typedef {ReturnType<typeof createOutbox>} Outbox */

/**
 * Return the next batch to send: the oldest pending mutations, at most
 * MAX_BATCH of them.
 * @param {Store} store
 */
export function takeBatch(store) {
  return store.getPendingMutations(MAX_BATCH);
}

/**
 * Sort the results of one sync request into store writes. Mutations that
 * were sent but got no result stay queued for the next request, in place.
 * @param {Mutation[]} sent
 * @param {MutationResult[]} results
 * @param {number} nowMs
 * @returns {{removeIds: string[], setAside: SetAsideChange[]}}
 */
export function planResults(sent, results, nowMs) {
  const sentById = new Map(sent.map((mutation) => [mutation.id, mutation]));
  /** @type {string[]} */
  const removeIds = [];
  /** @type {SetAsideChange[]} */
  const setAside = [];

  for (const result of results) {
    const mutation = sentById.get(result.id);
    if (!mutation) continue;

    if (result.status === 'applied' || result.status === 'duplicate') {
      removeIds.push(result.id);
    } else if (result.status === 'rejected' || result.status === 'deleted') {
      setAside.push({
        id: result.id,
        kind: result.status,
        mutation,
        errors: result.errors ?? {},
        at: nowMs,
      });
    }
  }

  return { removeIds, setAside };
}
