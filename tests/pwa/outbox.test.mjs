import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createOutbox, planResults } from '../../pwa/js/outbox.js';
import { createSyncLoop } from '../../pwa/js/sync-loop.js';
import { FakeServer, createTestClient, createTestClock, openTestStore, wireRecord } from './helpers.mjs';

const DEAL = 'deal-1';

async function setUp() {
  const store = await openTestStore();
  const server = new FakeServer();
  const clock = createTestClock();
  const outbox = createOutbox({ store, clock, deviceId: 'dev-a', now: () => 1_700_000_000_000 });
  const loop = createSyncLoop({
    store,
    client: createTestClient(server),
    deviceId: 'dev-a',
    clock,
    setTimer: () => null,
    clearTimer: () => {},
  });
  loop.start();
  await loop.syncNow();
  return { store, server, outbox, loop };
}

describe('outbox', () => {
  it('replays oldest first', async () => {
    const { server, outbox, loop } = await setUp();
    await outbox.enqueue('deal', DEAL, { stage: 'qualification' });
    await outbox.enqueue('deal', DEAL, { stage: 'proposal' });
    await outbox.enqueue('deal', DEAL, { value: 15000 });

    await loop.syncNow();

    const sent = server.requests.at(-1).mutations;
    assert.deepEqual(sent.map((m) => m.id), ['dev-a:1', 'dev-a:2', 'dev-a:3']);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.stage, 'proposal');
    assert.equal(server.records.get(`deal/${DEAL}`).fields.value, 15000);
  });

  it('shows an edit locally before it syncs', async () => {
    const { store, outbox } = await setUp();

    await outbox.enqueue('deal', DEAL, { title: 'Racks', stage: 'proposal' });

    const deal = await store.getRecord('deal', DEAL);
    assert.equal(deal?.fields.stage, 'proposal');
    assert.equal(await store.countPendingMutations(), 1);
  });

  it('stamps edits with the server-corrected clock', async () => {
    const store = await openTestStore();
    const outbox = createOutbox({
      store,
      clock: createTestClock(),
      deviceId: 'dev-a',
      now: () => 1_000,
      getServerOffsetMs: () => 500,
    });

    const mutation = await outbox.enqueue('deal', DEAL, { value: 1 });

    assert.equal(mutation.hlc, '0000000000001500-0001-dev-a');
  });

  it('puts a failed change back first', async () => {
    const { store, server, outbox, loop } = await setUp();
    await outbox.enqueue('deal', DEAL, { stage: 'qualification' });
    await outbox.enqueue('deal', DEAL, { value: 100 });
    server.failures.push('network');

    await loop.syncNow();

    const pending = await store.getPendingMutations();
    assert.deepEqual(pending.map((m) => m.id), ['dev-a:1', 'dev-a:2']);
    assert.equal(loop.getStatus().state, 'backoff');
    await outbox.enqueue('deal', DEAL, { value: 200 });
    await loop.syncNow();
    assert.deepEqual(server.requests.at(-1).mutations.map((m) => m.id), ['dev-a:1', 'dev-a:2', 'dev-a:3']);
    assert.equal(await store.countPendingMutations(), 0);
  });

  it('sets a rejected change aside and applies the rest', async () => {
    const { store, server, outbox, loop } = await setUp();
    await outbox.enqueue('deal', DEAL, { stage: 'qualification' });
    const bad = await outbox.enqueue('deal', DEAL, { value: '12,000 dollars' });
    await outbox.enqueue('deal', DEAL, { stage: 'proposal' });
    server.statusFor.set(bad.id, 'rejected');

    await loop.syncNow();

    assert.equal(await store.countPendingMutations(), 0);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.stage, 'proposal');
    const setAside = await store.getSetAsideChanges();
    assert.equal(setAside.length, 1);
    assert.equal(setAside[0].id, bad.id);
    assert.equal(setAside[0].kind, 'rejected');
    assert.match(setAside[0].errors.value, /12,000 dollars/);
    assert.deepEqual(setAside[0].mutation.fields, { value: '12,000 dollars' });
  });

  it('resends a fixed change under a new id', async () => {
    const { store, server, outbox, loop } = await setUp();
    const bad = await outbox.enqueue('deal', DEAL, { value: '12,000 dollars' });
    server.statusFor.set(bad.id, 'rejected');
    await loop.syncNow();
    const [change] = await store.getSetAsideChanges();

    const fixed = await outbox.resend(change, { value: 12000 });
    await loop.syncNow();

    assert.notEqual(fixed.id, bad.id);
    assert.deepEqual(await store.getSetAsideChanges(), []);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.value, 12000);
  });

  it('discards a set-aside change', async () => {
    const { store, server, outbox, loop } = await setUp();
    const bad = await outbox.enqueue('deal', DEAL, { stage: 'gone' });
    server.statusFor.set(bad.id, 'rejected');
    await loop.syncNow();
    const [change] = await store.getSetAsideChanges();

    await outbox.discard(change);

    assert.deepEqual(await store.getSetAsideChanges(), []);
    assert.equal(await store.countPendingMutations(), 0);
  });

  it('keeps an edit of a deleted deal for restore', async () => {
    const { store, server, outbox, loop } = await setUp();
    server.records.set(`deal/${DEAL}`, wireRecord('deal', DEAL, { title: 'Racks', value: 1 }, ++server.seq));
    await loop.syncNow();
    const edit = await outbox.enqueue('deal', DEAL, { value: 900 });
    server.statusFor.set(edit.id, 'deleted');
    await loop.syncNow();
    const [change] = await store.getSetAsideChanges();
    assert.equal(change.kind, 'deleted');
    assert.deepEqual(change.mutation.fields, { value: 900 });

    const restore = await outbox.restore(change);
    await loop.syncNow();

    assert.deepEqual(restore.fields, { value: 900, deleted: false });
    assert.deepEqual(await store.getSetAsideChanges(), []);
    assert.equal(server.records.get(`deal/${DEAL}`).fields.value, 900);
    assert.equal(server.records.get(`deal/${DEAL}`).deleted, false);
  });
});

describe('planResults', () => {
  const sent = [
    { id: 'd:1', entity: 'deal', record_id: 'x', fields: { a: 1 }, base: { a: 0 }, hlc: 'h' },
    { id: 'd:2', entity: 'deal', record_id: 'x', fields: { b: 1 }, base: { b: 0 }, hlc: 'h' },
    { id: 'd:3', entity: 'deal', record_id: 'x', fields: { c: 1 }, base: { c: 0 }, hlc: 'h' },
  ];
  const cases = [
    { name: 'applied is removed', result: { status: 'applied' }, removed: true, setAside: null },
    { name: 'duplicate is removed', result: { status: 'duplicate' }, removed: true, setAside: null },
    {
      name: 'rejected is set aside',
      result: { status: 'rejected', errors: { a: 'bad' } },
      removed: false,
      setAside: 'rejected',
    },
    { name: 'deleted is set aside', result: { status: 'deleted' }, removed: false, setAside: 'deleted' },
  ];

  for (const { name, result, removed, setAside } of cases) {
    it(name, () => {
      const plan = planResults(sent, [{ id: 'd:1', ...result }], 5);

      assert.equal(plan.removeIds.includes('d:1'), removed);
      assert.equal(plan.setAside[0]?.kind ?? null, setAside);
    });
  }

  it('leaves unanswered mutations queued', () => {
    const plan = planResults(sent, [{ id: 'd:2', status: 'applied' }], 5);

    assert.deepEqual(plan.removeIds, ['d:2']);
    assert.deepEqual(plan.setAside, []);
  });

  it('ignores results for ids not sent', () => {
    const plan = planResults(sent, [{ id: 'other:9', status: 'applied' }], 5);

    assert.deepEqual(plan.removeIds, []);
  });
});
