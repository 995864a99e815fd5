/**
 * Settings: the language, reminders on this phone, quiet hours and the
 * daily digest time in the phone's time zone, the team's rules, and import
 * and export of deals. Notification permission is requested only when the
 * rep taps "Turn on reminders". Only managers can switch rules on and off.
 */

import { createAppApi, describeApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { LANGUAGES, LANGUAGE_META_KEY, currentLanguage, setLanguage, t } from '../i18n.js';
import { reminderSupport, remindersAreOn, turnOffReminders, turnOnReminders } from '../push.js';

/**
 * @typedef {import('./context.js').AppContext} AppContext
 * @typedef {import('../api.js').AppApi} AppApi
 */

/** Name of the CSV file an export is saved as. */
const EXPORT_FILENAME = 'dealbook-deals.csv';

/** @param {AppContext} ctx */
export function createSettingsView(ctx) {
  const api = createAppApi(ctx.store);
  const element = h(
    'section',
    { class: 'settings-view', 'data-testid': 'settings' },
    h('h1', {}, t('settings.title')),
    languageSection(ctx),
    remindersSection(api),
    scheduleSection(api),
    rulesSection(ctx, api),
    dataSection(api),
  );
  // Nothing here mirrors the store, so a write elsewhere needs no redraw.
  return { element, refresh: async () => {} };
}

/** @param {AppContext} ctx */
function languageSection(ctx) {
  const picker = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'settings-language', 'data-testid': 'language-picker' },
      LANGUAGES.map((tag) => h('option', { value: tag, lang: tag }, t(`language.${tag}`))),
    )
  );
  picker.value = currentLanguage();
  picker.addEventListener('change', async () => {
    try {
      await ctx.store.setMeta({ [LANGUAGE_META_KEY]: picker.value });
    } catch (error) {
      ctx.reportError(error);
    }
    setLanguage(picker.value, { save: true });
  });
  return h(
    'section',
    { class: 'card-section' },
    h('h2', {}, h('label', { for: 'settings-language' }, t('settings.language'))),
    picker,
  );
}

/** @param {AppApi} api */
function remindersSection(api) {
  const status = h('p', { 'data-testid': 'reminders-status', 'aria-live': 'polite' });
  const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'primary', 'data-testid': 'reminders-button', hidden: true }));
  const section = h(
    'section',
    { class: 'card-section', 'data-testid': 'reminders' },
    h('h2', {}, t('reminders.title')),
    h('p', { class: 'muted' }, t('reminders.why')),
    status,
    button,
  );

  /** @param {boolean} on */
  function show(on) {
    status.textContent = on ? t('reminders.on') : t('reminders.off');
    button.textContent = on ? t('reminders.turn_off') : t('reminders.turn_on');
    button.dataset.action = on ? 'off' : 'on';
    button.hidden = false;
    button.disabled = false;
  }

  const support = reminderSupport();
  if (support === 'ios-needs-install') {
    status.textContent = t('reminders.ios_install');
    return section;
  }
  if (support === 'unsupported') {
    status.textContent = t('reminders.unsupported');
    return section;
  }

  void navigator.serviceWorker.getRegistration().then(async (registration) => show(await remindersAreOn(registration ?? null)));

  button.addEventListener('click', async () => {
    const turningOn = button.dataset.action === 'on';
    button.disabled = true;
    status.textContent = t('reminders.working');
    try {
      const registration = await navigator.serviceWorker.ready;
      if (!turningOn) {
        await turnOffReminders(registration, api);
        show(false);
        return;
      }
      if ((await turnOnReminders(registration, api)) === 'denied') {
        show(false);
        status.textContent = t('reminders.denied');
        return;
      }
      show(true);
    } catch (error) {
      show(turningOn ? false : true);
      status.textContent = t('reminders.failed', { reason: describeApiError(error) });
    }
  });
  return section;
}

/** @param {AppApi} api */
function scheduleSection(api) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const quietOn = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'quiet-on', 'data-testid': 'quiet-enabled' }));
  const quietStart = /** @type {HTMLInputElement} */ (h('input', { type: 'time', id: 'quiet-start', 'data-testid': 'quiet-start', value: '22:00' }));
  const quietEnd = /** @type {HTMLInputElement} */ (h('input', { type: 'time', id: 'quiet-end', 'data-testid': 'quiet-end', value: '07:00' }));
  const digest = /** @type {HTMLInputElement} */ (h('input', { type: 'time', id: 'digest-time', 'data-testid': 'digest-time', value: '08:00' }));
  const save = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', 'data-testid': 'schedule-save' }, t('settings.save')));
  const message = h('p', { 'data-testid': 'schedule-message', 'aria-live': 'polite' });
  const syncQuietInputs = () => {
    quietStart.disabled = !quietOn.checked;
    quietEnd.disabled = !quietOn.checked;
  };
  quietOn.addEventListener('change', syncQuietInputs);

  const form = h(
    'form',
    { class: 'card-section schedule', 'data-testid': 'schedule' },
    h('h2', {}, t('quiet.title')),
    h('p', { class: 'muted' }, t('quiet.help', { zone })),
    h('label', { class: 'switch-row', for: 'quiet-on' }, quietOn, t('quiet.enabled')),
    h('div', { class: 'time-row' }, h('label', { for: 'quiet-start' }, t('quiet.start')), quietStart, h('label', { for: 'quiet-end' }, t('quiet.end')), quietEnd),
    h('div', { class: 'time-row' }, h('label', { for: 'digest-time' }, t('digest.time')), digest),
    save,
    message,
  );

  /** @param {any} settings */
  function fill(settings) {
    quietOn.checked = Boolean(settings.quiet_hours_start && settings.quiet_hours_end);
    if (settings.quiet_hours_start) quietStart.value = settings.quiet_hours_start;
    if (settings.quiet_hours_end) quietEnd.value = settings.quiet_hours_end;
    if (settings.digest_time) digest.value = settings.digest_time;
    syncQuietInputs();
  }

  void api.get('/api/push/settings').then(fill, (error) => {
    message.textContent = navigator.onLine ? t('settings.save_failed', { reason: describeApiError(error) }) : t('common.offline_action');
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      fill(
        await api.put('/api/push/settings', {
          quiet_hours_start: quietOn.checked ? quietStart.value : null,
          quiet_hours_end: quietOn.checked ? quietEnd.value : null,
          digest_time: digest.value,
          time_zone: zone,
        }),
      );
      message.textContent = t('settings.saved');
    } catch (error) {
      message.textContent = navigator.onLine ? t('settings.save_failed', { reason: describeApiError(error) }) : t('common.offline_action');
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/**
 * @param {AppContext} ctx
 * @param {AppApi} api
 */
function rulesSection(ctx, api) {
  const isManager = ctx.user.role === 'manager';
  const list = h('ul', { class: 'list rules', 'data-testid': 'rules' });
  const message = h('p', { 'aria-live': 'polite' });
  const section = h(
    'section',
    { class: 'card-section' },
    h('h2', {}, t('rules.title')),
    isManager ? null : h('p', { class: 'muted' }, t('rules.manager_only')),
    list,
    message,
  );

  /** @param {any[]} rules */
  function render(rules) {
    if (rules.length === 0) {
      replaceChildren(list, h('li', { class: 'empty' }, t('rules.empty')));
      return;
    }
    replaceChildren(list, rules.map((rule) => renderRule(rule)));
  }

  /** @param {any} rule */
  function renderRule(rule) {
    const id = `rule-${rule.id}`;
    const toggle = /** @type {HTMLInputElement} */ (
      h('input', { type: 'checkbox', role: 'switch', id, 'data-testid': 'rule-switch', checked: Boolean(rule.enabled), disabled: !isManager })
    );
    toggle.addEventListener('change', async () => {
      toggle.disabled = true;
      try {
        const saved = await api.patch(`/api/rules/${encodeURIComponent(rule.id)}`, { enabled: toggle.checked });
        toggle.checked = Boolean(saved.enabled);
        message.textContent = t('settings.saved');
      } catch (error) {
        toggle.checked = !toggle.checked;
        message.textContent = t('settings.save_failed', { reason: describeApiError(error) });
      } finally {
        toggle.disabled = false;
      }
    });
    return h('li', { class: 'switch-row', 'data-testid': 'rule', 'data-rule-id': rule.id }, toggle, h('label', { for: id }, describeRule(rule)));
  }

  void api.get('/api/rules').then(
    (body) => render(body.rules ?? []),
    (error) => {
      message.textContent = navigator.onLine ? t('rules.load_failed', { reason: describeApiError(error) }) : t('common.offline_action');
    },
  );
  return section;
}

/**
 * Return a rule as a sentence, for example "When a deal enters Proposal,
 * schedule a follow-up in 2 days."
 * @param {any} rule
 */
export function describeRule(rule) {
  const triggerParams = rule.trigger_params ?? {};
  const actionParams = rule.action_params ?? {};
  const trigger = t(`rule.trigger.${rule.trigger}`, {
    stage: triggerParams.stage ? t(`stage.${triggerParams.stage}`) : '',
    score: triggerParams.score ?? '',
  });
  const dayCount = actionParams.due_in_days ?? actionParams.checkin_days ?? (rule.action === 'create_followup' ? 1 : 30);
  const action = t(`rule.action.${rule.action}`, { days: t('kpi.days', { count: dayCount }) });
  return t('rule.sentence', { trigger, action });
}

/** @param {AppApi} api */
function dataSection(api) {
  const message = h('p', { 'aria-live': 'polite' });
  const exportLink = h('a', { href: '/api/exports/deals.csv', download: EXPORT_FILENAME, 'data-testid': 'export-deals' }, t('settings.export'));
  // The export needs the bearer token, which a plain link cannot send.
  exportLink.addEventListener('click', async (event) => {
    event.preventDefault();
    try {
      const blob = await api.download('/api/exports/deals.csv');
      const url = URL.createObjectURL(blob);
      const anchor = h('a', { href: url, download: EXPORT_FILENAME, hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      message.textContent = navigator.onLine ? t('settings.export_failed', { reason: describeApiError(error) }) : t('common.offline_action');
    }
  });
  return h(
    'section',
    { class: 'card-section' },
    h('h2', {}, t('settings.data')),
    h('ul', { class: 'link-list' }, h('li', {}, h('a', { href: '#/import', 'data-testid': 'import-link' }, t('settings.import'))), h('li', {}, exportLink)),
    message,
  );
}
