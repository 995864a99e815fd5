import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { conflictSides, editNoteBody, resolveConflict } from '../../pwa/js/deal-actions.js';

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
