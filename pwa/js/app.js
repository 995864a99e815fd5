/**
 * The app shell: opens the store, registers the service worker, signs the
 * rep in, starts the sync loop and mounts the view named by the URL hash.
 * Views redraw from the store after every committed write, so local edits
 * and pulled changes show without a reload.
 */

import { HybridClock } from './hlc.js';
import { h, replaceChildren } from './dom.js';
import { currentLanguage, onLanguageChange, t } from './i18n.js';
import { getLogger } from './log.js';
import { createOutbox } from './outbox.js';
import { parseRoute } from './router.js';
import { META_KEYS, openStore, requestPersistentStorage } from './store.js';
import { ApiError, createApiClient } from './sync-client.js';
import { createSyncLoop, syncOnBrowserEvents } from './sync-loop.js';
import { createAccountsView } from './views/accounts.js';
import { createBoardView } from './views/board.js';
import { createDashboardView } from './views/dashboard.js';
import { createDealView } from './views/deal.js';
import { createImportView } from './views/import.js';
import { createLoginView } from './views/login.js';
import { createSetAsideView } from './views/set-aside.js';
import { createSettingsView } from './views/settings.js';
import { createStatusBar } from './views/status-bar.js';

/**
 * @typedef {import('./store.js').Store} Store
 * @typedef {import('./sync-client.js').User} User
 * @typedef {import('./sync-loop.js').SyncStatus} SyncStatus
 * @typedef {import('./views/context.js').AppContext} AppContext
 * @typedef {import('./views/context.js').View} View
 * @typedef {ReturnType<typeof createStatusBar>} StatusBar
 */

/** Share of the storage quota in use above which the rep is warned. */
const STORAGE_WARNING_RATIO = 0.9;

const log = getLogger('app');
const viewRoot = /** @type {HTMLElement} */ (document.getElementById('view'));
const topbar = /** @type {HTMLElement} */ (document.querySelector('[data-testid="topbar"]'));
const tabs = /** @type {HTMLElement} */ (document.querySelector('[data-testid="tabs"]'));

async function main() {
  showLanguage();
  const statusBar = createStatusBar();
  const registration = await registerServiceWorker(statusBar);

  let store;
  try {
    store = await openStore();
  } catch (error) {
    log.error('could not open the database', error);
    statusBar.showBanner('storage', { text: t('app.storage_failed', { reason: describe(error) }), tone: 'error' });
    return;
  }
  store.addEventListener('versionchange', () => location.reload());
  store.addEventListener('write-failed', (event) => {
    const error = /** @type {CustomEvent} */ (event).detail.error;
    log.error('a write to the database failed', error);
    statusBar.showBanner('storage', { text: storageFailureText(error), tone: 'error' });
  });
  void checkStorage(statusBar);

  const token = await store.getMeta(META_KEYS.token);
  const user = await store.getMeta(META_KEYS.user);
  const app = new App(store, statusBar, registration);
  if (token && user) await app.startSession(token, user);
  else app.showLogin();
}

/** One signed-in session and the view on screen. */
class App {
  /**
   * @param {Store} store
   * @param {StatusBar} statusBar
   * @param {ServiceWorkerRegistration | null} registration
   */
  constructor(store, statusBar, registration) {
    this.store = store;
    this.statusBar = statusBar;
    this.registration = registration;
    /** @type {string | null} */
    this.token = null;
    /** @type {AppContext | null} */
    this.ctx = null;
    /** @type {import('./sync-loop.js').SyncLoop | null} */
    this.loop = null;
    /** @type {View | null} */
    this.view = null;
    /** @type {HybridClock | null} */
    this.clock = null;
    this.refreshing = false;
    this.refreshAgain = false;
    this.teamLoaded = false;

    store.addEventListener('change', () => void this.refresh());
    window.addEventListener('hashchange', () => void this.mountRoute());
    window.addEventListener('online', () => this.showConnection());
    window.addEventListener('offline', () => this.showConnection());
    onLanguageChange(() => {
      showLanguage();
      if (!this.ctx) return;
      this.renderTabs();
      this.showConnection();
      void this.mountRoute();
    });
    navigator.serviceWorker?.addEventListener('message', (event) => this.onWorkerMessage(event.data));
  }

  /**
   * Act on a message from the service worker: a reminder action queued a
   * mutation (move the clock past its stamp, redraw, sync), or a tapped
   * notification names a deal to show.
   * @param {any} message
   */
  onWorkerMessage(message) {
    if (message?.type === 'navigate' && typeof message.hash === 'string') {
      location.hash = message.hash;
    }
    if (message?.type === 'outbox-changed' && this.ctx) {
      if (typeof message.hlc === 'string') this.clock?.observe(message.hlc, Date.now());
      void this.refresh();
      void this.loop?.syncNow();
    }
  }

  showLogin() {
    topbar.hidden = true;
    this.view = createLoginView((email, password) => this.signIn(email, password));
    replaceChildren(viewRoot, this.view.element);
  }

  /**
   * @param {string} email
   * @param {string} password
   */
  async signIn(email, password) {
    const client = createApiClient({ fetch: (input, init) => fetch(input, init) });
    let session;
    try {
      session = await client.login(email, password);
    } catch (error) {
      throw new Error(error instanceof ApiError && error.serverMessage ? error.serverMessage : describe(error));
    }

    const previous = /** @type {User | undefined} */ (await this.store.getMeta(META_KEYS.user));
    if (previous && previous.id !== session.user.id) {
      // Another rep's book and unsent changes must not leak to this one.
      await this.store.clearAll();
    }
    await this.store.setMeta({ [META_KEYS.token]: session.token, [META_KEYS.user]: session.user });
    this.statusBar.hideBanner('signed-out');

    if (this.loop && previous?.id === session.user.id) {
      this.token = session.token;
      await this.mountRoute();
      void this.loop.start();
      return;
    }
    this.loop?.stop();
    await this.startSession(session.token, session.user);
  }

  /**
   * @param {string} token
   * @param {User} user
   */
  async startSession(token, user) {
    const { store } = this;
    this.token = token;
    const deviceId = await ensureDeviceId(store);
    const clock = new HybridClock(deviceId, (await store.getMeta(META_KEYS.clockStamp)) ?? null);
    let offsetMs = (await store.getMeta(META_KEYS.serverOffsetMs)) ?? 0;
    const members = new Map(
      ((await store.getMeta(META_KEYS.members)) ?? []).map((/** @type {any} */ member) => [member.id, member]),
    );

    const client = createApiClient({ fetch: (input, init) => fetch(input, init), getToken: () => this.token });
    const loop = createSyncLoop({
      store,
      client,
      deviceId,
      clock,
      onStatus: (status) => {
        this.showConnection(status);
        if (status.state === 'idle') {
          void store.getMeta(META_KEYS.serverOffsetMs).then((value) => (offsetMs = value ?? 0));
          void this.loadTeam(client);
        }
        this.showSyncProblem(status);
      },
    });
    const outbox = createOutbox({
      store,
      clock,
      deviceId,
      getServerOffsetMs: () => offsetMs,
      onEnqueued: () => void loop.syncNow(),
    });

    this.loop = loop;
    this.clock = clock;
    this.ctx = { store, outbox, deviceId, user, members, reportError: (error) => this.reportError(error) };
    this.renderTabs();
    topbar.hidden = false;
    await this.mountRoute();
    syncOnBrowserEvents(loop);
    void loop.start();
  }

  /** @param {import('./sync-client.js').ApiClient} client */
  async loadTeam(client) {
    if (this.teamLoaded || !this.ctx) return;
    try {
      const team = await client.getTeam();
      this.teamLoaded = true;
      await this.store.setMeta({ [META_KEYS.members]: team.members });
      this.ctx.members.clear();
      for (const member of team.members) this.ctx.members.set(member.id, member);
    } catch (error) {
      log.info('could not load the team; owner names wait for the next sync', error);
    }
  }

  renderTabs() {
    const tab = (/** @type {string} */ href, /** @type {string} */ label, /** @type {string} */ testId) =>
      h('a', { href, 'data-testid': testId }, t(label));
    replaceChildren(
      tabs,
      tab('#/board', 'nav.board', 'tab-board'),
      tab('#/accounts', 'nav.accounts', 'tab-accounts'),
      tab('#/set-aside', 'nav.set_aside', 'tab-set-aside'),
      tab('#/dashboard', 'nav.dashboard', 'tab-dashboard'),
      tab('#/settings', 'nav.settings', 'tab-settings'),
    );
  }

  async mountRoute() {
    if (!this.ctx) return;
    const route = parseRoute(location.hash);
    if (route.name === 'deal' && route.id) this.view = createDealView(this.ctx, route.id);
    else if (route.name === 'accounts') this.view = createAccountsView(this.ctx);
    else if (route.name === 'set-aside') this.view = createSetAsideView(this.ctx);
    else if (route.name === 'dashboard') this.view = createDashboardView(this.ctx);
    else if (route.name === 'settings') this.view = createSettingsView(this.ctx);
    else if (route.name === 'import') this.view = createImportView(this.ctx);
    else this.view = createBoardView(this.ctx);

    for (const link of tabs.querySelectorAll('a')) {
      const current = route.name === 'import' ? 'settings' : route.name;
      link.toggleAttribute('aria-current', link.getAttribute('href') === `#/${current}`);
    }
    replaceChildren(viewRoot, this.view.element);
    window.scrollTo(0, 0);
    await this.refresh();
  }

  /** Redraw the view and the status from the store; overlapping calls coalesce. */
  async refresh() {
    if (!this.ctx || !this.view) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        await this.view.refresh();
        await this.showOutbox();
      } while (this.refreshAgain);
    } catch (error) {
      log.error('could not redraw the view', error);
    } finally {
      this.refreshing = false;
    }
  }

  async showOutbox() {
    this.statusBar.showPending(await this.store.countPendingMutations());
    const setAside = await this.store.getSetAsideChanges();
    if (setAside.length === 0) {
      this.statusBar.hideBanner('set-aside');
      return;
    }
    this.statusBar.showBanner('set-aside', {
      text: t('set_aside.banner', { count: setAside.length }),
      tone: 'warning',
      actionLabel: t('nav.set_aside'),
      action: () => (location.hash = '#/set-aside'),
    });
  }

  /** @param {SyncStatus | null} [status] */
  showConnection(status = this.loop?.getStatus() ?? null) {
    this.statusBar.showConnection(navigator.onLine, status);
  }

  /** @param {SyncStatus} status */
  showSyncProblem(status) {
    if (status.state === 'update_required') {
      this.statusBar.showBanner('update-required', {
        text: t('app.update_required'),
        tone: 'error',
        actionLabel: t('app.update_button'),
        action: () => void updateApp(this.registration),
      });
    }
    if (status.state === 'signed_out') {
      this.statusBar.showBanner('signed-out', { text: t('app.signed_out'), tone: 'warning' });
      this.showLogin();
    }
  }

  /** @param {unknown} error */
  reportError(error) {
    log.error('an action failed', error);
    this.statusBar.showBanner('action', { text: storageFailureText(error), tone: 'error' });
  }
}

/**
 * Return this phone's device id, creating it on first use. It is letters
 * and digits only, so it fits both clock stamps and `DEVICE:COUNTER` ids.
 * @param {Store} store
 * @returns {Promise<string>}
 */
async function ensureDeviceId(store) {
  const existing = await store.getMeta(META_KEYS.deviceId);
  if (existing) return existing;
  const deviceId = `pwa${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await store.setMeta({ [META_KEYS.deviceId]: deviceId });
  return deviceId;
}

/**
 * Register the service worker and offer each new version once it waits.
 * The page reloads when a new worker takes over, so it never runs old
 * scripts against a new worker's files.
 * @param {StatusBar} statusBar
 * @returns {Promise<ServiceWorkerRegistration | null>}
 */
async function registerServiceWorker(statusBar) {
  if (!('serviceWorker' in navigator)) return null;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController) location.reload();
  });

  /** @param {ServiceWorker} worker */
  const offer = (worker) =>
    statusBar.showBanner('update', {
      text: '',
      actionLabel: t('app.update_available'),
      action: () => worker.postMessage({ type: 'skip-waiting' }),
    });

  try {
    // A module worker, so it can import the store and outbox for reminder actions.
    const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'module' });
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
      });
    });
    return registration;
  } catch (error) {
    log.warn('service worker registration failed; the app will not open offline', error);
    return null;
  }
}

/**
 * Fetch the newest app version and switch to it, or reload when none waits.
 * @param {ServiceWorkerRegistration | null} registration
 */
async function updateApp(registration) {
  try {
    await registration?.update();
  } catch (error) {
    log.warn('checking for an app update failed', error);
  }
  if (registration?.waiting) registration.waiting.postMessage({ type: 'skip-waiting' });
  else location.reload();
}

/** Set the document's language and title for the language in use. */
function showLanguage() {
  document.documentElement.lang = currentLanguage();
  document.title = t('app.name');
}

/** @param {StatusBar} statusBar */
async function checkStorage(statusBar) {
  try {
    const storage = await requestPersistentStorage();
    if (storage && storage.quota > 0 && storage.usage / storage.quota > STORAGE_WARNING_RATIO) {
      statusBar.showBanner('storage-low', { text: t('app.storage_low'), tone: 'warning' });
    }
  } catch (error) {
    log.warn('could not check storage', error);
  }
}

/** @param {unknown} error */
function storageFailureText(error) {
  const quota = error instanceof DOMException && error.name === 'QuotaExceededError';
  return t('app.storage_failed', { reason: quota ? t('app.storage_quota') : describe(error) });
}

/** @param {unknown} error */
function describe(error) {
  return error instanceof Error ? error.message : String(error);
}

void main();
