/**
 * Changes the server will not apply as sent, kept until the rep acts:
 * rejected ones show each bad field with the reason and offer fix or
 * discard; edits of a record a teammate deleted offer restore or discard.
 */

import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../store.js').SetAsideChange} SetAsideChange
 */

/** @param {AppContext} ctx */
export function createSetAsideView(ctx) {
  const list = h('ul', { class: 'list', 'data-testid': 'set-aside' });
  const element = h('section', { class: 'set-aside-view' }, h('h1', {}, t('set_aside.title')), list);
  /** Ids of changes whose fix form is open, kept across refreshes. */
  const fixing = new Set();

  async function refresh() {
    const changes = await ctx.store.getSetAsideChanges();
    if (changes.length === 0) {
      replaceChildren(list, h('li', { class: 'empty' }, t('set_aside.empty')));
      return;
    }
    const items = [];
    for (const change of changes) items.push(await renderChange(ctx, change, fixing, refresh));
    replaceChildren(list, items);
  }

  return { element, refresh };
}

/**
 * @param {AppContext} ctx
 * @param {SetAsideChange} change
 * @param {Set<string>} fixing
 * @param {() => Promise<void>} refresh
 */
async function renderChange(ctx, change, fixing, refresh) {
  const { mutation } = change;
  const record = await ctx.store.getRecord(mutation.entity, mutation.record_id);
  const label = record?.fields.title ?? record?.fields.name ?? mutation.record_id;
  const act = (/** @type {() => Promise<unknown>} */ action) => () => action().catch(ctx.reportError);
  const discard = h('button', { type: 'button', 'data-testid': 'discard', onclick: act(() => ctx.outbox.discard(change)) }, t('set_aside.discard'));

  if (change.kind === 'deleted') {
    return h(
      'li',
      { 'data-testid': 'set-aside-change', 'data-kind': 'deleted' },
      h('p', {}, t('set_aside.deleted')),
      h('p', { class: 'meta' }, label),
      renderFields(mutation.fields),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'restore', onclick: act(() => ctx.outbox.restore(change)) }, t('set_aside.restore')),
        discard,
      ),
    );
  }

  const errors = Object.entries(change.errors).map(([field, reason]) =>
    h('li', { 'data-testid': 'set-aside-error', 'data-field': field }, t('set_aside.field_error', { field, reason })),
  );
  const fixForm = fixing.has(change.id) ? renderFixForm(ctx, change, fixing) : null;
  const fixButton = h(
    'button',
    {
      type: 'button',
      'data-testid': 'fix',
      onclick: () => {
        fixing.add(change.id);
        void refresh();
      },
    },
    t('set_aside.fix'),
  );

  return h(
    'li',
    { 'data-testid': 'set-aside-change', 'data-kind': 'rejected' },
    h('p', {}, t('set_aside.rejected', { entity: t(`entity.${mutation.entity}`), label })),
    h('ul', { class: 'errors' }, errors),
    fixForm ?? renderFields(mutation.fields),
    h('div', { class: 'actions' }, fixForm ? null : fixButton, discard),
  );
}

/** @param {Record<string, any>} fields */
function renderFields(fields) {
  return h(
    'dl',
    { class: 'facts' },
    Object.entries(fields).map(([name, value]) => [h('dt', {}, name), h('dd', {}, String(value))]),
  );
}

/**
 * A form with one input per field of the change, filled with what the rep
 * typed, that sends the corrected change as a new mutation.
 * @param {AppContext} ctx
 * @param {SetAsideChange} change
 * @param {Set<string>} fixing
 */
function renderFixForm(ctx, change, fixing) {
  const inputs = Object.entries(change.mutation.fields).map(([name, value]) => ({
    name,
    original: value,
    input: /** @type {HTMLInputElement} */ (h('input', { name, value: String(value ?? ''), 'data-testid': `fix-${name}` })),
  }));

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    /** @type {Record<string, any>} */
    const fields = {};
    for (const { name, original, input } of inputs) fields[name] = parseLike(input.value, name, original);
    try {
      await ctx.outbox.resend(change, fields);
      fixing.delete(change.id);
    } catch (error) {
      ctx.reportError(error);
    }
  }

  return h(
    'form',
    { class: 'stacked-form', onsubmit: submit },
    inputs.map(({ name, input }) => h('label', {}, name, input)),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'resend' }, t('set_aside.resend')),
  );
}

/**
 * Turn the text of a fix input back into the field's type: numbers for
 * number fields and `value`, booleans for boolean fields, text otherwise.
 * @param {string} text
 * @param {string} name
 * @param {unknown} original
 */
function parseLike(text, name, original) {
  if (typeof original === 'boolean') return text === 'true';
  if (typeof original === 'number' || name === 'value') {
    const number = Number(text);
    return text.trim() !== '' && Number.isFinite(number) ? number : text;
  }
  return text === '' && original === null ? null : text;
}
