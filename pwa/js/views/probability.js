/**
 * Win probability on the deal page: the deal's own override or else its
 * stage's default, and the value weighted by it. A form sets the override
 * (a whole percent from 0 to 100), and a button clears it back to the
 * stage's default. The override is a field of the deal, so moving the deal to
 * another stage leaves it in place.
 */

import { isWholePercent, setProbability } from '../deal-actions.js';
import { h } from '../dom.js';
import { formatMoney, t } from '../i18n.js';
import { winProbability } from '../stages.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/**
 * @param {AppContext} ctx
 * @param {() => LocalRecord | null} getDeal
 */
export function createProbabilitySection(ctx, getDeal) {
  const current = h('p', { 'data-testid': 'probability' });
  const weighted = h('p', { 'data-testid': 'weighted-value' });
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'number', inputmode: 'numeric', min: '0', max: '100', step: '1', 'data-testid': 'probability-input' })
  );
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'probability-error', hidden: true });
  const clear = h(
    'button',
    { type: 'button', 'data-testid': 'clear-probability', hidden: true, onclick: () => void write(null) },
    t('probability.clear'),
  );

  /** @param {number | null} percent */
  async function write(percent) {
    const deal = getDeal();
    if (!deal) return;
    try {
      await setProbability(ctx.outbox, deal, percent);
      if (percent === null) input.value = '';
    } catch (failure) {
      ctx.reportError(failure);
    }
  }

  /** @param {Event} event */
  function submit(event) {
    event.preventDefault();
    // A number input's value is '' for text it cannot parse, such as "4O".
    const text = input.value.trim();
    const percent = Number(text);
    if (text === '' || !isWholePercent(percent)) {
      error.textContent = t('probability.invalid');
      error.hidden = false;
      return;
    }
    error.hidden = true;
    void write(percent);
  }

  // novalidate: the browser's own range bubble would hide the message above.
  const form = h(
    'form',
    { class: 'inline-form', novalidate: true, 'data-testid': 'probability-form', onsubmit: submit },
    h('label', {}, t('probability.own'), input),
    h('button', { type: 'submit', 'data-testid': 'save-probability' }, t('probability.save')),
    error,
  );
  const element = h(
    'section',
    { class: 'probability', 'data-testid': 'probability-section' },
    h('h2', {}, t('probability.title')),
    current,
    weighted,
    form,
    clear,
  );

  return {
    element,
    /** @param {LocalRecord} deal */
    show(deal) {
      const { fields } = deal;
      const { percent, source } = winProbability(fields);
      current.textContent = t(`probability.${source}`, { percent });
      const value = Number(fields.value) || 0;
      weighted.textContent = t('probability.weighted', {
        amount: formatMoney((value * percent) / 100, fields.currency),
      });
      clear.hidden = source !== 'override';
      input.placeholder = String(winProbability({ stage: fields.stage }).percent);
      if (document.activeElement !== input && error.hidden) {
        input.value = source === 'override' ? String(percent) : '';
      }
    },
  };
}
