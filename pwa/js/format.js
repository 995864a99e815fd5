/**
 * Money, numbers, percentages and dates for the rep's language, through
 * `Intl`. Each function takes the locale last, defaulting to the language
 * in use, so tests can pass one.
 */

import { currentLanguage } from './i18n.js';

/**
 * Currencies shown without a minor unit, whatever ISO 4217 lists. ISO 4217
 * gives TWD 2 decimals, but prices and invoices in Taiwan use whole dollars.
 */
const WHOLE_UNIT_CURRENCIES = new Set(['TWD']);

/**
 * Format an amount of money in its currency, for example "$12,000" or
 * "$12,000.50". Whole amounts drop the minor unit, other amounts show the
 * currency's usual decimals (2 for USD, 0 for JPY), and TWD never shows one.
 * @param {number} amount
 * @param {string} [currency]  ISO 4217 code; the deal's `currency`.
 * @param {string} [locale]
 */
export function formatMoney(amount, currency = 'USD', locale = currentLanguage()) {
  let format;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  } catch {
    // An unknown currency code throws a RangeError; show the bare number.
    return `${formatNumber(amount, locale)} ${currency}`;
  }
  const usualDigits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const whole = WHOLE_UNIT_CURRENCIES.has(currency) || Number.isInteger(amount);
  const digits = whole ? 0 : usualDigits;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount);
}

/**
 * Format an amount of money in a few characters for a chart label, for
 * example "$48K" or "NT$1.2M" ("$120萬" in zh-TW).
 * @param {number} amount
 * @param {string} [currency]
 * @param {string} [locale]
 */
export function formatCompactMoney(amount, currency = 'USD', locale = currentLanguage()) {
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      notation: 'compact',
      minimumFractionDigits: 0,
      maximumFractionDigits: 1,
    }).format(amount);
  } catch {
    return `${formatNumber(amount, locale)} ${currency}`;
  }
}

/**
 * @param {number} value
 * @param {string} [locale]
 */
export function formatNumber(value, locale = currentLanguage()) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value);
}

/**
 * Format a ratio from 0 to 1 as a percentage, for example "42.5%".
 * @param {number} ratio
 * @param {string} [locale]
 */
export function formatPercent(ratio, locale = currentLanguage()) {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/**
 * Format an ISO date or date-time as a short local date, for example "4 Dec 2026".
 * @param {string} iso
 * @param {string} [locale]
 */
export function formatDate(iso, locale = currentLanguage()) {
  const date = parseIso(iso);
  if (!date) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date);
}

/**
 * Format an ISO date-time as a local date and time, for example "4 Dec 2026, 09:30".
 * @param {string} iso
 * @param {string} [locale]
 */
export function formatDateTime(iso, locale = currentLanguage()) {
  const date = parseIso(iso);
  if (!date) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/**
 * Format a `YYYY-MM` month, for example "Mar 2027" or "2027年3月".
 * @param {string} month
 * @param {string} [locale]
 */
export function formatMonth(month, locale = currentLanguage()) {
  const date = parseIso(`${month}-01`);
  if (!date) return month;
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short' }).format(date);
}

/**
 * Read a date (as local midnight) or a date-time; null when invalid.
 * @param {string} iso
 */
function parseIso(iso) {
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return Number.isNaN(date.getTime()) ? null : date;
}
