/**
 * Dealbook's service worker: the app shell is served from one versioned
 * cache, so the app opens offline and never mixes files of two versions.
 *
 * - install: fetch every shell file into the cache named by SHELL_VERSION.
 *   A new version then waits; the page offers "Update available — reload"
 *   and posts {type: 'skip-waiting'} when the rep accepts.
 * - activate: delete every other Dealbook cache and take control of pages.
 * - fetch: shell files come from this version's cache only (cache-first,
 *   network as a fallback for a file missing from it). /api/ is never
 *   cached: those requests go straight to the network.
 * - push: show a reminder, with "Done" and "Snooze 1 day" when it names a
 *   follow-up.
 * - notificationclick: a tap opens the deal. The two actions queue their
 *   mutation in the IndexedDB outbox from the worker, so they work with no
 *   signal, and then tell open pages to sync.
 * - pushsubscriptionchange: subscribe again and send the new subscription.
 *
 * The worker is an ES module (registered with type: 'module'), so it shares
 * the store, outbox and clock modules with the page.
 */

/// <reference lib="webworker" />

import { LANGUAGE_META_KEY, setLanguage, t } from './js/i18n.js';
import { resubscribe } from './js/push.js';
import { REMINDER_ACTIONS, queueReminderAction } from './js/reminder-actions.js';
import { openStore } from './js/store.js';

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** Version of the shell; change it whenever any file in SHELL_FILES changes. */
const SHELL_VERSION = 'v6';

/** Prefix of every cache this worker owns; other caches are left alone. */
const CACHE_PREFIX = 'dealbook-shell-';

const CACHE_NAME = `${CACHE_PREFIX}${SHELL_VERSION}`;

/** Every file of the app shell; a test checks this against the pwa/ folder. */
const SHELL_FILES = [
  '/',
  '/index.html',
  '/manifest.webmanifest',
  '/css/app.css',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/icons/apple-touch-icon.png',
  '/js/app.js',
  '/js/api.js',
  '/js/board-order.js',
  '/js/charts.js',
  '/js/deal-actions.js',
  '/js/dom.js',
  '/js/format.js',
  '/js/hlc.js',
  '/js/i18n.js',
  '/js/i18n/en.js',
  '/js/i18n/zh-TW.js',
  '/js/kpis.js',
  '/js/lead-score.js',
  '/js/local-view.js',
  '/js/log.js',
  '/js/merge.js',
  '/js/outbox.js',
  '/js/push.js',
  '/js/reminder-actions.js',
  '/js/rotting.js',
  '/js/router.js',
  '/js/stages.js',
  '/js/store.js',
  '/js/sync-client.js',
  '/js/sync-loop.js',
  '/js/views/accounts.js',
  '/js/views/board.js',
  '/js/views/context.js',
  '/js/views/dashboard.js',
  '/js/views/deal.js',
  '/js/views/description.js',
  '/js/views/import.js',
  '/js/views/login.js',
  '/js/views/park.js',
  '/js/views/probability.js',
  '/js/views/qualification.js',
  '/js/views/set-aside.js',
  '/js/views/settings.js',
  '/js/views/status-bar.js',
];

sw.addEventListener('install', (event) => {
  event.waitUntil(precacheShell());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(deleteOldCaches().then(() => sw.clients.claim()));
});

sw.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;

  event.respondWith(serveShellFile(request, url));
});

async function precacheShell() {
  const cache = await caches.open(CACHE_NAME);
  // "reload" skips the HTTP cache, so the new version's files are fetched
  // and not an older copy a proxy or the browser still holds.
  await cache.addAll(SHELL_FILES.map((path) => new Request(path, { cache: 'reload' })));
}

async function deleteOldCaches() {
  const names = await caches.keys();
  const old = names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME);
  await Promise.all(old.map((name) => caches.delete(name)));
}

/**
 * @param {Request} request
 * @param {URL} url
 */
async function serveShellFile(request, url) {
  const cache = await caches.open(CACHE_NAME);
  // Every in-app route is the same page: the views live in the URL's hash.
  const key = request.mode === 'navigate' ? '/index.html' : url.pathname;
  const cached = await cache.match(key);
  if (cached) return cached;
  return fetch(request);
}

// --- reminders -------------------------------------------------------------

sw.addEventListener('push', (event) => {
  event.waitUntil(showReminder(readPushPayload(event.data)));
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(handleNotificationClick(event.notification.data ?? {}, event.action));
});

sw.addEventListener('pushsubscriptionchange', (event) => {
  const change = /** @type {any} */ (event);
  event.waitUntil(resubscribe(sw.registration, change.oldSubscription ?? null));
});

/**
 * A push message as the server sends it (server/reminders.py).
 * @typedef {object} PushPayload
 * @property {string} [type]  "reminder" or "digest".
 * @property {string} [kind]  followup_due, deal_rotting, no_first_contact, digest, rule, park_checkin.
 * @property {string} [title]
 * @property {string} [body]
 * @property {string} [deal_id]
 * @property {string | null} [followup_id]
 * @property {string} [url]
 */

/**
 * @param {PushMessageData | null} data
 * @returns {PushPayload}
 */
function readPushPayload(data) {
  if (!data) return {};
  try {
    return data.json();
  } catch {
    return { body: data.text() };
  }
}

/**
 * Show a reminder in the rep's language. The body names the deal and its
 * account from this phone's copy when it has one, else the server's text.
 * @param {PushPayload} payload
 */
async function showReminder(payload) {
  let store = null;
  try {
    store = await openStore();
  } catch {
    // The database is unavailable (storage blocked or full): show the server's text.
  }
  if (store) setLanguage((await store.getMeta(LANGUAGE_META_KEY)) ?? '');

  const titleKey = `push.${payload.kind}`;
  const title = t(titleKey) !== titleKey ? t(titleKey) : payload.title ?? t('app.name');
  const body = (store && payload.deal_id && (await describeDeal(store, payload.deal_id))) || payload.body || '';
  store?.close();

  const followupId = payload.followup_id ?? null;
  const url = payload.deal_id ? dealUrl(payload.deal_id) : payload.url ?? '/';
  /** @type {NotificationOptions & {actions?: {action: string, title: string}[]}} */
  const options = {
    body,
    tag: followupId ?? payload.deal_id ?? payload.kind ?? 'dealbook',
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { deal_id: payload.deal_id ?? null, followup_id: followupId, url },
  };
  if (followupId) {
    options.actions = [
      { action: REMINDER_ACTIONS.done, title: t('push.action_done') },
      { action: REMINDER_ACTIONS.snooze, title: t('push.action_snooze') },
    ];
  }
  await sw.registration.showNotification(title, options);
}

/**
 * Return "Deal title · Account" from the phone's copy, or null.
 * @param {import('./js/store.js').Store} store
 * @param {string} dealId
 */
async function describeDeal(store, dealId) {
  const deal = await store.getRecord('deal', dealId);
  if (!deal || deal.deleted) return null;
  const account = deal.fields.account_id ? await store.getRecord('account', deal.fields.account_id) : null;
  const title = deal.fields.title ?? '';
  return account?.fields.name ? `${title} · ${account.fields.name}` : title;
}

/** Return the app URL of a deal's page. */
function dealUrl(/** @type {string} */ dealId) {
  return `/#/deals/${encodeURIComponent(dealId)}`;
}

/**
 * Run a tap on a reminder: an action queues its mutation, and a tap on
 * the notification itself opens the deal.
 * @param {{deal_id?: string | null, followup_id?: string | null, url?: string}} data
 * @param {string} action  The button tapped, or '' for the notification itself.
 */
async function handleNotificationClick(data, action) {
  const isReminderAction = action === REMINDER_ACTIONS.done || action === REMINDER_ACTIONS.snooze;
  if (isReminderAction && data.followup_id) {
    const store = await openStore();
    try {
      const mutation = await queueReminderAction(store, { action, followupId: data.followup_id });
      await tellPages({ type: 'outbox-changed', hlc: mutation.hlc });
    } finally {
      store.close();
    }
    return;
  }
  await openPage(data.url ?? '/');
}

/**
 * Focus an open Dealbook window and send it to url, or open a new one.
 * @param {string} url
 */
async function openPage(url) {
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const target = new URL(url, sw.location.origin);
  for (const client of windows) {
    if (new URL(client.url).origin !== sw.location.origin) continue;
    try {
      await client.focus();
    } catch {
      // Focus needs the user activation of a real notification tap; without
      // it the open window still moves to the deal, in the background.
    }
    client.postMessage({ type: 'navigate', hash: target.hash });
    return;
  }
  await sw.clients.openWindow(target.href);
}

/** Post a message to every open Dealbook window. */
async function tellPages(/** @type {unknown} */ message) {
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}
