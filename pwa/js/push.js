/**
 * Web Push on this phone: whether the platform can show reminders, turning
 * them on (permission, subscription, POST /api/push/subscriptions) and off,
 * and subscribing again when the browser replaces a subscription.
 *
 * Permission is requested only from `turnOnReminders`, which the settings
 * view calls from the rep's tap. Browsers ignore or penalise a request made
 * without a user gesture, and a rep who sees a prompt on load cannot tell
 * why it is asked.
 */

import { createAppApi } from './api.js';
import { openStore } from './store.js';

/**
 * What the platform allows:
 *   supported          PushManager and Notification exist
 *   ios-needs-install  iOS or iPadOS Safari in a tab: Web Push exists only
 *                      in a web app added to the home screen
 *   unsupported        no service worker, PushManager or Notification
 * @typedef {'supported' | 'ios-needs-install' | 'unsupported'} ReminderSupport
 */

/**
 * @param {Window & typeof globalThis} [win]
 * @returns {ReminderSupport}
 */
export function reminderSupport(win = window) {
  const nav = /** @type {Navigator & {standalone?: boolean}} */ (win.navigator);
  if (isAppleMobile(nav) && !isStandalone(win)) return 'ios-needs-install';
  if (!('serviceWorker' in nav) || !('PushManager' in win) || !('Notification' in win)) {
    return 'unsupported';
  }
  return 'supported';
}

/**
 * iPhone, iPod or iPad; iPadOS 13 and later reports itself as a Mac with
 * touch, so a touch "Macintosh" counts too.
 * @param {Navigator} nav
 */
function isAppleMobile(nav) {
  if (/iPad|iPhone|iPod/.test(nav.userAgent)) return true;
  return /Macintosh/.test(nav.userAgent) && nav.maxTouchPoints > 1;
}

/**
 * True in an installed app: Safari's `navigator.standalone`, or the
 * display-mode media query that other browsers support.
 * @param {Window & typeof globalThis} win
 */
export function isStandalone(win = window) {
  const nav = /** @type {Navigator & {standalone?: boolean}} */ (win.navigator);
  if (nav.standalone === true) return true;
  return ['standalone', 'fullscreen', 'minimal-ui'].some(
    (mode) => win.matchMedia?.(`(display-mode: ${mode})`).matches,
  );
}

/**
 * Ask for permission, subscribe with the server's VAPID key and send the
 * subscription. Call it only from a tap. Resolves to 'on', or 'denied'
 * when the rep or the browser refuses notifications.
 * @param {ServiceWorkerRegistration} registration
 * @param {import('./api.js').AppApi} api
 * @returns {Promise<'on' | 'denied'>}
 */
export async function turnOnReminders(registration, api) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';

  const subscription =
    (await registration.pushManager.getSubscription()) ?? (await subscribe(registration, api));
  await sendSubscription(api, subscription);
  return 'on';
}

/**
 * Unsubscribe this browser and tell the server to forget it.
 * @param {ServiceWorkerRegistration} registration
 * @param {import('./api.js').AppApi} api
 */
export async function turnOffReminders(registration, api) {
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return;
  await api.delete('/api/push/subscriptions', { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

/**
 * Return true when this browser has a push subscription and permission.
 * @param {ServiceWorkerRegistration | null} registration
 */
export async function remindersAreOn(registration) {
  if (!registration || reminderSupport() !== 'supported') return false;
  if (Notification.permission !== 'granted') return false;
  return Boolean(await registration.pushManager.getSubscription());
}

/**
 * Subscribe again after the browser dropped or replaced the subscription
 * (the service worker's pushsubscriptionchange event), send the new one
 * and forget the old endpoint on the server.
 * @param {ServiceWorkerRegistration} registration
 * @param {PushSubscription | null} oldSubscription
 */
export async function resubscribe(registration, oldSubscription) {
  const store = await openStore();
  try {
    const api = createAppApi(store);
    const subscription =
      (await registration.pushManager.getSubscription()) ?? (await subscribe(registration, api));
    await sendSubscription(api, subscription);
    if (oldSubscription && oldSubscription.endpoint !== subscription.endpoint) {
      // The server may already have dropped it after a 404 or 410 from the push service.
      await api.delete('/api/push/subscriptions', { endpoint: oldSubscription.endpoint }).catch(() => {});
    }
  } finally {
    store.close();
  }
}

/**
 * @param {ServiceWorkerRegistration} registration
 * @param {import('./api.js').AppApi} api
 */
async function subscribe(registration, api) {
  const { public_key: publicKey } = await api.get('/api/push/public-key');
  return registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: decodeBase64Url(publicKey),
  });
}

/**
 * @param {import('./api.js').AppApi} api
 * @param {PushSubscription} subscription
 */
function sendSubscription(api, subscription) {
  const { endpoint, keys } = subscription.toJSON();
  return api.post('/api/push/subscriptions', {
    endpoint,
    keys,
    user_agent: globalThis.navigator?.userAgent ?? null,
  });
}

/**
 * Decode unpadded base64url, as the server sends the VAPID public key.
 * @param {string} text
 */
export function decodeBase64Url(text) {
  const base64 = text.replaceAll('-', '+').replaceAll('_', '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}
