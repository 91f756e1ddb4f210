/**
 * Every error code the HTTP layer itself answers — the core's are CoreErrorCode, each plugin's in
 * its own table (each plugin package's src/errors.ts) — with its status and the fix sent with it, in
 * one table like the plugins'. docs/errors.md lists them. Code that answers one of these names it
 * by `ServerErrorCode.X`, never by a string literal; problem.ts makes the body.
 */

import { type ErrorCategory, SlotbridgeError } from '@slotbridge/core';

interface ServerErrorEntry {
  status: number;
  /** Sent as `fix`, unless the answer gives a more precise one. */
  fix: string;
}

export const SERVER_ERRORS = {
  SB_ERR_VALIDATION: {
    status: 400,
    fix: 'Correct the fields listed in "errors"; the OpenAPI document at /openapi.json describes every field.',
  },
  SB_ERR_JSON_INVALID: {
    status: 400,
    fix: 'Send the body as JSON (the OpenAPI document at /openapi.json describes each one).',
  },
  SB_ERR_CONTENT_LENGTH_MISMATCH: {
    status: 400,
    fix: "Send a Content-Length equal to the body's length in bytes (HTTP clients do this themselves).",
  },
  SB_ERR_URL_INVALID: {
    status: 400,
    fix: 'Percent-encode the path correctly (RFC 3986), e.g. with encodeURIComponent for each part.',
  },
  SB_ERR_HTTP_MALFORMED: {
    status: 400,
    fix: 'Use an HTTP client library; check that no proxy alters the request.',
  },
  SB_ERR_UNAUTHENTICATED: {
    status: 401,
    fix: 'Send the key as "Authorization: Bearer <key>". The admin key is printed at first start or set with SLOTBRIDGE_ADMIN_KEY.',
  },
  SB_ERR_ADMIN_ONLY: { status: 403, fix: 'Use the admin key (SLOTBRIDGE_ADMIN_KEY).' },
  SB_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    fix: 'See /docs for the routes of this API (a route that exists with another method answers this too).',
  },
  SB_ERR_REQUEST_TIMEOUT: {
    status: 408,
    fix: 'Send the whole request at once; if a proxy sits in between, check that it forwards requests promptly.',
  },
  SB_ERR_BODY_TOO_LARGE: {
    status: 413,
    fix: 'Send a smaller body: no request of this API needs one this large.',
  },
  SB_ERR_URL_TOO_LONG: {
    status: 414,
    fix: 'Check the ids in the path: each is a UUID, e.g. 5b0c2a4e-…, as this API returned it.',
  },
  SB_ERR_MEDIA_TYPE_UNSUPPORTED: {
    status: 415,
    fix: 'Send the body as JSON, with "Content-Type: application/json".',
  },
  SB_ERR_AUTH_RATE_LIMITED: {
    status: 429,
    fix: 'Check the API key your client sends ("Authorization: Bearer <key>"), then retry after the number of seconds in Retry-After. Requests with a right key are not refused.',
  },
  SB_ERR_BOOKING_RATE_LIMITED: {
    status: 429,
    fix: 'Retry after the number of seconds in Retry-After (with the same Idempotency-Key, so nothing is booked twice). If your traffic really is this high, ask the operator to raise SLOTBRIDGE_BOOKINGS_PER_MINUTE.',
  },
  SB_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    fix: 'Send fewer or shorter headers (cookies are not needed by this API).',
  },
  SB_ERR_INTERNAL: {
    status: 500,
    fix: 'Retry later; if it keeps happening, tell the operator (the error is logged).',
  },
  SB_ERR_ANSWER_TIMEOUT: {
    status: 503,
    fix: 'Retry after the number of seconds in Retry-After; a change that was asked for may have been made (send the same Idempotency-Key to be safe).',
  },
  SB_ERR_SHUTTING_DOWN: {
    status: 503,
    fix: 'Retry after the number of seconds in Retry-After: another server, or this one restarted, will answer.',
  },
} as const satisfies Record<string, ServerErrorEntry>;

export type ServerErrorCodeValue = keyof typeof SERVER_ERRORS;

/** The codes by name: `ServerErrorCode.UNAUTHENTICATED` is 'SB_ERR_UNAUTHENTICATED'. */
export const ServerErrorCode = Object.fromEntries(
  Object.keys(SERVER_ERRORS).map((code) => [code.replace(/^SB_ERR_/, ''), code]),
) as { [K in ServerErrorCodeValue as K extends `SB_ERR_${infer Name}` ? Name : never]: K };

const CATEGORY: Partial<Record<number, ErrorCategory>> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  500: 'internal',
  503: 'unavailable',
};

/**
 * An error of the HTTP layer thrown from a hook or a handler, so it reaches the one error
 * handler (problem.ts) like the core's and is answered with `instance`. Only codes whose status
 * is a core category (400, 401, 403, 404, 500, 503) can be thrown; the others are answered where
 * they are found (the framework's, the rate limits').
 */
export class ServerError extends SlotbridgeError {
  constructor(code: ServerErrorCodeValue, detail: string, options: { fix?: string } = {}) {
    const { status, fix } = SERVER_ERRORS[code];
    const category = CATEGORY[status];
    if (!category) throw new Error(`${code} (${status}) cannot be thrown: answer it where it is found`);
    super(code, category, detail, { fix: options.fix ?? fix });
  }
}
