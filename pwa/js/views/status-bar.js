/**
 * The header's sync status (online or offline, "N changes waiting to
 * sync") and the banners above the view: update offers, storage failures,
 * set-aside changes and sign-in requests.
 */

import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @typedef {import('../sync-loop.js').SyncStatus} SyncStatus
 * @typedef {{text: string, actionLabel?: string, action?: () => void, tone?: 'info' | 'warning' | 'error'}} Banner
 */

export function createStatusBar() {
  const connection = /** @type {HTMLElement} */ (document.querySelector('[data-testid="connection"]'));
  const pending = /** @type {HTMLElement} */ (document.querySelector('[data-testid="pending-count"]'));
  const bannerArea = /** @type {HTMLElement} */ (document.querySelector('[data-testid="banners"]'));
  /** @type {Map<string, Banner>} */
  const banners = new Map();

  function renderBanners() {
    replaceChildren(
      bannerArea,
      [...banners].map(([key, banner]) =>
        h(
          'div',
          { class: `banner ${banner.tone ?? 'info'}`, role: 'status', 'data-testid': `banner-${key}` },
          h('span', {}, banner.text),
          banner.action
            ? h('button', { type: 'button', 'data-testid': `banner-${key}-action`, onclick: banner.action }, banner.actionLabel ?? '')
            : null,
        ),
      ),
    );
  }

  return {
    /**
     * Show whether the phone is online and what the sync loop is doing. The
     * phone counts as offline when the browser says so or when the last
     * sync got no answer at all, because navigator.onLine stays true on a
     * network that reaches nothing.
     * @param {boolean} browserOnline  navigator.onLine
     * @param {SyncStatus | null} status
     */
    showConnection(browserOnline, status) {
      const online = browserOnline && !status?.unreachable;
      let key = online ? 'status.online' : 'status.offline';
      if (online && status?.state === 'syncing') key = 'status.syncing';
      if (online && status?.state === 'backoff') key = 'status.retrying';
      connection.textContent = t(key);
      connection.dataset.online = String(online);
    },

    /** Show how many changes wait in the outbox. */
    showPending(/** @type {number} */ count) {
      pending.textContent = count === 0 ? t('pending.none') : t('pending', { count });
      pending.dataset.count = String(count);
    },

    /**
     * Show a banner, replacing any with the same key.
     * @param {string} key
     * @param {Banner} banner
     */
    showBanner(key, banner) {
      banners.set(key, banner);
      renderBanners();
    },

    hideBanner(/** @type {string} */ key) {
      if (banners.delete(key)) renderBanners();
    },
  };
}
