// Shared pieces for the PWA module tests: a fresh fake IndexedDB per test,
// a stand-in clock, and a fake Dealbook server reached through a fetch
// function.

import { IDBFactory } from 'fake-indexeddb';

import { openStore } from '../../pwa/js/store.js';
import { createApiClient } from '../../pwa/js/sync-client.js';

/** Open a store on its own in-memory IndexedDB. */
export function openTestStore() {
  return openStore({ indexedDB: new IDBFactory() });
}

/** A clock that issues increasing stamps and records what it observed. */
export function createTestClock(device = 'dev-a') {
  let counter = 0;
  return {
    observed: /** @type {string[]} */ ([]),
    now(/** @type {number} */ wallMs) {
      counter += 1;
      return `${String(wallMs).padStart(16, '0')}-${counter.toString(16).padStart(4, '0')}-${device}`;
    },
    observe(/** @type {string} */ stamp) {
      this.observed.push(stamp);
    },
  };
}

/** Build a server record as it travels in `changes`. */
export function wireRecord(entity, id, fields, ver = 1, extra = {}) {
  const meta = {};
  for (const name of Object.keys(fields)) {
    meta[name] = { ver, hlc: `${'1'.padStart(16, '0')}-0000-server`, dev: 'server' };
  }
  return { entity, id, deleted: false, seq: ver, fields, meta, ...extra };
}

/**
 * A fake sync server: it applies mutations by plain overwrite, answers the
 * statuses a test asks for, and can be told to fail the next requests.
 */
export class FakeServer {
  constructor() {
    this.seq = 0;
    /** @type {Map<string, any>} */
    this.records = new Map();
    /** Every sync request body received, in order. */
    this.requests = [];
    /** Queue of behaviours for the next requests: 'network', 503, 409, 401, 'reset', or a function. */
    this.failures = [];
    /** Per mutation id, a result status to answer instead of applying. */
    this.statusFor = new Map();
    this.epoch = 'e1';
    this.serverTime = 1_700_000_000_000;
    /** Number of changes per page. */
    this.pageSize = 500;
  }

  seed(entity, id, fields) {
    this.seq += 1;
    const record = wireRecord(entity, id, fields, this.seq);
    this.records.set(`${entity}/${id}`, record);
    return record;
  }

  /** A fetch function that routes to this server. */
  get fetch() {
    return async (url, init) => {
      const body = JSON.parse(init.body);
      this.requests.push(body);
      const failure = this.failures.shift();
      if (typeof failure === 'function') await failure(body);
      else if (failure === 'network') throw new TypeError('Failed to fetch');
      else if (failure === 503) return json(503, { error: 'unavailable', message: 'Try later.' });
      else if (failure === 401) return json(401, { error: 'unauthorized', message: 'Sign in.' });
      else if (failure === 409) {
        return json(409, { error: 'protocol_unsupported', message: 'Update the app.' });
      } else if (failure === 'reset') return json(200, this.answer(body, { reset: true }));
      return json(200, this.answer(body));
    };
  }

  answer(body, { reset = false } = {}) {
    const results = body.mutations.map((mutation) => this.apply(mutation));
    if (reset) {
      return { results, changes: [], cursor: null, has_more: false, reset: true, server_time: this.serverTime };
    }
    const after = body.cursor ? Number(body.cursor.split(':')[1]) : 0;
    const changes = [...this.records.values()]
      .filter((record) => record.seq > after)
      .sort((a, b) => a.seq - b.seq);
    const page = changes.slice(0, Math.min(this.pageSize, body.limit));
    const last = page.length ? page[page.length - 1].seq : after;
    return {
      results,
      changes: page,
      cursor: `${this.epoch}:${last}`,
      has_more: changes.length > page.length,
      reset: false,
      server_time: this.serverTime,
    };
  }

  apply(mutation) {
    const status = this.statusFor.get(mutation.id);
    if (status === 'rejected') {
      return { id: mutation.id, status, errors: { value: 'Not a number: "12,000 dollars".' } };
    }
    if (status) return { id: mutation.id, status };
    if (this.applied?.has(mutation.id)) return { id: mutation.id, status: 'duplicate' };
    this.applied ??= new Set();
    this.applied.add(mutation.id);

    this.seq += 1;
    const key = `${mutation.entity}/${mutation.record_id}`;
    const record = this.records.get(key) ?? wireRecord(mutation.entity, mutation.record_id, {}, this.seq);
    for (const [name, value] of Object.entries(mutation.fields)) {
      if (name === 'deleted') record.deleted = value;
      else record.fields[name] = value;
      record.meta[name] = { ver: this.seq, hlc: mutation.hlc, dev: mutation.id.split(':')[0] };
    }
    record.seq = this.seq;
    this.records.set(key, record);
    return { id: mutation.id, status: 'applied' };
  }
}

/** A client on the fake server's fetch. */
export function createTestClient(server) {
  return createApiClient({ fetch: server.fetch, getToken: () => 'token-a' });
}

function json(status, payload) {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** A promise with its resolve function, to hold a request in flight. */
export function deferred() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
