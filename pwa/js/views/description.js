/**
 * The deal's description on the deal page, edited in a text box and saved
 * with a button. Text the rep has typed but not saved is never replaced by
 * a refresh. A teammate's concurrent edit becomes a conflict that the deal
 * page shows with keep mine / theirs / both.
 */

import { setDescription } from '../deal-actions.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/**
 * @param {AppContext} ctx
 * @param {() => LocalRecord | null} getDeal
 */
export function createDescriptionForm(ctx, getDeal) {
  const box = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { rows: '4', id: 'deal-description-input', 'data-testid': 'description-input' })
  );
  const saved = h('p', { class: 'muted', role: 'status', 'data-testid': 'description-state' });
  /** True while the box contains text the rep has not saved. */
  let unsaved = false;
  box.addEventListener('input', () => {
    unsaved = true;
    saved.textContent = t('description.unsaved');
  });

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    const deal = getDeal();
    if (!deal) return;
    const text = box.value;
    try {
      await setDescription(ctx.outbox, deal, text);
      // The rep may have typed on while the edit was stored.
      if (box.value === text) {
        unsaved = false;
        saved.textContent = '';
      }
    } catch (failure) {
      ctx.reportError(failure);
    }
  }

  const element = h(
    'form',
    { class: 'stacked-form', 'data-testid': 'description-form', onsubmit: submit },
    h('h2', {}, h('label', { for: 'deal-description-input' }, t('deal.description'))),
    box,
    saved,
    h('button', { type: 'submit', 'data-testid': 'save-description' }, t('description.save')),
  );

  return {
    element,
    /** @param {LocalRecord} deal */
    show(deal) {
      if (!unsaved && document.activeElement !== box) box.value = deal.fields.description ?? '';
    },
  };
}
