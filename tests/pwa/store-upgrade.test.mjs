// The schema upgrade a phone runs when a new app version opens the database
// an older version left: every row and pending mutation must survive it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IDBFactory } from 'fake-indexeddb';

import { DB_NAME, DB_VERSION, META_KEYS, Store, UPGRADES, openStore } from '../../pwa/js/store.js';
import { createSyncLoop } from '../../pwa/js/sync-loop.js';
import { FakeServer, createTestClient, createTestClock, wireRecord } from './helpers.mjs';

const DEAL = 'deal-1';
const OTHER_DEAL = 'deal-2';
const CURSOR_SEQ = 7;

/**
 * Open the database at `version`, running only the steps up to it, as the
 * app version that shipped with that schema did.
 * @param {IDBFactory} factory
 * @param {number} version
 * @returns {Promise<IDBDatabase>}
 */
function openAtVersion(factory, version) {
  return new Promise((resolve, reject) => {
    const open = factory.open(DB_NAME, version);
    open.onupgradeneeded = (event) => {
      for (let step = event.oldVersion; step < version; step++) {
        UPGRADES[step](open.result, /** @type {IDBTransaction} */ (open.transaction));
      }
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

/** Put rows in one read-write transaction and wait for it to commit. */
function putRows(db, rowsByStore) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(Object.keys(rowsByStore), 'readwrite');
    for (const [name, rows] of Object.entries(rowsByStore)) {
      for (const [value, key] of rows) tx.objectStore(name).put(value, key);
    }
    tx.oncomplete = () => resolve(undefined);
    tx.onerror = () => reject(tx.error);
  });
}

function mutation(seq, fields, recordId = DEAL) {
  return {
    id: `dev-a:${seq}`,
    entity: 'deal',
    record_id: recordId,
    fields,
    base: Object.fromEntries(Object.keys(fields).map((name) => [name, CURSOR_SEQ])),
    hlc: `000170000000000${seq}-0000-dev-a`,
  };
}

function conflict(id, recordId, resolved) {
  return wireRecord(
    'conflict',
    id,
    { entity: 'note', record_id: recordId, field: 'body', kept: 'a', other: 'b', resolved },
    CURSOR_SEQ,
  );
}

/** Build a records row as the store writes it: the server copy, then the local view. */
function localRow(server, view = {}) {
  const row = { entity: server.entity, id: server.id, fields: server.fields, deleted: false, pending: 0 };
  return [{ ...row, server, ...view }];
}

/**
 * Write what a phone running version 1 stores after a sync and two offline
 * edits of one deal, then close the database as a closed app would.
 */
async function fillVersionOne(factory) {
  const db = await openAtVersion(factory, 1);
  const deal = wireRecord('deal', DEAL, { title: 'Racks', stage: 'prospecting', value: 10 }, CURSOR_SEQ);
  const first = mutation(1, { stage: 'proposal' });
  const second = mutation(2, { stage: 'negotiation', value: 12 });
  await putRows(db, {
    records: [
      localRow(deal, { fields: { ...deal.fields, stage: 'negotiation', value: 12 }, pending: 2 }),
      localRow(wireRecord('deal', OTHER_DEAL, { title: 'Cables', stage: 'closing' }, CURSOR_SEQ)),
      localRow(conflict('c-open', DEAL, false)),
      localRow(conflict('c-resolved', DEAL, true)),
      localRow(conflict('c-other', OTHER_DEAL, false)),
    ],
    outbox: [[{ seq: 1, mutation: first }], [{ seq: 2, mutation: second }]],
    meta: [
      ['dev-a', META_KEYS.deviceId],
      [`e1:${CURSOR_SEQ}`, META_KEYS.cursor],
      [2, META_KEYS.mutationCounter],
      [second.hlc, META_KEYS.clockStamp],
    ],
  });
  db.close();
  return { first, second };
}

/** Describe every store and index, to compare two databases' schemas. */
function describeSchema(db) {
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names, 'readonly');
  return names.map((name) => {
    const store = tx.objectStore(name);
    const indexes = [...store.indexNames].map((indexName) => {
      const index = store.index(indexName);
      return { name: indexName, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
    });
    return { name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
  });
}

function getAllFromIndex(db, storeName, indexName, query) {
  return new Promise((resolve, reject) => {
    const request = db.transaction(storeName).objectStore(storeName).index(indexName).getAll(query);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

describe('store upgrade', () => {
  it('builds a fresh database with every step', async () => {
    const store = await openStore({ indexedDB: new IDBFactory() });

    assert.equal(store.db.version, DB_VERSION);
    assert.equal(UPGRADES.length, DB_VERSION);
    const schema = describeSchema(store.db);
    assert.deepEqual(schema.map((entry) => entry.name).sort(), ['meta', 'outbox', 'records', 'set_aside']);
    const records = schema.find((entry) => entry.name === 'records');
    assert.deepEqual(
      records?.indexes.map((index) => index.name).sort(),
      ['by_deal', 'by_deal_stage', 'by_entity', 'by_record_id'],
    );
    store.close();
  });

  it('gives an upgraded database the fresh schema', async () => {
    const upgradedFactory = new IDBFactory();
    await fillVersionOne(upgradedFactory);
    const upgraded = await openStore({ indexedDB: upgradedFactory });
    const fresh = await openStore({ indexedDB: new IDBFactory() });

    assert.equal(upgraded.db.version, DB_VERSION);
    assert.deepEqual(describeSchema(upgraded.db), describeSchema(fresh.db));
    upgraded.close();
    fresh.close();
  });

  it('keeps records, meta and the outbox', async () => {
    const factory = new IDBFactory();
    const { first, second } = await fillVersionOne(factory);

    const store = await openStore({ indexedDB: factory });

    assert.equal(await store.getMeta(META_KEYS.deviceId), 'dev-a');
    assert.equal(await store.getMeta(META_KEYS.cursor), `e1:${CURSOR_SEQ}`);
    assert.equal(await store.getMeta(META_KEYS.mutationCounter), 2);
    assert.equal(await store.getMeta(META_KEYS.clockStamp), second.hlc);
    assert.deepEqual(await store.getPendingMutations(), [first, second]);
    const deal = await store.getRecord('deal', DEAL);
    assert.equal(deal?.fields.stage, 'negotiation');
    assert.equal(deal?.pending, 2);
    assert.equal(deal?.server?.fields.stage, 'prospecting');
    assert.deepEqual((await store.getDealsByStage('closing')).map((row) => row.id), [OTHER_DEAL]);
    store.close();
  });

  it('indexes conflicts stored before the upgrade', async () => {
    const factory = new IDBFactory();
    await fillVersionOne(factory);

    const store = await openStore({ indexedDB: factory });

    const indexed = await getAllFromIndex(store.db, 'records', 'by_record_id', ['conflict', DEAL]);
    assert.deepEqual(indexed.map((row) => row.id), ['c-open', 'c-resolved']);
    const open = await store.getOpenConflictsByRecords([DEAL]);
    assert.deepEqual(open.map((row) => row.id), ['c-open']);
    const both = await store.getOpenConflictsByRecords([OTHER_DEAL, DEAL, OTHER_DEAL]);
    assert.deepEqual(both.map((row) => row.id), ['c-other', 'c-open']);
    store.close();
  });

  it('continues the mutation counter', async () => {
    const factory = new IDBFactory();
    await fillVersionOne(factory);
    const store = await openStore({ indexedDB: factory });

    const third = await store.enqueueMutation({
      deviceId: 'dev-a',
      entity: 'deal',
      recordId: DEAL,
      fields: { value: 13 },
      hlc: '0001700000000003-0000-dev-a',
    });

    assert.equal(third.id, 'dev-a:3');
    assert.deepEqual((await store.getPendingMutations()).map((m) => m.id), ['dev-a:1', 'dev-a:2', 'dev-a:3']);
    assert.equal((await store.getRecord('deal', DEAL))?.pending, 3);
    store.close();
  });

  it('replays the kept outbox oldest first', async () => {
    const factory = new IDBFactory();
    await fillVersionOne(factory);
    const store = await openStore({ indexedDB: factory });
    const server = new FakeServer();
    // The server stores the deal at the phone's cursor, so what it sends
    // back is only what the replayed mutations changed.
    server.seq = CURSOR_SEQ - 1;
    server.seed('deal', DEAL, { title: 'Racks', stage: 'prospecting', value: 10 });
    const clock = createTestClock();
    const loop = createSyncLoop({
      store,
      client: createTestClient(server),
      deviceId: 'dev-a',
      clock,
      random: () => 0,
      setTimer: () => null,
      clearTimer: () => {},
    });

    await loop.start();

    assert.equal(server.requests[0].cursor, `e1:${CURSOR_SEQ}`);
    assert.deepEqual(server.requests[0].mutations.map((m) => m.id), ['dev-a:1', 'dev-a:2']);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.stage, 'negotiation');
    assert.equal(await store.countPendingMutations(), 0);
    const deal = await store.getRecord('deal', DEAL);
    assert.equal(deal?.fields.stage, 'negotiation');
    assert.equal(deal?.fields.value, 12);
    assert.equal(deal?.pending, 0);
    loop.stop();
    store.close();
  });

  // An older connection that stayed open would block the upgrade, so the
  // timeout turns that hang into a failure.
  it('closes an open older connection', { timeout: 5_000 }, async () => {
    const factory = new IDBFactory();
    await fillVersionOne(factory);
    // A tab still running version 1 keeps the database open.
    const oldTab = new Store(await openAtVersion(factory, 1));
    let versionChanges = 0;
    oldTab.addEventListener('versionchange', () => versionChanges++);

    const store = await openStore({ indexedDB: factory });

    assert.equal(versionChanges, 1);
    assert.equal(store.db.version, DB_VERSION);
    assert.equal(await store.countPendingMutations(), 2);
    store.close();
  });
});
