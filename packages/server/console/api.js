/**
 * The console's only way to the server: the public REST API, with the key the user signed in
 * with. The key lives in this tab's sessionStorage: closing the tab signs out.
 */

const KEY = 'slotbridge.console.key';

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  signIn(key) {
    sessionStorage.setItem(KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(KEY);
  },
};

/** An answer that was not 2xx: `problem` is the problem+json body (code, title, detail, fix, errors). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `The server answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

/**
 * Called when the API answers 401: the key is wrong, revoked or expired.
 * @type {(error: ApiError) => void}
 */
let onUnauthorised = () => {};
/** @param {(error: ApiError) => void} handler */
export function whenUnauthorised(handler) {
  onUnauthorised = handler;
}

/**
 * One API call. `query` values that are empty are left out.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, query?: Record<string, unknown>, key?: string }} [options]
 * @returns {Promise<any>} the JSON answer (null for 204)
 */
export async function api(method, path, { body, query, key } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  const headers = { accept: 'application/json, application/problem+json' };
  const bearer = key ?? session.key;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = new ApiError(res.status, data);
    if (res.status === 401 && !key) onUnauthorised(error);
    throw error;
  }
  return data;
}

/** Every item of a paged list, following `next` links. */
export async function all(path, query) {
  const items = [];
  let page = await api('GET', path, { query: { limit: 500, ...query } });
  items.push(...page.data);
  while (page.next) {
    page = await api('GET', page.next);
    items.push(...page.data);
  }
  return items;
}
