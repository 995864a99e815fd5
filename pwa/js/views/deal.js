/**
 * A deal's page: its fields, the stage picker and "Move to next stage",
 * the BANT checklist with the lead score, and the win probability. Below
 * them come value, close-date and description edits, open conflicts with
 * keep mine / theirs / both, meeting notes with a form to log one, and
 * follow-ups with a form to schedule one. The forms are built once and survive refreshes, so a sync
 * landing while the rep types does not clear the input.
 */

import {
  conflictSides,
  editNoteBody,
  logNote,
  markFollowupDone,
  moveToNextStage,
  moveToStage,
  resolveConflict,
  scheduleFollowup,
  setExpectedClose,
  setValue,
} from '../deal-actions.js';
import { h, replaceChildren, todayIso } from '../dom.js';
import { formatDate, formatMoney, t } from '../i18n.js';
import { STAGES, nextStage } from '../stages.js';
import { createDescriptionForm } from './description.js';
import { createParkForm } from './park.js';
import { createProbabilitySection } from './probability.js';
import { createQualificationSection } from './qualification.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/**
 * @param {AppContext} ctx
 * @param {string} dealId
 */
export function createDealView(ctx, dealId) {
  /** @type {LocalRecord | null} */
  let deal = null;

  const title = h('h1', { 'data-testid': 'deal-title' });
  const notice = h('p', { class: 'notice', 'data-testid': 'deal-notice', hidden: true });
  const facts = h('dl', { class: 'facts' });
  const conflicts = h('section', { class: 'conflicts', 'data-testid': 'conflicts' });
  const notesList = createNotesList(ctx);
  const followupsList = h('ul', { class: 'list', 'data-testid': 'followups' });

  /** Run an edit of the current deal, reporting a failure to the rep. */
  const edit = (/** @type {(deal: LocalRecord) => Promise<unknown>} */ action) => async () => {
    if (!deal) return;
    try {
      await action(deal);
    } catch (error) {
      ctx.reportError(error);
    }
  };

  const stagePicker = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'data-testid': 'stage-picker', 'aria-label': t('deal.stage') },
      STAGES.map((stage) => h('option', { value: stage }, t(`stage.${stage}`))),
    )
  );
  stagePicker.addEventListener('change', edit((current) => moveToStage(ctx.outbox, current, stagePicker.value)));
  const nextButton = h(
    'button',
    { type: 'button', class: 'primary', 'data-testid': 'next-stage', onclick: edit((current) => moveToNextStage(ctx.outbox, current)) },
    t('deal.next_stage'),
  );

  const valueForm = createValueForm(ctx, () => deal, edit);
  const closeForm = createCloseForm(() => deal, edit, ctx);
  const parkForm = createParkForm(ctx, () => deal);
  const probability = createProbabilitySection(ctx, () => deal);
  const qualification = createQualificationSection(ctx, () => deal);
  const descriptionForm = createDescriptionForm(ctx, () => deal);
  const noteForm = createNoteForm(ctx, dealId);
  const followupForm = createFollowupForm(ctx, dealId);

  const element = h(
    'article',
    { class: 'deal-view', 'data-testid': 'deal-view' },
    h('a', { href: '#/board', class: 'back' }, t('deal.back')),
    title,
    notice,
    facts,
    h('div', { class: 'stage-controls' }, stagePicker, nextButton),
    qualification.element,
    probability.element,
    valueForm.element,
    closeForm.element,
    conflicts,
    descriptionForm.element,
    parkForm.element,
    h('section', {}, h('h2', {}, t('deal.notes')), notesList.element, noteForm),
    h('section', {}, h('h2', {}, t('deal.followups')), followupsList, followupForm),
  );

  async function refresh() {
    deal = await ctx.store.getRecord('deal', dealId);
    if (!deal || deal.deleted) {
      title.textContent = deal?.fields.title ?? '';
      notice.textContent = deal ? t('deal.deleted') : t('deal.not_found');
      notice.hidden = false;
      return;
    }
    notice.hidden = true;
    title.textContent = deal.fields.title ?? '';
    await renderFacts(ctx, facts, deal);
    if (document.activeElement !== stagePicker) stagePicker.value = deal.fields.stage;
    nextButton.toggleAttribute('disabled', !nextStage(deal.fields.stage));
    valueForm.show(deal);
    closeForm.show(deal);
    parkForm.show(deal);
    probability.show(deal);
    qualification.show(deal);
    descriptionForm.show(deal);

    const notes = await ctx.store.getNotesByDeal(dealId);
    const followups = await ctx.store.getFollowupsByDeal(dealId);
    notesList.show(notes);
    renderFollowups(ctx, followupsList, followups);

    const open = await ctx.store.getOpenConflictsByRecords([dealId, ...notes.map((note) => note.id)]);
    await renderConflicts(ctx, conflicts, open);
  }

  return { element, refresh };
}

/**
 * @param {AppContext} ctx
 * @param {HTMLElement} facts
 * @param {LocalRecord} deal
 */
async function renderFacts(ctx, facts, deal) {
  const { fields } = deal;
  const account = fields.account_id ? await ctx.store.getRecord('account', fields.account_id) : null;
  const contact = fields.contact_id ? await ctx.store.getRecord('contact', fields.contact_id) : null;

  /** @type {[string, string, string][]} */
  const rows = [
    ['deal.account', account?.fields.name ?? '', 'deal-account'],
    ['deal.contact', contact?.fields.name ?? '', 'deal-contact'],
    ['deal.owner', ctx.members.get(fields.owner_id)?.name ?? '', 'deal-owner'],
    ['deal.stage', t(`stage.${fields.stage}`), 'deal-stage'],
    ['deal.value', formatMoney(Number(fields.value ?? 0), fields.currency), 'deal-value'],
    ['deal.expected_close', fields.expected_close ? formatDate(fields.expected_close) : '', 'deal-expected-close'],
    ['deal.status', fields.status ? t(`deal.status.${fields.status}`) : '', 'deal-status'],
  ];
  replaceChildren(
    facts,
    rows.map(([label, value, testId]) => [h('dt', {}, t(label)), h('dd', { 'data-testid': testId }, value)]),
  );
}

/**
 * @param {AppContext} ctx
 * @param {() => LocalRecord | null} getDeal
 * @param {(action: (deal: LocalRecord) => Promise<unknown>) => () => Promise<void>} edit
 */
function createValueForm(ctx, getDeal, edit) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'number', inputmode: 'decimal', min: '0', step: 'any', 'data-testid': 'value-input', 'aria-label': t('deal.value') })
  );
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const save = edit(async (deal) => {
    const value = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(value) || value < 0) {
      error.textContent = t('deal.invalid_value');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    await setValue(ctx.outbox, deal, value);
  });
  const element = h(
    'form',
    { class: 'inline-form', onsubmit: (/** @type {Event} */ event) => { event.preventDefault(); void save(); } },
    h('label', {}, t('deal.value'), input),
    h('button', { type: 'submit', 'data-testid': 'save-value' }, t('deal.save_value')),
    error,
  );

  return {
    element,
    show(/** @type {LocalRecord} */ deal) {
      if (document.activeElement !== input && getDeal()) input.value = String(deal.fields.value ?? '');
    },
  };
}

/**
 * @param {() => LocalRecord | null} getDeal
 * @param {(action: (deal: LocalRecord) => Promise<unknown>) => () => Promise<void>} edit
 * @param {AppContext} ctx
 */
function createCloseForm(getDeal, edit, ctx) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'date', 'data-testid': 'close-input' }));
  const save = edit((deal) => setExpectedClose(ctx.outbox, deal, input.value || null));
  const element = h(
    'form',
    { class: 'inline-form', onsubmit: (/** @type {Event} */ event) => { event.preventDefault(); void save(); } },
    h('label', {}, t('deal.expected_close'), input),
    h('button', { type: 'submit', 'data-testid': 'save-close' }, t('deal.save_close')),
  );

  return {
    element,
    show(/** @type {LocalRecord} */ deal) {
      if (document.activeElement !== input && getDeal()) input.value = deal.fields.expected_close ?? '';
    },
  };
}

/**
 * @param {AppContext} ctx
 * @param {string} dealId
 */
function createNoteForm(ctx, dealId) {
  const metAt = /** @type {HTMLInputElement} */ (h('input', { type: 'date', required: true, value: todayIso(), 'data-testid': 'note-met-at' }));
  const body = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: '4', required: true, 'data-testid': 'note-body' }));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (!body.value.trim() || !metAt.value) {
      error.textContent = t('deal.note_missing');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    const text = body.value;
    try {
      await logNote(ctx.outbox, { dealId, authorId: ctx.user.id, metAt: metAt.value, body: text });
      // The rep may have started the next note while this one was saved.
      if (body.value === text) body.value = '';
    } catch (failure) {
      ctx.reportError(failure);
    }
  }

  return h(
    'form',
    { class: 'stacked-form', 'data-testid': 'note-form', onsubmit: submit },
    h('label', {}, t('deal.met_at'), metAt),
    h('label', {}, t('deal.note_body'), body),
    error,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'log-note' }, t('deal.log_note')),
  );
}

/**
 * @param {AppContext} ctx
 * @param {string} dealId
 */
function createFollowupForm(ctx, dealId) {
  const dueAt = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', required: true, 'data-testid': 'followup-due-at' }));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (!dueAt.value) {
      error.textContent = t('deal.due_missing');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    try {
      await scheduleFollowup(ctx.outbox, { dealId, assigneeId: ctx.user.id, dueAt: dueAt.value });
      dueAt.value = '';
    } catch (failure) {
      ctx.reportError(failure);
    }
  }

  return h(
    'form',
    { class: 'stacked-form', 'data-testid': 'followup-form', onsubmit: submit },
    h('label', {}, t('deal.due_at'), dueAt),
    error,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'schedule-followup' }, t('deal.schedule_followup')),
  );
}

/**
 * Create the list of the deal's meeting notes, each with an Edit button. A
 * note being edited keeps its text box across refreshes, so a sync that
 * lands while the rep types does not clear what she typed.
 * @param {AppContext} ctx
 */
function createNotesList(ctx) {
  const element = h('ul', { class: 'list', 'data-testid': 'notes' });
  /** Text box of each note being edited, by note id. */
  const editing = /** @type {Map<string, HTMLTextAreaElement>} */ (new Map());
  /** @type {LocalRecord[]} */
  let notes = [];

  /** @param {LocalRecord} note */
  async function save(note) {
    const box = editing.get(note.id);
    if (!box) return;
    try {
      await editNoteBody(ctx.outbox, note, box.value);
      editing.delete(note.id);
      render();
    } catch (error) {
      ctx.reportError(error);
    }
  }

  /** @param {LocalRecord} note */
  function startEditing(note) {
    const box = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: '4', 'data-testid': 'note-edit-body' }));
    box.value = note.fields.body ?? '';
    editing.set(note.id, box);
    render();
    box.focus();
  }

  /** @param {LocalRecord} note */
  function renderNote(note) {
    const box = editing.get(note.id);
    const content = box
      ? h(
          'form',
          { class: 'stacked-form', onsubmit: (/** @type {Event} */ event) => { event.preventDefault(); void save(note); } },
          box,
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'submit', class: 'primary', 'data-testid': 'note-save' }, t('deal.save_note')),
            h('button', { type: 'button', 'data-testid': 'note-cancel', onclick: () => { editing.delete(note.id); render(); } }, t('deal.cancel_edit')),
          ),
        )
      : [
          h('p', { class: 'note-body', 'data-testid': 'note-text' }, note.fields.body ?? ''),
          h('button', { type: 'button', 'data-testid': 'note-edit', onclick: () => startEditing(note) }, t('deal.edit_note')),
        ];
    return h(
      'li',
      { 'data-testid': 'note', 'data-note-id': note.id, 'data-pending': note.pending > 0 ? 'true' : null },
      h('span', { class: 'meta' }, formatDate(note.fields.met_at ?? ''), ' · ', ctx.members.get(note.fields.author_id)?.name ?? ''),
      content,
    );
  }

  function render() {
    if (notes.length === 0) {
      replaceChildren(element, h('li', { class: 'empty' }, t('deal.no_notes')));
      return;
    }
    replaceChildren(element, notes.map(renderNote));
  }

  return {
    element,
    show(/** @type {LocalRecord[]} */ current) {
      notes = current;
      render();
    },
  };
}

/**
 * @param {AppContext} ctx
 * @param {HTMLElement} list
 * @param {LocalRecord[]} followups
 */
function renderFollowups(ctx, list, followups) {
  if (followups.length === 0) {
    replaceChildren(list, h('li', { class: 'empty' }, t('deal.no_followups')));
    return;
  }
  replaceChildren(
    list,
    followups.map((followup) =>
      h(
        'li',
        { 'data-testid': 'followup', 'data-pending': followup.pending > 0 ? 'true' : null },
        h('span', {}, t('deal.followup_due', { date: formatDate(followup.fields.due_at ?? '') })),
        h('span', { class: 'meta' }, ctx.members.get(followup.fields.assignee_id)?.name ?? ''),
        followup.fields.done
          ? h('span', { class: 'done' }, t('deal.followup_done'))
          : h(
              'button',
              {
                type: 'button',
                onclick: () => markFollowupDone(ctx.outbox, followup).catch(ctx.reportError),
              },
              t('deal.mark_done'),
            ),
      ),
    ),
  );
}

/**
 * @param {AppContext} ctx
 * @param {HTMLElement} section
 * @param {LocalRecord[]} open
 */
async function renderConflicts(ctx, section, open) {
  const items = [];
  for (const conflict of open) {
    const record = await ctx.store.getRecord(conflict.fields.entity, conflict.fields.record_id);
    const { mine, theirs } = conflictSides(conflict, record, ctx.deviceId);
    const resolve = (/** @type {'mine' | 'theirs' | 'both'} */ choice) => () =>
      resolveConflict(ctx.outbox, conflict, record, choice, ctx.deviceId).catch(ctx.reportError);

    items.push(
      h(
        'div',
        { class: 'conflict', 'data-testid': 'conflict', role: 'group' },
        h('h3', {}, t('conflict.title', { field: conflict.fields.field })),
        h('p', {}, h('strong', {}, t('conflict.mine')), ' ', h('span', { 'data-testid': 'conflict-mine' }, String(mine ?? ''))),
        h('p', {}, h('strong', {}, t('conflict.theirs')), ' ', h('span', { 'data-testid': 'conflict-theirs' }, String(theirs ?? ''))),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', 'data-testid': 'keep-mine', onclick: resolve('mine') }, t('conflict.keep_mine')),
          h('button', { type: 'button', 'data-testid': 'keep-theirs', onclick: resolve('theirs') }, t('conflict.keep_theirs')),
          h('button', { type: 'button', 'data-testid': 'keep-both', onclick: resolve('both') }, t('conflict.keep_both')),
        ),
      ),
    );
  }
  replaceChildren(section, items);
}
