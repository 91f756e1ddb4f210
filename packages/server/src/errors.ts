/**
 * The HTTP layer's error codes (validation, authentication, rate limits, the framework's answers)
 * are in the one error table of slotbridge, the core's ERRORS (packages/core/src/errors.ts), with
 * the core's own: each code's category (hence its status), title and fix. docs/errors.md lists
 * them. Code that answers one names it by `ServerErrorCode.X`, never by a string literal;
 * problem.ts makes the body and fills in what the table says.
 */

import { ERRORS, ErrorCode, type ErrorCodeValue, SlotbridgeError } from '@slotbridge/core';

/** The codes by name: `ServerErrorCode.UNAUTHENTICATED` is the code SB_ERR_UNAUTHENTICATED. */
export const ServerErrorCode = ErrorCode;

/**
 * An error of the HTTP layer thrown from a hook or a handler, so it reaches the one error
 * handler (problem.ts) like the core's and is answered with `instance`; its category and fix
 * are the table's. (The rate limits answer where they are found, with Retry-After.)
 */
export class ServerError extends SlotbridgeError {
  constructor(code: ErrorCodeValue, detail: string, options: { fix?: string } = {}) {
    const { category, fix } = ERRORS[code];
    super(code, category, detail, { fix: options.fix ?? fix });
  }
}
