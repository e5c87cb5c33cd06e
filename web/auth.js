// @ts-check
/**
 * The access token of the viewer and the admin page: kept in sessionStorage (gone when the tab
 * closes; never in localStorage or a cookie) and sent as `Authorization: Bearer` to this server
 * only, never to another origin.
 */

const STORAGE_KEY = 'planmap.token';

/** A token the server refused (expired, revoked): not sent again until a new one is entered. */
let refusedToken = '';

function storedToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** @returns {string} the token to send, or '' (none stored, or the stored one was refused) */
export function getToken() {
  const token = storedToken();
  return token === refusedToken ? '' : token;
}

/** @returns {boolean} whether the stored token was refused by the server */
export function isTokenRefused() {
  return refusedToken !== '' && storedToken() === refusedToken;
}

/** Stops sending the stored token: the server said it is invalid or expired. */
export function refuseToken() {
  refusedToken = storedToken();
}

/** @param {string} token an empty token clears it */
export function setToken(token) {
  const trimmed = token.trim();
  refusedToken = '';
  if (trimmed) sessionStorage.setItem(STORAGE_KEY, trimmed);
  else sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * @param {string} url
 * @returns {boolean} whether the URL is on this server (the only place the token may go)
 */
export function isOwnUrl(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/**
 * Headers for a request to `url`: the token for this server, nothing for others.
 * @param {string} url
 * @returns {Record<string, string>}
 */
export function authHeaders(url) {
  const token = getToken();
  return token && isOwnUrl(url) ? { Authorization: `Bearer ${token}` } : {};
}

/** A failed request, with the server's JSON error when it sent one. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string} url
   */
  constructor(status, code, message, url) {
    super(message);
    this.status = status;
    this.code = code;
    this.url = url;
  }

  /** A token problem: missing, unknown, revoked or expired (401), or not allowed (403). */
  get isAuthProblem() {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * fetch() with the token, failing with an HttpError (the server's `{error, message}`) on a
 * status of 400 or above.
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function authorizedFetch(url, init = {}) {
  const headers = { ...authHeaders(url), ...(/** @type {Record<string, string>} */ (init.headers ?? {})) };
  let response;
  try {
    response = await fetch(url, { ...init, headers });
  } catch (error) {
    throw new HttpError(0, 'network', `服务器无法访问 (server unreachable): ${error instanceof Error ? error.message : String(error)}`, url);
  }
  if (response.ok) return response;
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && typeof body === 'object') {
      if (typeof body.error === 'string') code = body.error;
      if (typeof body.message === 'string') message = body.message;
    }
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  throw new HttpError(response.status, code, message, url);
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function fetchJson(url, init) {
  const response = await authorizedFetch(url, init);
  return response.json();
}

/**
 * The message a person reads for a token problem, in Chinese with English.
 * @param {number} status
 * @param {string} [detail] the server's message
 */
export function tokenProblemMessage(status, detail = '') {
  const hasToken = getToken() !== '' || isTokenRefused();
  const text =
    status === 403
      ? '当前令牌无权访问该数据 (this token is not allowed to read this data).'
      : hasToken
        ? '访问令牌无效或已过期，请输入新的令牌 (the access token is invalid or has expired: enter a new one).'
        : '需要访问令牌，请输入令牌 (an access token is required: enter one).';
  return detail ? `${text} — ${detail}` : text;
}
