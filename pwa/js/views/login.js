/** The sign-in form. It needs the network once; after that the app works offline. */

import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {(email: string, password: string) => Promise<void>} signIn
 *   Rejects with an Error whose message is shown to the rep.
 */
export function createLoginView(signIn) {
  const email = /** @type {HTMLInputElement} */ (
    h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-testid': 'login-email' })
  );
  const password = /** @type {HTMLInputElement} */ (
    h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' })
  );
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  const submitButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, t('login.submit'));

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    if (!navigator.onLine) {
      showError(t('login.offline'));
      return;
    }
    submitButton.setAttribute('disabled', '');
    try {
      await signIn(email.value.trim(), password.value);
    } catch (failure) {
      showError(t('login.failed', { message: failure instanceof Error ? failure.message : String(failure) }));
    } finally {
      submitButton.removeAttribute('disabled');
    }
  }

  /** @param {string} message */
  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  const element = h(
    'form',
    { class: 'login stacked-form', 'data-testid': 'login-form', onsubmit: submit },
    h('h1', {}, t('login.title')),
    h('label', {}, t('login.email'), email),
    h('label', {}, t('login.password'), password),
    error,
    submitButton,
  );

  return { element, refresh: async () => {} };
}
