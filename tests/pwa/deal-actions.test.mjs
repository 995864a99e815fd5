import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import {
  conflictSides,
  editNoteBody,
  resolveConflict,
  setBantItem,
  setDescription,
  setProbability,
} from '../../pwa/js/deal-actions.js';
import { DEFAULT_PROBABILITIES, winProbability } from '../../pwa/js/stages.js';

/** Return an outbox stand-in that records each queued edit. */
function recordingOutbox() {
  const queued = [];
  return {
    queued,
    enqueue: async (entity, recordId, fields) => {
      queued.push({ entity, recordId, fields });
      return { id: `dev-a:${queued.length}` };
    },
  };
}

const conflict = {
  id: 'conflict-1',
  fields: { entity: 'note', record_id: 'note-1', field: 'body', kept: 'Ben text', other: 'Ana text', resolved: false },
};

/** Return the note as this phone last pulled it, its body last written by `device`. */
function noteWrittenBy(device) {
  return {
    entity: 'note',
    id: 'note-1',
    fields: { body: 'Ben text' },
    server: { meta: { body: { ver: 7, hlc: '0001700000000000-0000-x', dev: device } } },
  };
}

describe('deal actions', () => {
  it('edits a note body as one mutation', async () => {
    const outbox = recordingOutbox();
    await editNoteBody(outbox, { id: 'note-1' }, 'New text');
    assert.deepEqual(outbox.queued, [{ entity: 'note', recordId: 'note-1', fields: { body: 'New text' } }]);
  });

  it('takes the kept side as mine when this device wrote it', () => {
    assert.deepEqual(conflictSides(conflict, noteWrittenBy('dev-b'), 'dev-b'), { mine: 'Ben text', theirs: 'Ana text' });
    assert.deepEqual(conflictSides(conflict, noteWrittenBy('dev-b'), 'dev-a'), { mine: 'Ana text', theirs: 'Ben text' });
  });

  const choices = [
    { choice: 'mine', body: 'Ana text' },
    { choice: 'theirs', body: 'Ben text' },
    { choice: 'both', body: 'Ana text\n\nBen text' },
  ];
  for (const { choice, body } of choices) {
    it(`resolves keep ${choice} as the text then resolved`, async () => {
      const outbox = recordingOutbox();
      await resolveConflict(outbox, conflict, noteWrittenBy('dev-b'), choice, 'dev-a');
      assert.deepEqual(outbox.queued, [
        { entity: 'note', recordId: 'note-1', fields: { body } },
        { entity: 'conflict', recordId: 'conflict-1', fields: { resolved: true } },
      ]);
    });
  }
});

describe('qualification actions', () => {
  const deal = { id: 'deal-1', fields: { stage: 'qualification' } };

  it('ticks one BANT item as one field', async () => {
    const outbox = recordingOutbox();
    await setBantItem(outbox, deal, 'bant_need', true);
    await setBantItem(outbox, deal, 'bant_budget', false);
    assert.deepEqual(outbox.queued, [
      { entity: 'deal', recordId: 'deal-1', fields: { bant_need: true } },
      { entity: 'deal', recordId: 'deal-1', fields: { bant_budget: false } },
    ]);
  });

  it('rejects a field that is not a BANT item', () => {
    const outbox = recordingOutbox();
    assert.throws(() => setBantItem(outbox, deal, 'stage', true), /not a BANT field/);
    assert.deepEqual(outbox.queued, []);
  });

  it('sets and clears the probability override', async () => {
    const outbox = recordingOutbox();
    await setProbability(outbox, deal, 35);
    await setProbability(outbox, deal, null);
    assert.deepEqual(outbox.queued, [
      { entity: 'deal', recordId: 'deal-1', fields: { probability: 35 } },
      { entity: 'deal', recordId: 'deal-1', fields: { probability: null } },
    ]);
  });

  for (const bad of [-1, 101, 12.5, Number.NaN, '40']) {
    it(`rejects probability ${String(bad)}`, () => {
      const outbox = recordingOutbox();
      assert.throws(() => setProbability(outbox, deal, bad), RangeError);
      assert.deepEqual(outbox.queued, []);
    });
  }

  it('edits the description as one field', async () => {
    const outbox = recordingOutbox();
    await setDescription(outbox, deal, 'Needs 40 racks by March.');
    assert.deepEqual(outbox.queued, [
      { entity: 'deal', recordId: 'deal-1', fields: { description: 'Needs 40 racks by March.' } },
    ]);
  });
});

describe('win probability', () => {
  it('uses the stage default without an override', () => {
    assert.deepEqual(winProbability({ stage: 'qualification', probability: null }), { percent: 10, source: 'stage' });
    assert.deepEqual(winProbability({ stage: 'negotiation' }), { percent: 70, source: 'stage' });
  });

  it('uses the override, including 0', () => {
    assert.deepEqual(winProbability({ stage: 'proposal', probability: 35 }), { percent: 35, source: 'override' });
    assert.deepEqual(winProbability({ stage: 'proposal', probability: 0 }), { percent: 0, source: 'override' });
  });

  it('mirrors the server stage defaults', async () => {
    const source = await readFile(new URL('../../server/pipelines.py', import.meta.url), 'utf8');
    const table = source.match(/DEFAULT_PROBABILITIES[^{]*\{([^}]*)\}/);
    assert.ok(table, 'server/pipelines.py defines DEFAULT_PROBABILITIES');
    const server = Object.fromEntries(
      [...table[1].matchAll(/"(\w+)":\s*(\d+)/g)].map(([, stage, percent]) => [stage, Number(percent)]),
    );
    assert.deepEqual(DEFAULT_PROBABILITIES, server);
  });
});
