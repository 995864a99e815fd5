/**
 * The BANT checklist on the deal page: budget, authority, need and timing,
 * each a checkbox that writes its own field through the outbox, and the
 * lead score they add up to. The section is shown for every deal and
 * highlighted while the deal is in Lead qualification.
 */

import { setBantItem } from '../deal-actions.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { BANT_FIELDS, leadScore } from '../lead-score.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../local-view.js').LocalRecord} LocalRecord
 */

/** The stage whose deals get the checklist highlighted. */
const QUALIFICATION_STAGE = 'qualification';

/**
 * @param {AppContext} ctx
 * @param {() => LocalRecord | null} getDeal
 */
export function createQualificationSection(ctx, getDeal) {
  const score = h('strong', { 'data-testid': 'lead-score' });
  const hint = h('p', { class: 'muted', 'data-testid': 'bant-hint', hidden: true }, t('bant.hint'));
  const boxes = BANT_FIELDS.map((field) => {
    const box = /** @type {HTMLInputElement} */ (
      h('input', { type: 'checkbox', 'data-testid': `bant-${field.slice('bant_'.length)}` })
    );
    box.addEventListener('change', async () => {
      const deal = getDeal();
      if (!deal) return;
      try {
        await setBantItem(ctx.outbox, deal, field, box.checked);
      } catch (error) {
        ctx.reportError(error);
      }
    });
    return { field, box };
  });

  const element = h(
    'section',
    { class: 'qualification', 'data-testid': 'bant' },
    h('h2', {}, t('bant.title')),
    hint,
    h(
      'div',
      { class: 'bant-items' },
      boxes.map(({ field, box }) => h('label', { class: 'switch-row' }, box, t(`bant.${field}`))),
    ),
    h('p', {}, t('bant.score_label'), ' ', score),
  );

  return {
    element,
    /** @param {LocalRecord} deal */
    show(deal) {
      const inQualification = deal.fields.stage === QUALIFICATION_STAGE;
      element.classList.toggle('highlight', inQualification);
      element.toggleAttribute('data-highlighted', inQualification);
      hint.hidden = !inQualification;
      for (const { field, box } of boxes) box.checked = Boolean(deal.fields[field]);
      score.textContent = t('bant.score', { score: leadScore(deal.fields) });
    },
  };
}
