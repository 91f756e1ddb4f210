/**
 * The sandbox's errors, as the *modelled* cloud API answers them: an HTTP status and
 * `{ error: { code, message } }`. 502 and 504 are the cloud's answers when the practice's own
 * Exact server is off or too slow; the rest are the cloud's or the practice server's own.
 */
import type { ErrorBody } from '../exact-api.ts';

/** Every error the sandbox answers, by code, with its HTTP status. */
export const SANDBOX_ERRORS = {
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  PRACTICE_NOT_FOUND: 404,
  PRACTICE_SERVER_OFFLINE: 502,
  PRACTICE_SERVER_TIMEOUT: 504,
  INVALID_PARAMETER: 400,
  DATE_RANGE_TOO_LONG: 400,
  PROVIDER_NOT_FOUND: 404,
  PROVIDER_NOT_ONLINE: 409,
  REASON_NOT_FOUND: 422,
  REASON_NOT_LINKED: 422,
  TIME_NOT_AVAILABLE: 409,
  APPOINTMENT_NOT_FOUND: 404,
  APPOINTMENT_CANCELLED: 409,
  ROUTE_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.name = 'SandboxError';
    this.code = code;
  }

  get status(): number {
    return SANDBOX_ERRORS[this.code];
  }

  get body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
