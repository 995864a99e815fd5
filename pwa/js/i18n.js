/**
 * Text shown to the rep, one table per language, looked up by key. Markup and
 * views hold keys only, so adding a language (for example zh-TW) is adding a
 * table here.
 *
 * A value may contain `{name}` placeholders filled from the params object.
 * A key ending in `.one` / `.other` is a plural pair, chosen by `count`.
 */

/** @type {Record<string, Record<string, string>>} */
const TABLES = {
  en: {
    'app.name': 'Dealbook',
    'app.update_available': 'Update available — reload',
    'app.update_required': 'This version of the app is too old to sync. Update the app to send your waiting changes.',
    'app.update_button': 'Update the app',
    'app.storage_failed': 'Could not save on this phone: {reason}. Free some space and try again; your unsynced changes are kept.',
    'app.storage_quota': 'storage is full',
    'app.storage_low': 'This phone is low on storage for Dealbook. Sync soon so nothing waits only on this phone.',
    'app.signed_out': 'Your session has ended. Sign in again to sync; your waiting changes are kept.',

    'nav.board': 'Pipeline',
    'nav.accounts': 'Accounts',
    'nav.set_aside': 'Set aside',
    'nav.sign_out': 'Sign out',

    'status.online': 'Online',
    'status.offline': 'Offline',
    'status.syncing': 'Syncing…',
    'status.retrying': 'Sync failed, retrying',
    'pending.none': 'All changes synced',
    'pending.one': '{count} change waiting to sync',
    'pending.other': '{count} changes waiting to sync',

    'login.title': 'Sign in to Dealbook',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.failed': 'Sign-in failed: {message}',
    'login.offline': 'You are offline. Connect once to sign in; after that Dealbook works offline.',

    'stage.prospecting': 'Prospecting',
    'stage.qualification': 'Lead qualification',
    'stage.initial_contact': 'Initial contact',
    'stage.nurturing': 'Nurturing',
    'stage.proposal': 'Proposal',
    'stage.negotiation': 'Negotiation',
    'stage.closing': 'Closing',
    'stage.post_sales': 'Post-sales',

    'board.title': 'Pipeline',
    'board.count.one': '{count} deal',
    'board.count.other': '{count} deals',
    'board.empty': 'No deals',
    'board.no_close': 'No close date',
    'board.close': 'Close {date}',

    'deal.back': '← Pipeline',
    'deal.not_found': 'This deal is not on this phone.',
    'deal.deleted': 'This deal was deleted.',
    'deal.account': 'Account',
    'deal.contact': 'Contact',
    'deal.owner': 'Owner',
    'deal.stage': 'Stage',
    'deal.value': 'Value',
    'deal.expected_close': 'Expected close',
    'deal.status': 'Status',
    'deal.description': 'Description',
    'deal.next_stage': 'Move to next stage',
    'deal.last_stage': 'Last stage reached',
    'deal.save_value': 'Save value',
    'deal.save_close': 'Save date',
    'deal.invalid_value': 'Enter the value as a number, for example 12000.',
    'deal.notes': 'Meeting notes',
    'deal.no_notes': 'No notes yet.',
    'deal.log_note': 'Log meeting note',
    'deal.met_at': 'Met on',
    'deal.note_body': 'Note',
    'deal.note_missing': 'Write the note before saving it.',
    'deal.followups': 'Follow-ups',
    'deal.no_followups': 'No follow-ups scheduled.',
    'deal.schedule_followup': 'Schedule follow-up',
    'deal.due_at': 'Due',
    'deal.due_missing': 'Pick a due date.',
    'deal.followup_due': 'Due {date}',
    'deal.followup_done': 'Done',
    'deal.mark_done': 'Mark done',

    'conflict.title': 'Two edits of {field} met',
    'conflict.mine': 'Mine',
    'conflict.theirs': 'Theirs',
    'conflict.keep_mine': 'Keep mine',
    'conflict.keep_theirs': 'Keep theirs',
    'conflict.keep_both': 'Keep both',

    'accounts.title': 'Accounts',
    'accounts.empty': 'No accounts yet.',
    'accounts.contacts': 'Contacts',
    'accounts.no_contacts': 'No contacts.',

    'set_aside.title': 'Set-aside changes',
    'set_aside.empty': 'No changes are set aside.',
    'set_aside.rejected': 'The server could not apply this change to {entity} “{label}”.',
    'set_aside.field_error': '{field}: {reason}',
    'set_aside.deleted': 'This deal was deleted by a teammate; your edit is kept.',
    'set_aside.fix': 'Fix',
    'set_aside.resend': 'Send again',
    'set_aside.discard': 'Discard',
    'set_aside.restore': 'Restore',
    'set_aside.banner.one': '{count} change was set aside. Review it.',
    'set_aside.banner.other': '{count} changes were set aside. Review them.',

    'entity.account': 'account',
    'entity.contact': 'contact',
    'entity.deal': 'deal',
    'entity.note': 'note',
    'entity.followup': 'follow-up',
    'entity.conflict': 'conflict',
  },
};

/** Language used when the phone's language has no table or a key is missing. */
const FALLBACK_LANGUAGE = 'en';

let language = pickLanguage(globalThis.navigator?.languages ?? []);

/**
 * @param {readonly string[]} preferred
 * @returns {string}
 */
function pickLanguage(preferred) {
  for (const tag of preferred) {
    if (tag in TABLES) return tag;
    const base = tag.split('-')[0];
    if (base in TABLES) return base;
  }
  return FALLBACK_LANGUAGE;
}

/** Return the language tag in use, for Intl formatters. */
export function currentLanguage() {
  return language;
}

/** Use the given language's table, for tests. */
export function setLanguage(/** @type {string} */ tag) {
  language = pickLanguage([tag]);
}

/**
 * Return the string for key in the current language, with params filled in.
 * A `count` param picks between the `.one` and `.other` forms of a key.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  let fullKey = key;
  if (typeof params.count === 'number' && !lookup(key)) {
    const form = new Intl.PluralRules(language).select(params.count);
    fullKey = lookup(`${key}.${form}`) ? `${key}.${form}` : `${key}.other`;
  }
  const template = lookup(fullKey) ?? fullKey;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    name in params ? String(params[name]) : match,
  );
}

/** @param {string} key */
function lookup(key) {
  return TABLES[language]?.[key] ?? TABLES[FALLBACK_LANGUAGE][key];
}

/**
 * Format an amount of money, for example "$12,000".
 * @param {number} amount
 * @param {string} [currency]
 */
export function formatMoney(amount, currency = 'USD') {
  try {
    return new Intl.NumberFormat(language, {
      style: 'currency',
      currency,
      maximumFractionDigits: 0,
    }).format(amount);
  } catch {
    // An unknown currency code throws a RangeError; show the bare number.
    return `${new Intl.NumberFormat(language).format(amount)} ${currency}`;
  }
}

/**
 * Format an ISO date or date-time as a short local date, for example "4 Dec 2026".
 * @param {string} iso
 */
export function formatDate(iso) {
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(date);
}
