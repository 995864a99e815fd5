/**
 * "Park this deal" on the deal page: sets the deal's `parked_until` day
 * through the outbox, so it works offline, or clears it.
 */

import { h, todayIso } from '../dom.js';
import { formatDate } from '../format.js';
import { t } from '../i18n.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/**
 * @param {AppContext} ctx
 * @param {() => LocalRecord | null} getDeal
 */
export function createParkForm(ctx, getDeal) {
  const state = h('p', { 'data-testid': 'park-state' });
  const until = /** @type {HTMLInputElement} */ (h('input', { type: 'date', id: 'park-until', 'data-testid': 'park-until' }));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const unpark = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', 'data-testid': 'unpark', hidden: true }, t('park.unpark')));

  /** @param {Record<string, any>} fields */
  async function write(fields) {
    const deal = getDeal();
    if (!deal) return;
    try {
      await ctx.outbox.enqueue('deal', deal.id, fields);
    } catch (failure) {
      ctx.reportError(failure);
    }
  }

  const form = h(
    'form',
    { class: 'park', 'data-testid': 'park-form' },
    h('h2', {}, t('park.title')),
    h('p', { class: 'muted' }, t('park.help')),
    state,
    h('label', { for: 'park-until' }, t('park.until')),
    h('div', { class: 'inline-form' }, until, h('button', { type: 'submit', 'data-testid': 'park' }, t('park.button'))),
    unpark,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!until.value || until.value <= todayIso()) {
      error.textContent = t('park.date_missing');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    void write({ parked_until: until.value });
  });
  unpark.addEventListener('click', () => void write({ parked_until: null }));

  return {
    element: form,
    /** @param {LocalRecord} deal */
    show(deal) {
      const parked = deal.fields.parked_until;
      state.textContent = parked ? t('park.parked', { date: formatDate(parked) }) : '';
      state.hidden = !parked;
      unpark.hidden = !parked;
      if (document.activeElement !== until) until.min = nextDayIso();
    },
  };
}

/** Return tomorrow as YYYY-MM-DD in the phone's time zone. */
function nextDayIso() {
  const today = new Date(`${todayIso()}T12:00:00`);
  today.setDate(today.getDate() + 1);
  return today.toISOString().slice(0, 10);
}
