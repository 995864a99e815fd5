/**
 * The sync loop: when to run a sync round trip, and what to do with its
 * answer.
 *
 *              start, online, visible, timer, new edit
 *     idle ─────────────────────────────────────────────▶ syncing
 *      ▲                                                    │
 *      │ done; next run after SYNC_INTERVAL_MS              │
 *      ├────────────────────────────────────────────────────┤
 *      │                                                    │ no answer, 5xx, other 4xx
 *      │        delay doubles from MIN_RETRY_MS             ▼
 *      └── syncing ◀──── up to MAX_RETRY_MS ──────────── backoff
 *                                                           │
 *     401 ──▶ signed_out: waits for a new sign-in (start())
 *     409 ──▶ update_required: waits for a new app version
 *
 * One round sends the oldest pending mutations (at most MAX_BATCH) and pulls
 * pages until `has_more` is false. While a round is in flight, a new trigger
 * only marks that another round is wanted, which runs right after, so an edit
 * made during a sync goes out on the next one. The outbox is never emptied
 * by an error: mutations leave it only when a result names them.
 */

import { planResults, takeBatch } from './outbox.js';
import { getLogger } from './log.js';
import { META_KEYS } from './store.js';
import {
  AuthError,
  MAX_BATCH,
  NetworkError,
  PROTOCOL_VERSION,
  ProtocolError,
  UnavailableError,
} from './sync-client.js';

/**
 * @typedef {import('./store.js').Store} Store
 * @typedef {import('./sync-client.js').ApiClient} ApiClient
 * @typedef {import('./sync-client.js').SyncResponse} SyncResponse
 */

/** First delay after a failed round trip. */
export const MIN_RETRY_MS = 1_000;

/** Longest delay between retries; the delay doubles up to this. */
export const MAX_RETRY_MS = 5 * 60_000;

/** Delay between syncs while nothing else triggers one. */
export const SYNC_INTERVAL_MS = 30_000;

/** Records asked for per page of changes. */
export const PAGE_LIMIT = 500;

/** Most requests in one round, so a server that always answers has_more cannot spin the phone. */
const MAX_REQUESTS_PER_ROUND = 200;

const log = getLogger('sync');

/** @typedef {'idle' | 'syncing' | 'backoff' | 'signed_out' | 'update_required' | 'stopped'} SyncState */

/**
 * @typedef {object} SyncStatus
 * @property {SyncState} state
 * @property {string | null} lastError  Message of the last failure, if the last round failed.
 * @property {number | null} lastSyncedAt  When a round last finished, ms since the epoch.
 * @property {number} failures  Failed rounds in a row.
 * @property {boolean} unreachable  The last round got no answer at all, as when offline.
 */

/**
 * @typedef {object} SyncLoopOptions
 * @property {Store} store
 * @property {ApiClient} client
 * @property {string} deviceId
 * @property {{observe(stamp: string, wallMs: number): unknown}} clock
 * @property {() => number} [now]
 * @property {(fn: () => void, ms: number) => unknown} [setTimer]
 * @property {(handle: any) => void} [clearTimer]
 * @property {() => number} [random]  Returns [0, 1); spreads retries of many phones.
 * @property {(status: SyncStatus) => void} [onStatus]
 */

/** Create a sync loop; call start() to begin syncing. */
export function createSyncLoop(/** @type {SyncLoopOptions} */ options) {
  const {
    store,
    client,
    deviceId,
    clock,
    now = Date.now,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (handle) => clearTimeout(handle),
    random = Math.random,
    onStatus = () => {},
  } = options;

  /** @type {SyncStatus} */
  const status = {
    state: 'stopped',
    lastError: null,
    lastSyncedAt: null,
    failures: 0,
    unreachable: false,
  };
  /** @type {Promise<void> | null} */
  let inFlight = null;
  let wantAnotherRound = false;
  /** @type {unknown} */
  let timer = null;

  /** @param {Partial<SyncStatus>} changes */
  function setStatus(changes) {
    Object.assign(status, changes);
    onStatus({ ...status });
  }

  /** @param {number} delayMs */
  function schedule(delayMs) {
    if (timer !== null) clearTimer(timer);
    timer = setTimer(() => {
      timer = null;
      void syncNow();
    }, delayMs);
  }

  function isHalted() {
    return ['signed_out', 'update_required', 'stopped'].includes(status.state);
  }

  /**
   * Run a round now, or, when one is in flight, right after it. Resolves
   * when the round that covers this call has finished; it never rejects.
   * @returns {Promise<void>}
   */
  function syncNow() {
    if (isHalted()) return Promise.resolve();
    if (inFlight) {
      wantAnotherRound = true;
      return inFlight;
    }
    inFlight = runRounds().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function runRounds() {
    do {
      wantAnotherRound = false;
      await runRound();
    } while (wantAnotherRound && !isHalted() && status.state !== 'backoff');
  }

  async function runRound() {
    if (timer !== null) clearTimer(timer);
    timer = null;
    setStatus({ state: 'syncing' });
    try {
      await syncRoundTrips();
    } catch (error) {
      handleFailure(error);
      return;
    }
    setStatus({ state: 'idle', lastError: null, lastSyncedAt: now(), failures: 0, unreachable: false });
    schedule(SYNC_INTERVAL_MS);
  }

  /** @param {unknown} error */
  function handleFailure(error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof AuthError) {
      log.warn('sync stopped: sign-in required', message);
      setStatus({ state: 'signed_out', lastError: message });
      return;
    }
    if (error instanceof ProtocolError) {
      log.warn('sync stopped: this app version is not supported', message);
      setStatus({ state: 'update_required', lastError: message });
      return;
    }

    const failures = status.failures + 1;
    const delayMs = retryDelayMs(failures, random);
    if (error instanceof NetworkError || error instanceof UnavailableError) {
      log.info(`sync failed (${failures} in a row), retrying in ${delayMs} ms`, message);
    } else {
      log.error(`sync failed (${failures} in a row), retrying in ${delayMs} ms`, error);
    }
    setStatus({
      state: 'backoff',
      lastError: message,
      failures,
      unreachable: error instanceof NetworkError,
    });
    schedule(delayMs);
  }

  /** Push the oldest batch and pull pages until the server has no more. */
  async function syncRoundTrips() {
    /** @type {string | null} */
    let cursor = (await store.getMeta(META_KEYS.cursor)) ?? null;
    let resets = 0;

    for (let request = 0; request < MAX_REQUESTS_PER_ROUND; request++) {
      const sent = await takeBatch(store);
      const sentAt = now();
      const response = await client.sync({
        protocol: PROTOCOL_VERSION,
        device_id: deviceId,
        cursor,
        mutations: sent,
        limit: PAGE_LIMIT,
      });
      const receivedAt = now();
      await recordServerTime(response, sentAt, receivedAt);

      const { removeIds, setAside } = planResults(sent, response.results ?? [], receivedAt);
      if (response.reset) {
        // The server does not know this cursor (its database was restored
        // or replaced). Settle the results, forget every server copy and
        // pull everything again; the outbox stays.
        if (resets++ > 0) throw new Error('Server asked for a reset twice in one round.');
        log.warn('server reset the cursor; pulling everything again');
        await store.applySyncWrite({ removeIds, setAside, changes: [], cursor: null });
        await store.clearServerCopies();
        cursor = null;
        continue;
      }

      await store.applySyncWrite({
        removeIds,
        setAside,
        changes: response.changes ?? [],
        cursor: response.cursor,
      });
      cursor = response.cursor;

      const settled = removeIds.length + setAside.length;
      const mayHaveMorePending = sent.length === MAX_BATCH && settled > 0;
      if (!response.has_more && !mayHaveMorePending) return;
    }
    throw new Error(`Sync did not finish within ${MAX_REQUESTS_PER_ROUND} requests.`);
  }

  /**
   * Measure the server clock offset and move the clock past every stamp seen.
   * @param {SyncResponse} response
   * @param {number} sentAt
   * @param {number} receivedAt
   */
  async function recordServerTime(response, sentAt, receivedAt) {
    if (typeof response.server_time !== 'number') return;
    // The server read its clock about halfway through the round trip.
    const offsetMs = Math.round(response.server_time - (sentAt + receivedAt) / 2);
    await store.setMeta({ [META_KEYS.serverOffsetMs]: offsetMs });

    const latest = latestStamp(response.changes ?? []);
    if (latest) clock.observe(latest, receivedAt + offsetMs);
  }

  return {
    /** Begin (or resume after sign-in) syncing, with a round right away. */
    start() {
      setStatus({ state: 'idle', failures: 0 });
      return syncNow();
    },

    /** Stop syncing; a round in flight still finishes. */
    stop() {
      if (timer !== null) clearTimer(timer);
      timer = null;
      setStatus({ state: 'stopped' });
    },

    syncNow,

    /** Return a copy of the current status. */
    getStatus: () => ({ ...status }),
  };
}

/** @typedef {ReturnType<typeof createSyncLoop>} SyncLoop */

/**
 * Return the delay before retry number `failures` (1 for the first): it
 * doubles from MIN_RETRY_MS up to MAX_RETRY_MS, plus up to 20% jitter.
 * @param {number} failures
 * @param {() => number} random
 */
export function retryDelayMs(failures, random) {
  const exponential = MIN_RETRY_MS * 2 ** Math.min(failures - 1, 30);
  const capped = Math.min(MAX_RETRY_MS, exponential);
  return Math.round(capped * (1 + 0.2 * random()));
}

/**
 * Return the highest clock stamp among the records' field metadata.
 * @param {import('./sync-client.js').WireRecord[]} records
 */
function latestStamp(records) {
  let latest = '';
  for (const record of records) {
    for (const meta of Object.values(record.meta ?? {})) {
      if (meta?.hlc && meta.hlc > latest) latest = meta.hlc;
    }
  }
  return latest || null;
}

/**
 * Run loop.syncNow on the browser's triggers: the `online` event and the
 * page becoming visible. Returns a function that removes the listeners.
 *
 * NOTE: each open tab runs its own loop. A mutation sent by two tabs gets
 * `duplicate` the second time, so nothing applies twice, but requests double.
 * @param {SyncLoop} loop
 * @param {Window} [win]
 */
export function syncOnBrowserEvents(loop, win = window) {
  const onOnline = () => void loop.syncNow();
  const onVisibility = () => {
    if (win.document.visibilityState === 'visible') void loop.syncNow();
  };
  win.addEventListener('online', onOnline);
  win.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    win.removeEventListener('online', onOnline);
    win.document.removeEventListener('visibilitychange', onVisibility);
  };
}
