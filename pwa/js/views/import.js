/**
 * Import deals from a CSV file on the phone: "Check file" uploads it to
 * POST /api/imports?dry_run=1 and shows what would change, line by line for
 * skipped rows; "Import" then runs the same file for real. The new deals
 * reach the phone with the next sync.
 */

import { createAppApi, describeApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatNumber } from '../format.js';
import { t } from '../i18n.js';

/** @typedef {import('./context.js').AppContext} AppContext */

/** @param {AppContext} ctx */
export function createImportView(ctx) {
  const api = createAppApi(ctx.store);
  const file = /** @type {HTMLInputElement} */ (
    h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv', 'data-testid': 'import-file' })
  );
  const check = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', 'data-testid': 'import-check' }, t('import.check')));
  const run = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'primary', 'data-testid': 'import-run', disabled: true }, t('import.run')));
  const status = h('p', { 'data-testid': 'import-status', 'aria-live': 'polite' });
  const report = h('div', { 'data-testid': 'import-report' });

  /** The file that passed the dry run; "Import" sends exactly this one. */
  /** @type {File | null} */
  let checked = null;

  file.addEventListener('change', () => {
    checked = null;
    run.disabled = true;
    replaceChildren(report);
    status.textContent = '';
  });

  /** @param {boolean} dryRun */
  async function upload(dryRun) {
    const picked = dryRun ? file.files?.[0] : checked;
    if (!picked) {
      status.textContent = t('import.no_file');
      return;
    }
    check.disabled = true;
    run.disabled = true;
    status.textContent = dryRun ? t('import.checking') : t('import.importing');
    try {
      const path = dryRun ? '/api/imports?dry_run=1' : '/api/imports';
      const result = await api.upload(path, picked, picked.name);
      replaceChildren(report, renderReport(result));
      status.textContent = dryRun ? t('import.preview') : t('import.done');
      checked = dryRun ? picked : null;
    } catch (error) {
      status.textContent = navigator.onLine ? t('import.failed', { reason: describeApiError(error) }) : t('common.offline_action');
    } finally {
      check.disabled = false;
      run.disabled = checked === null;
    }
  }
  check.addEventListener('click', () => void upload(true));
  run.addEventListener('click', () => void upload(false));

  const element = h(
    'section',
    { class: 'import-view', 'data-testid': 'import' },
    h('a', { href: '#/settings', class: 'back' }, `← ${t('settings.title')}`),
    h('h1', {}, t('import.title')),
    h('p', { class: 'muted' }, t('import.help')),
    h('label', { for: 'import-file' }, t('import.file')),
    file,
    h('div', { class: 'button-row' }, check, run),
    status,
    report,
  );
  return { element, refresh: async () => {} };
}

/**
 * @param {{created?: Record<string, number>, updated?: Record<string, number>,
 *          unchanged?: Record<string, number>, skipped?: any[], warnings?: any[]}} result
 */
function renderReport(result) {
  const skipped = result.skipped ?? [];
  const warnings = result.warnings ?? [];
  return [
    h(
      'dl',
      { class: 'import-counts' },
      ['created', 'updated', 'unchanged'].map((kind) => [
        h('dt', {}, t(`import.${kind}`)),
        h('dd', { 'data-testid': `import-${kind}` }, countsText(/** @type {any} */ (result)[kind] ?? {})),
      ]),
    ),
    h('h2', {}, t('import.skipped', { count: skipped.length })),
    skipped.length
      ? h(
          'ul',
          { class: 'list', 'data-testid': 'import-skipped' },
          skipped.map((line) => h('li', {}, t('import.skipped_line', { line: line.line ?? '?', reason: line.reason ?? '' }))),
        )
      : null,
    warnings.length
      ? [
          h('h2', {}, t('import.warnings')),
          h('ul', { class: 'list' }, warnings.map((warning) => h('li', {}, typeof warning === 'string' ? warning : warning.reason ?? warning.message ?? JSON.stringify(warning)))),
        ]
      : null,
  ];
}

/** @param {Record<string, number>} counts  Entity -> count. */
function countsText(counts) {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([entity, count]) => {
      const key = `entity.${entity}`;
      return t('import.entity_count', { entity: t(key) === key ? entity : t(key), count: formatNumber(count) });
    });
  return parts.join(', ') || formatNumber(0);
}
