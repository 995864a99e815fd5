/**
 * A tiny levelled logger. It is quiet by default: only warnings and errors
 * reach the console. Set `localStorage.dealbookLogLevel` to "debug" or
 * "info" in DevTools to see more.
 */

/** @typedef {'debug' | 'info' | 'warn' | 'error' | 'silent'} LogLevel */

/** Rank of each level; a message is written when its rank is at least the threshold. */
const RANKS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Level used when none is configured. */
const DEFAULT_LEVEL = 'warn';

/** @returns {LogLevel} */
function readConfiguredLevel() {
  try {
    const level = globalThis.localStorage?.getItem('dealbookLogLevel');
    if (level && level in RANKS) return /** @type {LogLevel} */ (level);
  } catch {
    // localStorage is missing in workers and in Node.
  }
  return DEFAULT_LEVEL;
}

let threshold = RANKS[readConfiguredLevel()];

/** Set the lowest level that is written, for tests and debugging. */
export function setLogLevel(/** @type {LogLevel} */ level) {
  threshold = RANKS[level];
}

/**
 * Create a logger whose lines start with `[name]`.
 * @param {string} name
 */
export function getLogger(name) {
  const prefix = `[${name}]`;
  return {
    debug: (/** @type {unknown[]} */ ...args) => write('debug', prefix, args),
    info: (/** @type {unknown[]} */ ...args) => write('info', prefix, args),
    warn: (/** @type {unknown[]} */ ...args) => write('warn', prefix, args),
    error: (/** @type {unknown[]} */ ...args) => write('error', prefix, args),
  };
}

/**
 * @param {'debug' | 'info' | 'warn' | 'error'} level
 * @param {string} prefix
 * @param {unknown[]} args
 */
function write(level, prefix, args) {
  if (RANKS[level] < threshold) return;
  console[level](prefix, ...args);
}
