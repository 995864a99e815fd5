/**
 * Hash routes of the app: #/board, #/deal/ID, #/accounts, #/set-aside.
 * Hash routes keep every view on the one cached index.html, so any view
 * opens offline.
 */

/** @typedef {{name: 'board' | 'deal' | 'accounts' | 'set-aside', id?: string}} Route */

/** Return the route of a location hash; unknown hashes go to the board. */
export function parseRoute(/** @type {string} */ hash) {
  const [name, id] = hash.replace(/^#\/?/, '').split('/');
  if (name === 'deal' && id) return /** @type {Route} */ ({ name: 'deal', id: decodeURIComponent(id) });
  if (name === 'accounts' || name === 'set-aside') return /** @type {Route} */ ({ name });
  return /** @type {Route} */ ({ name: 'board' });
}

/** Return the hash of a deal's page. */
export function dealHref(/** @type {string} */ id) {
  return `#/deal/${encodeURIComponent(id)}`;
}
