/**
 * HTTP client for the Dealbook API: sign-in, the team list and the sync
 * round trip described in docs/sync.md. The fetch function is passed in, so
 * tests answer requests with plain functions.
 *
 * Errors, all thrown from `request()`:
 *
 *   ApiError                 any failed call; `code` is the server's error code
 *   ├── NetworkError         no response at all (offline, DNS, connection reset)
 *   ├── UnavailableError     503 or another 5xx; retry later
 *   ├── AuthError            401; the token is missing, expired or revoked
 *   ├── ProtocolError        409 protocol_unsupported; this app version is too old
 *   └── RequestError         any other 4xx; retrying the same request will not help
 */

/** Sync protocol version this app speaks; the server answers 409 to others. */
export const PROTOCOL_VERSION = 1;

/** Largest number of mutations the server accepts in one sync request. */
export const MAX_BATCH = 500;

/**
 * Per-field metadata of a record.
 * @typedef {object} FieldMeta
 * @property {number} ver  Team change sequence number of the last write.
 * @property {string} hlc  Hybrid logical clock stamp of the last write.
 * @property {string} dev  Device that wrote it, or "server".
 */

/**
 * A record as the server sends it in `changes`.
 * @typedef {object} WireRecord
 * @property {string} entity
 * @property {string} id
 * @property {boolean} deleted
 * @property {number} seq
 * @property {Record<string, any>} fields
 * @property {Record<string, FieldMeta>} meta
 */

/**
 * An edit of one record, as queued on the phone and sent to the server.
 * @typedef {object} Mutation
 * @property {string} id  `DEVICE:COUNTER`, unique per device forever.
 * @property {string} entity
 * @property {string} record_id
 * @property {Record<string, any>} fields
 * @property {Record<string, number>} base  Per field, the `ver` the phone had seen.
 * @property {string} hlc
 */

/**
 * @typedef {object} SyncRequest
 * @property {number} protocol
 * @property {string} device_id
 * @property {string | null} cursor
 * @property {Mutation[]} mutations
 * @property {number} limit
 */

/**
 * @typedef {'applied' | 'duplicate' | 'rejected' | 'deleted'} ResultStatus
 */

/**
 * @typedef {object} MutationResult
 * @property {string} id
 * @property {ResultStatus} status
 * @property {Record<string, string>} [errors]  Per bad field, the reason.
 * @property {string[]} [conflicts]  Ids of conflict records created.
 */

/**
 * @typedef {object} SyncResponse
 * @property {MutationResult[]} results
 * @property {WireRecord[]} changes
 * @property {string | null} cursor
 * @property {boolean} has_more
 * @property {boolean} reset
 * @property {number} server_time  Server clock, ms since the epoch.
 */

/**
 * @typedef {object} User
 * @property {string} id
 * @property {string} name
 * @property {string} email
 * @property {'rep' | 'manager'} role
 * @property {string} team_id
 * @property {string} team_name
 */

/**
 * @typedef {object} TeamMember
 * @property {string} id
 * @property {string} name
 * @property {string} email
 * @property {'rep' | 'manager'} role
 */

/** Raised when an API call fails; `code` is the server's error code. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, status?: number, serverMessage?: string}} [details]
   */
  constructor(message, { code = 'error', status = 0, serverMessage = '' } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    /** The server's own message, fit to show to the rep; empty when there is none. */
    this.serverMessage = serverMessage;
  }
}

/** Raised when no response arrives: offline, connection refused or reset. */
export class NetworkError extends ApiError {}

/** Raised on 503 and other 5xx answers; the call may succeed later. */
export class UnavailableError extends ApiError {}

/** Raised on 401: the token is missing, expired or revoked. */
export class AuthError extends ApiError {}

/** Raised on 409 protocol_unsupported: the app must update before syncing. */
export class ProtocolError extends ApiError {}

/** Raised on any other 4xx: the request itself is wrong. */
export class RequestError extends ApiError {}

/**
 * @typedef {object} ClientOptions
 * @property {typeof fetch} fetch
 * @property {string} [baseUrl]  Origin of the API; "" for the app's own origin.
 * @property {() => string | null} [getToken]  Returns the bearer token, if any.
 */

/** Create an API client that sends its requests through options.fetch. */
export function createApiClient(/** @type {ClientOptions} */ options) {
  const { fetch: fetchFn, baseUrl = '', getToken = () => null } = options;

  /**
   * Send a JSON request and return the parsed JSON answer.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;

    let response;
    try {
      response = await fetchFn(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (error) {
      throw new NetworkError(`${method} ${path} failed: ${describe(error)}`, {
        code: 'network',
      });
    }

    const payload = await readJson(response);
    if (response.ok) return payload;
    throw errorFor(method, path, response.status, payload);
  }

  return {
    request,

    /**
     * Sign in and return the token and user.
     * @param {string} email
     * @param {string} password
     * @returns {Promise<{token: string, user: User}>}
     */
    login: (email, password) =>
      request('POST', '/api/auth/login', { email, password }),

    /** @returns {Promise<{team: {id: string, name: string}, members: TeamMember[]}>} */
    getTeam: () => request('GET', '/api/team'),

    /**
     * Send one sync round trip.
     * @param {SyncRequest} syncRequest
     * @returns {Promise<SyncResponse>}
     */
    sync: (syncRequest) => request('POST', '/api/sync', syncRequest),
  };
}

/** @typedef {ReturnType<typeof createApiClient>} ApiClient */

/** @param {Response} response */
async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: 'invalid_json', message: text.slice(0, 200) };
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {number} status
 * @param {any} payload
 */
function errorFor(method, path, status, payload) {
  const code = payload?.error ?? `http_${status}`;
  const detail = payload?.message ?? `HTTP ${status}`;
  const message = `${method} ${path} returned ${status}: ${detail}`;
  const details = { code, status, serverMessage: payload?.message ?? '' };

  if (status === 401) return new AuthError(message, details);
  if (status === 409 && code === 'protocol_unsupported') {
    return new ProtocolError(message, details);
  }
  if (status >= 500) return new UnavailableError(message, details);
  return new RequestError(message, details);
}

/** @param {unknown} error */
function describe(error) {
  return error instanceof Error ? error.message : String(error);
}
