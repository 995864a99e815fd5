/**
 * Hash routes of the app: #/board, #/deal/ID (also #/deals/ID, the form
 * notifications link to), #/accounts, #/set-aside, #/dashboard, #/settings
 * and #/import.
 * Hash routes keep every view on the one cached index.html, so any view
 * opens offline.
 */

/** @typedef {{name: 'board' | 'deal' | 'accounts' | 'set-aside' | 'dashboard' | 'settings' | 'import', id?: string}} Route */

/** Routes that take no id. */
const PLAIN_ROUTES = ['accounts', 'set-aside', 'dashboard', 'settings', 'import'];

/** Return the route of a location hash; unknown hashes go to the board. */
export function parseRoute(/** @type {string} */ hash) {
  const [name, id] = hash.replace(/^#\/?/, '').split('/');
  if ((name === 'deal' || name === 'deals') && id) return /** @type {Route} */ ({ name: 'deal', id: decodeURIComponent(id) });
  if (PLAIN_ROUTES.includes(name)) return /** @type {Route} */ ({ name });
  return /** @type {Route} */ ({ name: 'board' });
}

/** Return the hash of a deal's page. */
export function dealHref(/** @type {string} */ id) {
  return `#/deal/${encodeURIComponent(id)}`;
}
