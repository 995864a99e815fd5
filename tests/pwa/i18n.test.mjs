import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatMoney } from '../../pwa/js/format.js';
import { LANGUAGES, getTable, pickLanguage, setLanguage, t } from '../../pwa/js/i18n.js';

/** Return the `{name}` placeholders of a template, sorted. */
function placeholders(/** @type {string} */ template) {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

describe('translation tables', () => {
  const en = getTable('en');
  const zh = getTable('zh-TW');

  it('has every English key in zh-TW', () => {
    const missing = Object.keys(en).filter((key) => !(key in zh));
    assert.deepEqual(missing, []);
  });

  it('has every zh-TW key in English', () => {
    const extra = Object.keys(zh).filter((key) => !(key in en));
    assert.deepEqual(extra, []);
  });

  it('uses the same placeholders in both languages', () => {
    const differing = Object.keys(en).filter(
      (key) => key in zh && placeholders(en[key]).join() !== placeholders(zh[key]).join(),
    );
    assert.deepEqual(differing, []);
  });

  it('offers a table for every listed language', () => {
    for (const tag of LANGUAGES) assert.ok(getTable(tag), tag);
  });
});

describe('language choice', () => {
  it('reads Traditional Chinese tags as zh-TW', () => {
    assert.equal(pickLanguage(['zh-TW']), 'zh-TW');
    assert.equal(pickLanguage(['zh-Hant-TW']), 'zh-TW');
    assert.equal(pickLanguage(['zh-HK', 'en-US']), 'zh-TW');
  });

  it('falls back to English for other languages', () => {
    assert.equal(pickLanguage(['zh-CN']), 'en');
    assert.equal(pickLanguage(['fr-FR']), 'en');
    assert.equal(pickLanguage([]), 'en');
  });

  it('takes English variants as English', () => {
    assert.equal(pickLanguage(['en-GB']), 'en');
  });

  it('switches the strings t returns', () => {
    setLanguage('zh-TW');
    assert.equal(t('nav.settings'), '設定');
    assert.equal(t('board.count', { count: 2 }), '2 筆商機');
    setLanguage('en');
    assert.equal(t('nav.settings'), 'Settings');
    assert.equal(t('board.count', { count: 1 }), '1 deal');
  });
});

describe('money formatting', () => {
  const cases = [
    { name: 'whole US dollars drop the cents', amount: 40000, currency: 'USD', locale: 'en', expected: '$40,000' },
    { name: 'US dollars with cents keep two digits', amount: 1234.5, currency: 'USD', locale: 'en', expected: '$1,234.50' },
    { name: 'TWD never shows a minor unit', amount: 1234.56, currency: 'TWD', locale: 'zh-TW', expected: '$1,235' },
    { name: 'TWD in English names the currency', amount: 1500, currency: 'TWD', locale: 'en', expected: 'NT$1,500' },
    { name: 'TWD rounds half up to whole dollars', amount: 99.5, currency: 'TWD', locale: 'en', expected: 'NT$100' },
    { name: 'yen has no minor unit', amount: 1234.4, currency: 'JPY', locale: 'en', expected: '¥1,234' },
    { name: 'US dollars in zh-TW say US$', amount: 40000, currency: 'USD', locale: 'zh-TW', expected: 'US$40,000' },
    { name: 'euros in English', amount: 12.3, currency: 'EUR', locale: 'en', expected: '€12.30' },
    { name: 'unknown currency shows the code', amount: 12000, currency: 'X1', locale: 'en', expected: '12,000 X1' },
  ];

  for (const { name, amount, currency, locale, expected } of cases) {
    it(name, () => {
      assert.equal(formatMoney(amount, currency, locale), expected);
    });
  }
});

describe('compact money for chart labels', () => {
  it('shortens thousands and millions in the locale', async () => {
    const { formatCompactMoney } = await import('../../pwa/js/format.js');
    assert.equal(formatCompactMoney(48000, 'USD', 'en'), '$48K');
    assert.equal(formatCompactMoney(1200000, 'TWD', 'en'), 'NT$1.2M');
    assert.match(formatCompactMoney(1200000, 'TWD', 'zh-TW'), /120萬/);
  });
});
