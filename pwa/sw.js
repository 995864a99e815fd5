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
 */

/// <reference lib="webworker" />

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** Version of the shell; change it whenever any file in SHELL_FILES changes. */
const SHELL_VERSION = 'v1';

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
  '/js/deal-actions.js',
  '/js/dom.js',
  '/js/hlc.js',
  '/js/i18n.js',
  '/js/local-view.js',
  '/js/log.js',
  '/js/merge.js',
  '/js/outbox.js',
  '/js/router.js',
  '/js/stages.js',
  '/js/store.js',
  '/js/sync-client.js',
  '/js/sync-loop.js',
  '/js/views/accounts.js',
  '/js/views/board.js',
  '/js/views/context.js',
  '/js/views/deal.js',
  '/js/views/login.js',
  '/js/views/set-aside.js',
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
