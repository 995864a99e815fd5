/**
 * The API calls of the dashboard, settings and import views, on top of the
 * sync client's JSON request: the same bearer token, errors and messages.
 * Also a multipart upload and a file download, which are not JSON.
 */

import { META_KEYS } from './store.js';
import { ApiError, NetworkError, createApiClient } from './sync-client.js';

/**
 * Create the API for the signed-in user; the token is read from the store
 * on each call, so it stays current after a new sign-in.
 * @param {import('./store.js').Store} store
 * @param {typeof fetch} [fetchFn]
 */
export function createAppApi(store, fetchFn = (input, init) => fetch(input, init)) {
  /** @type {string | null} */
  let token = null;
  const client = createApiClient({ fetch: fetchFn, getToken: () => token });

  async function authorize() {
    token = (await store.getMeta(META_KEYS.token)) ?? null;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async function request(method, path, body) {
    await authorize();
    return client.request(method, path, body);
  }

  /**
   * Send a request whose body or response is not JSON and return the response.
   * @param {string} method
   * @param {string} path
   * @param {BodyInit} [body]
   */
  async function send(method, path, body) {
    await authorize();
    /** @type {Record<string, string>} */
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetchFn(path, { method, headers, body, cache: 'no-store' });
    } catch (error) {
      throw new NetworkError(`${method} ${path} failed: ${error instanceof Error ? error.message : error}`, {
        code: 'network',
      });
    }
    if (response.ok) return response;
    const payload = await response.json().catch(() => ({}));
    throw new ApiError(`${method} ${path} returned ${response.status}`, {
      code: payload.error ?? 'error',
      status: response.status,
      serverMessage: payload.message ?? '',
    });
  }

  return {
    /** @param {string} path */
    get: (path) => request('GET', path),
    /** @param {string} path @param {unknown} body */
    put: (path, body) => request('PUT', path, body),
    /** @param {string} path @param {unknown} body */
    post: (path, body) => request('POST', path, body),
    /** @param {string} path @param {unknown} body */
    patch: (path, body) => request('PATCH', path, body),
    /** @param {string} path @param {unknown} body */
    delete: (path, body) => request('DELETE', path, body),

    /**
     * Upload a file as multipart/form-data in field `file`; return the JSON response.
     * @param {string} path
     * @param {Blob} file
     * @param {string} [filename]
     */
    async upload(path, file, filename = 'upload.csv') {
      const form = new FormData();
      form.append('file', file, filename);
      const response = await send('POST', path, form);
      return response.json();
    },

    /**
     * Fetch a file and return it as a Blob.
     * @param {string} path
     */
    async download(path) {
      const response = await send('GET', path);
      return response.blob();
    },
  };
}

/** @typedef {ReturnType<typeof createAppApi>} AppApi */

/**
 * Return the message to show for a failed call: the server's own message
 * when it sent one.
 * @param {unknown} error
 */
export function describeApiError(error) {
  if (error instanceof ApiError && error.serverMessage) return error.serverMessage;
  return error instanceof Error ? error.message : String(error);
}
