/**
 * Hybrid logical clock (HLC) stamps, the twin of sync/clock.py.
 *
 * A stamp is `WWWWWWWWWWWWWWWW-CCCC-DEVICE`: the wall time in ms since the
 * epoch (16 decimal digits), a counter (4 lowercase hex digits) and the
 * device id. Comparing two stamps as strings compares them as clocks. The
 * clock follows Kulkarni et al., "Logical Physical Clocks and Consistent
 * Snapshots in Globally Distributed Databases" (2014), and never reads the
 * time: every call takes the current wall time in ms.
 */

/** Largest wall time a stamp may carry, the largest exact Number. */
export const MAX_WALL_MS = Number.MAX_SAFE_INTEGER;

/** Largest counter value, the most that 4 hex digits can hold. */
export const MAX_COUNTER = 0xffff;

// Device ids are ASCII so that Python and JavaScript order stamps the same way.
const DEVICE_PATTERN = /^[A-Za-z0-9._-]+$/;
const STAMP_PATTERN = /^(\d{16})-([0-9a-f]{4})-([A-Za-z0-9._-]+)$/;

/** Base class of every error raised by the merge engine. */
export class SyncError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** Raised when a hybrid logical clock stamp cannot be parsed or built. */
export class InvalidStamp extends SyncError {}

/**
 * @typedef {object} Stamp
 * @property {number} wall_ms Wall time in ms since the epoch.
 * @property {number} counter Logical counter within that millisecond.
 * @property {string} device Device id.
 */

/**
 * Builds a stamp string from its parts, checking each range.
 * @param {number} wallMs
 * @param {number} counter
 * @param {string} device
 * @returns {string}
 */
export function formatStamp(wallMs, counter, device) {
  checkWall(wallMs);
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw new InvalidStamp(
      `Counter ${JSON.stringify(counter)} is outside 0..${MAX_COUNTER}.`,
    );
  }
  checkDevice(device);

  const wall = String(wallMs).padStart(16, '0');
  return `${wall}-${counter.toString(16).padStart(4, '0')}-${device}`;
}

/**
 * Splits a stamp string into its wall time, counter and device.
 * @param {string} stamp
 * @returns {Stamp}
 */
export function parseStamp(stamp) {
  if (typeof stamp !== 'string') {
    throw new InvalidStamp(`Stamp ${JSON.stringify(stamp)} is not a string.`);
  }
  const match = STAMP_PATTERN.exec(stamp);
  if (match === null) {
    throw new InvalidStamp(
      `Stamp ${JSON.stringify(stamp)} is invalid; expected 16 decimal digits ` +
        "of wall time in ms, '-', 4 lowercase hex digits of counter, '-', " +
        "and a device id of letters, digits, '.', '_' or '-'.",
    );
  }
  const wallMs = Number(match[1]);
  if (wallMs > MAX_WALL_MS) {
    throw new InvalidStamp(
      `Stamp ${JSON.stringify(stamp)} has a wall time above ${MAX_WALL_MS} ms.`,
    );
  }

  return { wall_ms: wallMs, counter: parseInt(match[2], 16), device: match[3] };
}

/**
 * Returns the wall time in ms that a stamp carries.
 * @param {string} stamp
 * @returns {number}
 */
export function wallMsOf(stamp) {
  return parseStamp(stamp).wall_ms;
}

/**
 * Throws `InvalidStamp` unless `device` can appear in a stamp.
 * @param {string} device
 */
export function checkDevice(device) {
  if (typeof device !== 'string' || !DEVICE_PATTERN.test(device)) {
    throw new InvalidStamp(
      `Device id ${JSON.stringify(device)} is invalid; use one or more ` +
        "ASCII letters, digits, '.', '_' or '-'.",
    );
  }
}

/** @param {number} wallMs */
function checkWall(wallMs) {
  if (!Number.isInteger(wallMs) || wallMs < 0 || wallMs > MAX_WALL_MS) {
    throw new InvalidStamp(
      `Wall time ${JSON.stringify(wallMs)} ms is outside 0..${MAX_WALL_MS}; ` +
        'pass an integer of milliseconds since the epoch.',
    );
  }
}

/**
 * A hybrid logical clock for one device. `last` is the latest stamp the
 * clock issued or observed, for a device that stores it across restarts.
 */
export class HybridClock {
  /**
   * @param {string} device
   * @param {string | null} [last] A stored stamp to resume from.
   */
  constructor(device, last = null) {
    checkDevice(device);
    this.device = device;
    this.wallMs = 0;
    this.counter = 0;
    if (last !== null && last !== undefined) {
      const stamp = parseStamp(last);
      this.wallMs = stamp.wall_ms;
      this.counter = stamp.counter;
    }
  }

  /** The clock's current state as a stamp of this device. */
  get last() {
    return formatStamp(this.wallMs, this.counter, this.device);
  }

  /**
   * Ticks for a local or send event and returns the new stamp.
   * @param {number} wallMs
   * @returns {string}
   */
  now(wallMs) {
    checkWall(wallMs);
    if (wallMs > this.wallMs) {
      this.set(wallMs, 0);
    } else {
      this.set(this.wallMs, this.counter + 1);
    }

    return this.last;
  }

  /**
   * Merges a stamp received from another device into this clock.
   * @param {string} remoteStamp
   * @param {number} wallMs
   */
  observe(remoteStamp, wallMs) {
    checkWall(wallMs);
    const remote = parseStamp(remoteStamp);
    const wall = Math.max(this.wallMs, remote.wall_ms, wallMs);

    let counter = 0;
    if (wall === this.wallMs && wall === remote.wall_ms) {
      counter = Math.max(this.counter, remote.counter) + 1;
    } else if (wall === this.wallMs) {
      counter = this.counter + 1;
    } else if (wall === remote.wall_ms) {
      counter = remote.counter + 1;
    }

    this.set(wall, counter);
  }

  /**
   * @param {number} wallMs
   * @param {number} counter
   * @private
   */
  set(wallMs, counter) {
    // A counter past 4 hex digits moves the clock 1 ms on instead, so stamps
    // keep their fixed width and their order.
    if (counter > MAX_COUNTER) {
      wallMs += 1;
      counter = 0;
    }
    if (wallMs > MAX_WALL_MS) {
      throw new InvalidStamp(`Clock passed the largest wall time ${MAX_WALL_MS}.`);
    }
    this.wallMs = wallMs;
    this.counter = counter;
  }
}
