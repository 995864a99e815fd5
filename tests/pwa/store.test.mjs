import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { META_KEYS } from '../../pwa/js/store.js';
import { openTestStore, wireRecord } from './helpers.mjs';

const DEAL = 'deal-1';

function edit(fields, recordId = DEAL, entity = 'deal') {
  return { deviceId: 'dev-a', entity, recordId, fields, hlc: '0001700000000000-0000-dev-a' };
}

describe('store', () => {
  it('numbers mutations by device and counter', async () => {
    const store = await openTestStore();

    const first = await store.enqueueMutation(edit({ stage: 'proposal' }));
    const second = await store.enqueueMutation(edit({ value: 5 }));

    assert.equal(first.id, 'dev-a:1');
    assert.equal(second.id, 'dev-a:2');
    assert.equal(await store.getMeta(META_KEYS.mutationCounter), 2);
  });

  it('takes base versions from the server copy', async () => {
    const store = await openTestStore();
    const server = wireRecord('deal', DEAL, { stage: 'prospecting', value: 10 }, 7);
    await store.applySyncWrite({ removeIds: [], setAside: [], changes: [server], cursor: 'e1:7' });

    const mutation = await store.enqueueMutation(edit({ stage: 'proposal', expected_close: '2027-01-31' }));

    assert.deepEqual(mutation.base, { stage: 7, expected_close: 0 });
  });

  it('shows pending edits over the server copy', async () => {
    const store = await openTestStore();
    const server = wireRecord('deal', DEAL, { title: 'Racks', stage: 'prospecting', value: 10 });
    await store.applySyncWrite({ removeIds: [], setAside: [], changes: [server], cursor: 'e1:1' });

    await store.enqueueMutation(edit({ stage: 'proposal' }));
    await store.enqueueMutation(edit({ value: 20 }));

    const deal = await store.getRecord('deal', DEAL);
    assert.equal(deal?.fields.title, 'Racks');
    assert.equal(deal?.fields.stage, 'proposal');
    assert.equal(deal?.fields.value, 20);
    assert.equal(deal?.pending, 2);
    assert.equal(deal?.server?.fields.stage, 'prospecting');
  });

  it('indexes deals by their local stage', async () => {
    const store = await openTestStore();
    const server = wireRecord('deal', DEAL, { title: 'Racks', stage: 'prospecting' });
    await store.applySyncWrite({ removeIds: [], setAside: [], changes: [server], cursor: 'e1:1' });
    await store.enqueueMutation(edit({ stage: 'proposal' }));

    assert.deepEqual(await store.getDealsByStage('prospecting'), []);
    const inProposal = await store.getDealsByStage('proposal');
    assert.deepEqual(inProposal.map((deal) => deal.id), [DEAL]);
  });

  it('hides deleted records from lists', async () => {
    const store = await openTestStore();
    const gone = wireRecord('deal', 'deal-2', { stage: 'proposal' }, 2, { deleted: true });
    const kept = wireRecord('deal', DEAL, { stage: 'proposal' }, 3);
    await store.applySyncWrite({ removeIds: [], setAside: [], changes: [gone, kept], cursor: 'e1:3' });

    const deals = await store.getRecordsByEntity('deal');

    assert.deepEqual(deals.map((deal) => deal.id), [DEAL]);
  });

  it('lists notes and follow-ups of a deal', async () => {
    const store = await openTestStore();
    await store.enqueueMutation(edit({ deal_id: DEAL, met_at: '2026-12-01', body: 'a' }, 'n1', 'note'));
    await store.enqueueMutation(edit({ deal_id: DEAL, met_at: '2026-12-03', body: 'b' }, 'n2', 'note'));
    await store.enqueueMutation(edit({ deal_id: 'other', met_at: '2026-12-02', body: 'c' }, 'n3', 'note'));
    await store.enqueueMutation(edit({ deal_id: DEAL, due_at: '2026-12-09' }, 'f1', 'followup'));

    const notes = await store.getNotesByDeal(DEAL);
    const followups = await store.getFollowupsByDeal(DEAL);

    assert.deepEqual(notes.map((note) => note.id), ['n2', 'n1']);
    assert.deepEqual(followups.map((followup) => followup.id), ['f1']);
  });

  it('returns pending mutations oldest first', async () => {
    const store = await openTestStore();
    for (let value = 1; value <= 5; value++) await store.enqueueMutation(edit({ value }));

    const firstThree = await store.getPendingMutations(3);

    assert.deepEqual(firstThree.map((mutation) => mutation.id), ['dev-a:1', 'dev-a:2', 'dev-a:3']);
    assert.equal(await store.countPendingMutations(), 5);
  });

  it('keeps pending edits when server copies are cleared', async () => {
    const store = await openTestStore();
    const other = wireRecord('deal', 'deal-2', { stage: 'closing' });
    const server = wireRecord('deal', DEAL, { title: 'Racks', stage: 'prospecting' });
    await store.applySyncWrite({ removeIds: [], setAside: [], changes: [server, other], cursor: 'e1:1' });
    await store.enqueueMutation(edit({ stage: 'proposal' }));

    await store.clearServerCopies();

    assert.equal(await store.getRecord('deal', 'deal-2'), null);
    const deal = await store.getRecord('deal', DEAL);
    assert.equal(deal?.server, null);
    assert.equal(deal?.fields.stage, 'proposal');
    assert.equal(await store.countPendingMutations(), 1);
    assert.equal(await store.getMeta(META_KEYS.cursor), undefined);
  });

  it('reports a failed write', async () => {
    const store = await openTestStore();
    const failures = [];
    store.addEventListener('write-failed', (event) => failures.push(event));

    // A record without its key path fields cannot be stored.
    const badWrite = store.write(['records'], (tx) => {
      tx.objectStore('records').put({ nothing: true });
    });

    await assert.rejects(badWrite);
    assert.equal(failures.length, 1);
  });
});
