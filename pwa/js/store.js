/**
 * The phone's database: one IndexedDB database that owns its name, version,
 * store names and upgrade steps. Every other module reads and writes through
 * the queries here.
 *
 * Stores:
 *   records    local view of each record, keyed by [entity, id]; holds the
 *              last server copy in `server` and the view with pending edits
 *              laid over it in `fields` / `deleted` (see local-view.js)
 *              Conflict rows are indexed by the record they are about.
 *   outbox     pending mutations keyed by a local sequence, oldest first
 *   meta       single values by key (cursor, device id, clock, token, ...)
 *   set_aside  mutations the server rejected or could not apply to a
 *              deleted record, keyed by mutation id, kept until the rep acts
 *
 * Writes that fail (for example QuotaExceededError) reject and also fire a
 * "write-failed" event, so the shell can tell the rep. Every committed write
 * fires a "change" event naming the stores it touched.
 */

import { baseVersions, buildLocalRecord } from './local-view.js';

/**
 * @typedef {import('./local-view.js').LocalRecord} LocalRecord
 * @typedef {import('./sync-client.js').Mutation} Mutation
 * @typedef {import('./sync-client.js').WireRecord} WireRecord
 */

export const DB_NAME = 'dealbook';
export const DB_VERSION = 2;

export const RECORDS = 'records';
export const OUTBOX = 'outbox';
export const META = 'meta';
export const SET_ASIDE = 'set_aside';

const ALL_STORES = [RECORDS, OUTBOX, META, SET_ASIDE];

/** Meta keys, one per stored value. */
export const META_KEYS = /** @type {const} */ ({
  cursor: 'cursor',
  deviceId: 'device_id',
  mutationCounter: 'mutation_counter',
  clockStamp: 'clock_stamp',
  serverOffsetMs: 'server_offset_ms',
  token: 'token',
  user: 'user',
  members: 'team_members',
});

/**
 * Upgrade steps: UPGRADES[n] brings a database from version n to n + 1.
 * They run inside the versionchange transaction, which IndexedDB rolls back
 * whole if a step throws, so the phone keeps its old version and data.
 * Append a step to change the schema; never edit a released one, because
 * phones that ran it keep what it made. Exported so that tests can build a
 * database as an older app version left it.
 * @type {readonly ((db: IDBDatabase, tx: IDBTransaction) => void)[]}
 */
export const UPGRADES = Object.freeze([
  (db) => {
    const records = db.createObjectStore(RECORDS, { keyPath: ['entity', 'id'] });
    records.createIndex('by_entity', 'entity');
    records.createIndex('by_deal_stage', ['entity', 'fields.stage']);
    records.createIndex('by_deal', ['entity', 'fields.deal_id']);

    const outbox = db.createObjectStore(OUTBOX, { keyPath: 'seq' });
    outbox.createIndex('by_record', ['mutation.entity', 'mutation.record_id']);
    outbox.createIndex('by_id', 'mutation.id', { unique: true });

    db.createObjectStore(META);
    db.createObjectStore(SET_ASIDE, { keyPath: 'id' });
  },

  // Version 2: conflicts by the record they are about, so the deal page
  // reads its own conflicts instead of every conflict on the phone.
  // Creating the index fills it from the rows already stored.
  (db, tx) => {
    const records = tx.objectStore(RECORDS);
    if (!records.indexNames.contains('by_record_id')) {
      records.createIndex('by_record_id', ['entity', 'fields.record_id']);
    }
  },
]);

/**
 * A mutation set aside because the server will never apply it as sent.
 * @typedef {object} SetAsideChange
 * @property {string} id  The mutation id.
 * @property {'rejected' | 'deleted'} kind  Rejected as invalid, or aimed at a deleted record.
 * @property {Mutation} mutation
 * @property {Record<string, string>} errors  Per rejected field, the server's reason.
 * @property {number} at  When it was set aside, ms since the epoch.
 */

/**
 * A planned update of the database from one sync response, written in one
 * transaction.
 * @typedef {object} SyncWrite
 * @property {string[]} removeIds  Mutations the server applied or had seen; dropped from the outbox.
 * @property {SetAsideChange[]} setAside  Mutations moved from the outbox to the set-aside list.
 * @property {WireRecord[]} changes  New server copies.
 * @property {string | null} cursor
 */

/**
 * Open (creating or upgrading) the database.
 * @param {{indexedDB?: IDBFactory, name?: string}} [options]
 */
export async function openStore(options = {}) {
  const { indexedDB = globalThis.indexedDB, name = DB_NAME } = options;
  const open = indexedDB.open(name, DB_VERSION);
  open.onupgradeneeded = (event) => {
    const db = open.result;
    const tx = /** @type {IDBTransaction} */ (open.transaction);
    for (let version = event.oldVersion; version < DB_VERSION; version++) {
      UPGRADES[version](db, tx);
    }
  };
  const db = await requestResult(open);
  return new Store(db);
}

/** Access to the database; see the module comment for its stores and events. */
export class Store extends EventTarget {
  /** @param {IDBDatabase} db */
  constructor(db) {
    super();
    this.db = db;
    // Another tab opened a newer version: let it upgrade, and reload this one.
    db.onversionchange = () => {
      db.close();
      this.dispatchEvent(new Event('versionchange'));
    };
  }

  close() {
    this.db.close();
  }

  // --- meta ---------------------------------------------------------------

  /**
   * @param {string} key
   * @returns {Promise<any>}
   */
  getMeta(key) {
    return this.read([META], (tx) => requestResult(tx.objectStore(META).get(key)));
  }

  /** Write several meta values in one transaction. */
  setMeta(/** @type {Record<string, unknown>} */ values) {
    return this.write([META], (tx) => {
      const meta = tx.objectStore(META);
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) meta.delete(key);
        else meta.put(value, key);
      }
    });
  }

  // --- records ------------------------------------------------------------

  /**
   * Return the local view of one record, deleted or not, or null.
   * @param {string} entity
   * @param {string} id
   * @returns {Promise<LocalRecord | null>}
   */
  async getRecord(entity, id) {
    const row = await this.read([RECORDS], (tx) =>
      requestResult(tx.objectStore(RECORDS).get([entity, id])),
    );
    return row ?? null;
  }

  /**
   * Return the records of one entity that are not deleted.
   * @param {string} entity
   * @returns {Promise<LocalRecord[]>}
   */
  async getRecordsByEntity(entity) {
    /** @type {LocalRecord[]} */
    const rows = await this.read([RECORDS], (tx) =>
      requestResult(tx.objectStore(RECORDS).index('by_entity').getAll(entity)),
    );
    return rows.filter((row) => !row.deleted);
  }

  /**
   * Return the deals in a stage that are not deleted.
   * @param {string} stage
   * @returns {Promise<LocalRecord[]>}
   */
  async getDealsByStage(stage) {
    /** @type {LocalRecord[]} */
    const rows = await this.read([RECORDS], (tx) =>
      requestResult(tx.objectStore(RECORDS).index('by_deal_stage').getAll(['deal', stage])),
    );
    return rows.filter((row) => !row.deleted);
  }

  /**
   * Return the notes of a deal that are not deleted, newest meeting first.
   * @param {string} dealId
   * @returns {Promise<LocalRecord[]>}
   */
  async getNotesByDeal(dealId) {
    const rows = await this.getByDeal('note', dealId);
    return rows.sort((a, b) => String(b.fields.met_at).localeCompare(String(a.fields.met_at)));
  }

  /**
   * Return the follow-ups of a deal that are not deleted, soonest due first.
   * @param {string} dealId
   * @returns {Promise<LocalRecord[]>}
   */
  async getFollowupsByDeal(dealId) {
    const rows = await this.getByDeal('followup', dealId);
    return rows.sort((a, b) => String(a.fields.due_at).localeCompare(String(b.fields.due_at)));
  }

  /**
   * Return the unresolved conflict records about any of the given records,
   * grouped by record in the order given.
   * @param {string[]} recordIds
   * @returns {Promise<LocalRecord[]>}
   */
  async getOpenConflictsByRecords(recordIds) {
    /** @type {LocalRecord[][]} */
    const groups = await this.read([RECORDS], (tx) => {
      const index = tx.objectStore(RECORDS).index('by_record_id');
      const requests = [...new Set(recordIds)].map((id) => index.getAll(['conflict', id]));
      return Promise.all(requests.map(requestResult));
    });
    return groups.flat().filter((row) => !row.deleted && !row.fields.resolved);
  }

  /**
   * @param {string} entity
   * @param {string} dealId
   * @returns {Promise<LocalRecord[]>}
   */
  async getByDeal(entity, dealId) {
    /** @type {LocalRecord[]} */
    const rows = await this.read([RECORDS], (tx) =>
      requestResult(tx.objectStore(RECORDS).index('by_deal').getAll([entity, dealId])),
    );
    return rows.filter((row) => !row.deleted);
  }

  // --- outbox -------------------------------------------------------------

  /**
   * Return pending mutations, oldest first.
   * @param {number} [limit]
   * @returns {Promise<Mutation[]>}
   */
  async getPendingMutations(limit) {
    /** @type {{seq: number, mutation: Mutation}[]} */
    const rows = await this.read([OUTBOX], (tx) =>
      requestResult(tx.objectStore(OUTBOX).getAll(undefined, limit)),
    );
    return rows.map((row) => row.mutation);
  }

  /** @returns {Promise<number>} */
  countPendingMutations() {
    return this.read([OUTBOX], (tx) => requestResult(tx.objectStore(OUTBOX).count()));
  }

  /**
   * Queue a mutation and lay it over the local view, in one transaction.
   * The id is `DEVICE:COUNTER` from a counter kept in meta, and `base` is the
   * field `ver` of the local server copy.
   * The mutation's clock stamp is saved with it, so the clock never goes
   * back after a restart.
   * @param {{deviceId: string, entity: string, recordId: string,
   *          fields: Record<string, any>, hlc: string}} edit
   * @returns {Promise<Mutation>}
   */
  enqueueMutation(edit) {
    return this.write([META, OUTBOX, RECORDS], async (tx) => {
      const meta = tx.objectStore(META);
      const counter = (await requestResult(meta.get(META_KEYS.mutationCounter))) ?? 0;
      const seq = counter + 1;
      meta.put(seq, META_KEYS.mutationCounter);
      meta.put(edit.hlc, META_KEYS.clockStamp);

      const row = await requestResult(
        tx.objectStore(RECORDS).get([edit.entity, edit.recordId]),
      );
      /** @type {Mutation} */
      const mutation = {
        id: `${edit.deviceId}:${seq}`,
        entity: edit.entity,
        record_id: edit.recordId,
        fields: edit.fields,
        base: baseVersions(row?.server ?? null, Object.keys(edit.fields)),
        hlc: edit.hlc,
      };
      tx.objectStore(OUTBOX).put({ seq, mutation });
      await refreshLocalRecord(tx, edit.entity, edit.recordId);
      return mutation;
    });
  }

  // --- set-aside changes --------------------------------------------------

  /** @returns {Promise<SetAsideChange[]>} */
  getSetAsideChanges() {
    return this.read([SET_ASIDE], (tx) => requestResult(tx.objectStore(SET_ASIDE).getAll()));
  }

  /** Drop a set-aside change, after the rep discards, fixes or restores it. */
  removeSetAsideChange(/** @type {string} */ id) {
    return this.write([SET_ASIDE], (tx) => {
      tx.objectStore(SET_ASIDE).delete(id);
    });
  }

  // --- sync ---------------------------------------------------------------

  /**
   * Write the outcome of one sync response in one transaction: drop settled
   * mutations by id, move set-aside ones, store new server copies and the
   * cursor, and rebuild the local view of every touched record. Mutations
   * queued after the request was sent are not named and stay queued.
   * @param {SyncWrite} update
   */
  applySyncWrite(update) {
    return this.write(ALL_STORES, async (tx) => {
      const outbox = tx.objectStore(OUTBOX);
      /** @type {Map<string, [string, string]>} */
      const touched = new Map();
      const touch = (/** @type {string} */ entity, /** @type {string} */ id) =>
        touched.set(`${entity}\u0000${id}`, [entity, id]);

      const settledIds = [...update.removeIds, ...update.setAside.map((entry) => entry.id)];
      for (const id of settledIds) {
        const seq = await requestResult(outbox.index('by_id').getKey(id));
        if (seq === undefined) continue;
        const row = await requestResult(outbox.get(seq));
        outbox.delete(seq);
        touch(row.mutation.entity, row.mutation.record_id);
      }
      for (const entry of update.setAside) {
        tx.objectStore(SET_ASIDE).put(entry);
      }

      for (const record of update.changes) {
        await putServerCopy(tx, record);
        touch(record.entity, record.id);
      }
      tx.objectStore(META).put(update.cursor, META_KEYS.cursor);

      for (const [entity, id] of touched.values()) {
        await refreshLocalRecord(tx, entity, id);
      }
    });
  }

  /**
   * Forget every server copy and the cursor, keeping the outbox: records with
   * pending mutations stay visible as those edits alone until the next pull.
   */
  clearServerCopies() {
    return this.write([RECORDS, OUTBOX, META], async (tx) => {
      const records = tx.objectStore(RECORDS);
      /** @type {LocalRecord[]} */
      const rows = await requestResult(records.getAll());
      for (const row of rows) {
        records.put({ ...row, server: null });
        await refreshLocalRecord(tx, row.entity, row.id);
      }
      tx.objectStore(META).delete(META_KEYS.cursor);
    });
  }

  /** Delete every record, pending mutation and meta value, for a new user. */
  clearAll() {
    return this.write(ALL_STORES, (tx) => {
      for (const name of ALL_STORES) tx.objectStore(name).clear();
    });
  }

  // --- transactions -------------------------------------------------------

  /**
   * Run fn in a read-only transaction and return its result.
   * @template T
   * @param {string[]} names
   * @param {(tx: IDBTransaction) => Promise<T> | T} fn
   * @returns {Promise<T>}
   */
  read(names, fn) {
    return runTransaction(this.db, names, 'readonly', fn);
  }

  /**
   * Run fn in a read-write transaction, wait for it to commit, fire "change",
   * and return fn's result. A failed commit fires "write-failed" and rejects.
   * @template T
   * @param {string[]} names
   * @param {(tx: IDBTransaction) => Promise<T> | T} fn
   * @returns {Promise<T>}
   */
  async write(names, fn) {
    let result;
    try {
      result = await runTransaction(this.db, names, 'readwrite', fn);
    } catch (error) {
      this.dispatchEvent(new CustomEvent('write-failed', { detail: { error } }));
      throw error;
    }
    this.dispatchEvent(new CustomEvent('change', { detail: { stores: names } }));
    return result;
  }
}

/**
 * @template T
 * @param {IDBDatabase} db
 * @param {string[]} names
 * @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => Promise<T> | T} fn
 * @returns {Promise<T>}
 */
async function runTransaction(db, names, mode, fn) {
  const tx = db.transaction(names, mode);
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('Transaction aborted', 'AbortError'));
  });

  let result;
  try {
    result = await fn(tx);
  } catch (error) {
    abortQuietly(tx);
    await committed.catch(() => undefined);
    throw error;
  }
  await committed;
  return result;
}

/** @param {IDBTransaction} tx */
function abortQuietly(tx) {
  try {
    tx.abort();
  } catch {
    // The transaction already finished or aborted on its own.
  }
}

/**
 * Store a new server copy of a record, keeping the local view's other parts.
 * @param {IDBTransaction} tx
 * @param {WireRecord} record
 */
async function putServerCopy(tx, record) {
  const records = tx.objectStore(RECORDS);
  const row = await requestResult(records.get([record.entity, record.id]));
  const base = row ?? { entity: record.entity, id: record.id, fields: {}, deleted: false, pending: 0 };
  records.put({ ...base, server: record });
}

/**
 * Rebuild the local view of one record from its server copy and its pending
 * mutations, deleting the row when neither is left.
 * @param {IDBTransaction} tx
 * @param {string} entity
 * @param {string} id
 */
async function refreshLocalRecord(tx, entity, id) {
  const records = tx.objectStore(RECORDS);
  const row = await requestResult(records.get([entity, id]));
  const pendingRows = await requestResult(
    tx.objectStore(OUTBOX).index('by_record').getAll([entity, id]),
  );
  pendingRows.sort((/** @type {any} */ a, /** @type {any} */ b) => a.seq - b.seq);

  const local = buildLocalRecord(
    entity,
    id,
    row?.server ?? null,
    pendingRows.map((/** @type {any} */ pendingRow) => pendingRow.mutation),
  );
  if (local) records.put(local);
  else records.delete([entity, id]);
}

/**
 * Resolve with an IDB request's result, or reject with its error.
 * @param {IDBRequest} request
 * @returns {Promise<any>}
 */
function requestResult(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Ask the browser to keep Dealbook's data under storage pressure, and report
 * how full the origin's quota is. Returns null where the API is missing.
 * @param {StorageManager | undefined} storage
 * @returns {Promise<{persisted: boolean, usage: number, quota: number} | null>}
 */
export async function requestPersistentStorage(storage = globalThis.navigator?.storage) {
  if (!storage?.persist) return null;
  const persisted = (await storage.persisted()) || (await storage.persist());
  const { usage = 0, quota = 0 } = storage.estimate ? await storage.estimate() : {};
  return { persisted, usage, quota };
}
