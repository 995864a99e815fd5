/**
 * What every view gets from the shell.
 * @typedef {object} AppContext
 * @property {import('../store.js').Store} store
 * @property {import('../outbox.js').Outbox} outbox
 * @property {string} deviceId
 * @property {import('../sync-client.js').User} user
 * @property {Map<string, import('../sync-client.js').TeamMember>} members  Team members by id.
 * @property {(error: unknown) => void} reportError  Shows a failed action to the rep.
 */

/**
 * A mounted view: its root element and a function that redraws it from the
 * store, called after every committed write.
 * @typedef {object} View
 * @property {HTMLElement} element
 * @property {() => Promise<void>} refresh
 */

export {};
