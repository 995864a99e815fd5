/**
 * Text shown to the rep, one table per language in `i18n/`, looked up by key.
 * Markup and views hold keys only, so adding a language is adding a table
 * here and in `i18n/`; a test checks that every table has the same keys.
 *
 * A value may contain `{name}` placeholders filled from the params object.
 * A key ending in `.one` / `.other` is a plural pair, chosen by `count`.
 *
 * The language comes from the rep's choice in settings, saved in
 * localStorage, else from `navigator.languages`.
 */

import en from './i18n/en.js';
import zhTW from './i18n/zh-TW.js';

/** @type {Record<string, Record<string, string>>} */
const TABLES = {
  en,
  'zh-TW': zhTW,
};

/** Languages the rep can pick, in menu order. */
export const LANGUAGES = /** @type {const} */ (['en', 'zh-TW']);

/** Language used when the phone's language has no table or a key is missing. */
const FALLBACK_LANGUAGE = 'en';

/** localStorage key of the language the rep picked in settings. */
export const LANGUAGE_STORAGE_KEY = 'dealbook.language';

/**
 * Store meta key holding the same choice for the service worker, which has
 * no localStorage and writes notification text in the rep's language.
 */
export const LANGUAGE_META_KEY = 'language';

/**
 * Tags that read Traditional Chinese. Browsers report zh-TW, zh-HK or
 * zh-Hant-TW; zh-CN and zh-Hans read Simplified, so they fall back to English.
 */
const TRADITIONAL_CHINESE = /^zh-(TW|HK|MO|Hant)\b/i;

/** @type {Set<(language: string) => void>} */
const listeners = new Set();

let language = pickLanguage([readSavedLanguage(), ...(globalThis.navigator?.languages ?? [])]);

/**
 * Return the supported language for the first tag that has one.
 * @param {readonly (string | null | undefined)[]} preferred
 * @returns {string}
 */
export function pickLanguage(preferred) {
  for (const tag of preferred) {
    if (!tag) continue;
    if (tag in TABLES) return tag;
    if (TRADITIONAL_CHINESE.test(tag)) return 'zh-TW';
    const base = tag.split('-')[0];
    if (base in TABLES && base !== 'zh') return base;
  }
  return FALLBACK_LANGUAGE;
}

/** @returns {string | null} */
function readSavedLanguage() {
  try {
    return globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY) ?? null;
  } catch {
    // Storage can be blocked (private modes, worker scopes); use the phone's language.
    return null;
  }
}

/** Return the language tag in use, for Intl formatters. */
export function currentLanguage() {
  return language;
}

/**
 * Use the given language's table and tell the listeners. With `save`, the
 * choice is kept in localStorage and wins over the phone's language.
 * @param {string} tag
 * @param {{save?: boolean}} [options]
 */
export function setLanguage(tag, { save = false } = {}) {
  const picked = pickLanguage([tag]);
  if (save) {
    try {
      globalThis.localStorage?.setItem(LANGUAGE_STORAGE_KEY, picked);
    } catch {
      // NOTE: without storage the choice lasts until the page reloads.
    }
  }
  if (picked === language) return;
  language = picked;
  for (const listener of listeners) listener(picked);
}

/**
 * Call listener with the new tag whenever the language changes.
 * @param {(language: string) => void} listener
 * @returns {() => void}  Removes the listener.
 */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
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

/** Return the table of one language, for tests and the service worker. */
export function getTable(/** @type {string} */ tag) {
  return TABLES[tag];
}

/** @param {string} key */
function lookup(key) {
  return TABLES[language]?.[key] ?? TABLES[FALLBACK_LANGUAGE][key];
}

export { formatDate, formatMoney } from './format.js';
