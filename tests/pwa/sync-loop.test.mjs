import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createOutbox } from '../../pwa/js/outbox.js';
import { META_KEYS } from '../../pwa/js/store.js';
import {
  MAX_RETRY_MS,
  MIN_RETRY_MS,
  SYNC_INTERVAL_MS,
  createSyncLoop,
  retryDelayMs,
  syncOnBrowserEvents,
} from '../../pwa/js/sync-loop.js';
import { PROTOCOL_VERSION } from '../../pwa/js/sync-client.js';
import { FakeServer, createTestClient, createTestClock, deferred, openTestStore } from './helpers.mjs';

const DEAL = 'deal-1';

/** Timers that only run when the test says so. */
function createManualTimers() {
  const timers = new Map();
  let next = 1;
  return {
    setTimer: (fn, ms) => {
      timers.set(next, { fn, ms });
      return next++;
    },
    clearTimer: (handle) => timers.delete(handle),
    pendingDelays: () => [...timers.values()].map((timer) => timer.ms),
    runAll() {
      const due = [...timers.values()];
      timers.clear();
      for (const timer of due) timer.fn();
    },
  };
}

async function setUp({ now = () => 1_700_000_000_000 } = {}) {
  const store = await openTestStore();
  const server = new FakeServer();
  const clock = createTestClock();
  const timers = createManualTimers();
  const statuses = [];
  const loop = createSyncLoop({
    store,
    client: createTestClient(server),
    deviceId: 'dev-a',
    clock,
    now,
    random: () => 0,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    onStatus: (status) => statuses.push(status.state),
  });
  const outbox = createOutbox({ store, clock, deviceId: 'dev-a', now, onEnqueued: () => loop.syncNow() });
  return { store, server, clock, timers, loop, outbox, statuses };
}

describe('sync loop', () => {
  it('sends the protocol version and device id', async () => {
    const { server, loop } = await setUp();

    await loop.start();

    assert.equal(server.requests[0].protocol, PROTOCOL_VERSION);
    assert.equal(server.requests[0].device_id, 'dev-a');
    assert.equal(server.requests[0].cursor, null);
  });

  it('pulls pages until has_more is false', async () => {
    const { store, server, loop } = await setUp();
    for (let n = 0; n < 5; n++) server.seed('account', `a${n}`, { name: `Account ${n}` });
    server.pageSize = 2;

    await loop.start();

    assert.deepEqual(server.requests.map((request) => request.cursor), [null, 'e1:2', 'e1:4']);
    assert.equal((await store.getRecordsByEntity('account')).length, 5);
    assert.equal(await store.getMeta(META_KEYS.cursor), 'e1:5');
  });

  it('keeps an edit made during a sync queued', async () => {
    const { store, server, loop, outbox } = await setUp();
    await loop.start();
    const held = deferred();
    server.failures.push(() => held.promise);

    await outbox.enqueue('deal', DEAL, { stage: 'proposal' });
    await waitFor(() => server.requests.length === 2);
    await outbox.enqueue('deal', DEAL, { value: 15000 });
    assert.equal(await store.countPendingMutations(), 2);
    held.resolve();
    await loop.syncNow();

    assert.deepEqual(server.requests[1].mutations.map((m) => m.id), ['dev-a:1']);
    assert.deepEqual(server.requests[2].mutations.map((m) => m.id), ['dev-a:2']);
    assert.equal(await store.countPendingMutations(), 0);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.value, 15000);
    assert.equal((await store.getRecord('deal', DEAL))?.fields.value, 15000);
  });

  it('keeps the outbox through a reset', async () => {
    const { store, server, loop, outbox } = await setUp();
    server.seed('deal', 'old', { title: 'Old', stage: 'closing' });
    await loop.start();
    server.records.clear();
    server.epoch = 'e2';
    server.seed('deal', 'new', { title: 'New', stage: 'proposal' });
    // The server answers the next request with reset and no result for the
    // edit, so the edit must stay queued.
    server.failures.push('reset');
    server.statusFor.set('dev-a:1', 'no answer');

    const edit = await outbox.enqueue('deal', DEAL, { title: 'Mine' });
    await loop.syncNow();

    assert.equal(server.requests[1].cursor, 'e1:1');
    assert.equal(server.requests[2].cursor, null);
    assert.equal(await store.getRecord('deal', 'old'), null);
    assert.equal((await store.getRecord('deal', 'new'))?.fields.title, 'New');
    assert.equal((await store.getRecord('deal', DEAL))?.fields.title, 'Mine');
    assert.deepEqual((await store.getPendingMutations()).map((m) => m.id), [edit.id]);
  });

  it('keeps the outbox when the protocol is unsupported', async () => {
    const { store, server, loop, outbox } = await setUp();
    await loop.start();
    server.failures.push(409);

    await outbox.enqueue('deal', DEAL, { value: 1 });
    await loop.syncNow();

    assert.equal(loop.getStatus().state, 'update_required');
    assert.equal(await store.countPendingMutations(), 1);
    const requests = server.requests.length;
    await loop.syncNow();
    assert.equal(server.requests.length, requests);
  });

  it('stops until sign-in after 401', async () => {
    const { store, server, loop, outbox } = await setUp();
    server.failures.push(401);

    await outbox.enqueue('deal', DEAL, { value: 1 });
    await loop.start();

    assert.equal(loop.getStatus().state, 'signed_out');
    assert.equal(await store.countPendingMutations(), 1);
    await loop.start();
    assert.equal(await store.countPendingMutations(), 0);
  });

  it('drains after 503 without a duplicate', async () => {
    const { store, server, loop, outbox, timers } = await setUp();
    await loop.start();
    server.failures.push(503, 'network');

    await outbox.enqueue('deal', DEAL, { value: 7 });
    await loop.syncNow();
    assert.equal(loop.getStatus().state, 'backoff');
    assert.deepEqual(timers.pendingDelays(), [MIN_RETRY_MS]);
    timers.runAll();
    await loop.syncNow();
    assert.deepEqual(timers.pendingDelays(), [2 * MIN_RETRY_MS]);
    timers.runAll();
    await loop.syncNow();

    assert.equal(await store.countPendingMutations(), 0);
    const sends = server.requests.filter((request) => request.mutations.length > 0);
    assert.equal(sends.length, 3);
    assert.equal(server.applied.size, 1);
    assert.equal(loop.getStatus().state, 'idle');
    assert.deepEqual(timers.pendingDelays(), [SYNC_INTERVAL_MS]);
  });

  it('measures the server clock offset', async () => {
    let wall = 1_000_000;
    const { store, server, loop } = await setUp({ now: () => (wall += 100) });
    server.serverTime = 5_000_000;
    server.seed('deal', DEAL, { title: 'Racks' });

    await loop.start();

    // The request was sent at 1_000_100 and answered at 1_000_200.
    assert.equal(await store.getMeta(META_KEYS.serverOffsetMs), 5_000_000 - 1_000_150);
  });

  it('observes stamps of pulled records', async () => {
    const { server, loop, clock } = await setUp();
    server.seed('deal', DEAL, { title: 'Racks' });

    await loop.start();

    assert.deepEqual(clock.observed, ['0000000000000001-0000-server']);
  });
});

describe('retryDelayMs', () => {
  const cases = [
    { failures: 1, expected: MIN_RETRY_MS },
    { failures: 2, expected: 2 * MIN_RETRY_MS },
    { failures: 5, expected: 16 * MIN_RETRY_MS },
    { failures: 40, expected: MAX_RETRY_MS },
  ];
  for (const { failures, expected } of cases) {
    it(`waits ${expected} ms after ${failures} failures`, () => {
      assert.equal(retryDelayMs(failures, () => 0), expected);
    });
  }

  it('adds at most 20% jitter', () => {
    assert.equal(retryDelayMs(1, () => 0.999), Math.round(MIN_RETRY_MS * 1.1998));
  });
});

async function waitFor(condition) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('Condition not met within 1 s.');
}

describe('browser triggers', () => {
  /** A stand-in window with a document whose visibility the test sets. */
  function fakeWindow() {
    const win = new EventTarget();
    win.document = new EventTarget();
    win.document.visibilityState = 'hidden';
    return win;
  }

  it('syncs when the signal returns and when the app becomes visible', () => {
    const win = fakeWindow();
    let syncs = 0;
    const stop = syncOnBrowserEvents({ syncNow: async () => { syncs += 1; } }, win);

    win.dispatchEvent(new Event('online'));
    win.document.dispatchEvent(new Event('visibilitychange'));
    win.document.visibilityState = 'visible';
    win.document.dispatchEvent(new Event('visibilitychange'));
    stop();
    win.dispatchEvent(new Event('online'));

    assert.equal(syncs, 2);
  });
});
