/**
 * The sandbox's errors, rendered as the spec's `PartnerApi.Service.Model.ErrorResponse`.
 * The HTTP statuses are the ones the spec publishes (400, 401, 404, 415, 500) plus 503 for the
 * injected "service unavailable" fault. `issue.code` uses FHIR IssueType words, the coding's
 * `code` a stable upper-case name, and `legacyOutcome` the older interface's outcome
 * (3 unsuccessful, 4 invalid login / no access, 2 expired). All of this is *modelled*:
 * the spec gives the shape, not the values.
 */
import { type ErrorResponse, LegacyOutcome } from '../partner-api.ts';

export const SANDBOX_ERROR_SYSTEM = 'https://slotbridge.dev/emis-sandbox/error-codes';

interface ErrorKind {
  status: number;
  issueCode: string;
  legacyOutcome: number;
}

/** Every error the sandbox answers, by its coding code. */
export const SANDBOX_ERRORS = {
  APPLICATION_ID_MISSING: { status: 401, issueCode: 'security', legacyOutcome: LegacyOutcome.NO_ACCESS },
  APPLICATION_ID_UNKNOWN: { status: 401, issueCode: 'security', legacyOutcome: LegacyOutcome.NO_ACCESS },
  TOKEN_MISSING: { status: 401, issueCode: 'login', legacyOutcome: LegacyOutcome.NO_ACCESS },
  TOKEN_INVALID: { status: 401, issueCode: 'login', legacyOutcome: LegacyOutcome.NO_ACCESS },
  TOKEN_EXPIRED: { status: 401, issueCode: 'expired', legacyOutcome: LegacyOutcome.NO_ACCESS },
  WRONG_PASSWORD: { status: 401, issueCode: 'login', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  PASSWORD_EXPIRED: { status: 401, issueCode: 'expired', legacyOutcome: LegacyOutcome.PASSWORD_EXPIRED },
  NO_ACCESS: { status: 401, issueCode: 'forbidden', legacyOutcome: LegacyOutcome.NO_ACCESS },
  ORGANISATION_UNKNOWN: { status: 401, issueCode: 'login', legacyOutcome: LegacyOutcome.NO_ACCESS },
  INVALID_PARAMETER: { status: 400, issueCode: 'invalid', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  DATE_RANGE_TOO_LONG: { status: 400, issueCode: 'invalid', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  SLOT_NOT_AVAILABLE: { status: 400, issueCode: 'conflict', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  SLOT_TYPE_NOT_FOUND: { status: 400, issueCode: 'invalid', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  BOOKED_BY_UNKNOWN: { status: 400, issueCode: 'invalid', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  SLOT_NOT_FOUND: { status: 404, issueCode: 'not-found', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  SESSION_NOT_FOUND: { status: 404, issueCode: 'not-found', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  PATIENT_NOT_FOUND: { status: 404, issueCode: 'not-found', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  APPOINTMENT_NOT_FOUND: { status: 404, issueCode: 'not-found', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  ROUTE_NOT_FOUND: { status: 404, issueCode: 'not-supported', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    issueCode: 'not-supported',
    legacyOutcome: LegacyOutcome.UNSUCCESSFUL,
  },
  INTERNAL_ERROR: { status: 500, issueCode: 'exception', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
  SERVICE_UNAVAILABLE: { status: 503, issueCode: 'transient', legacyOutcome: LegacyOutcome.UNSUCCESSFUL },
} as const satisfies Record<string, ErrorKind>;

export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.name = 'SandboxError';
    this.code = code;
  }

  get status(): number {
    return SANDBOX_ERRORS[this.code].status;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The ErrorResponse body of a sandbox error; `messageId` comes from the sandbox's counter. */
export function errorResponseBody(error: SandboxError, messageId: string): ErrorResponse {
  const kind = SANDBOX_ERRORS[error.code];
  return {
    messageId,
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeHtml(error.message)}</div>`,
    },
    issue: {
      severity: 0,
      code: kind.issueCode,
      details: {
        text: error.message,
        coding: { system: SANDBOX_ERROR_SYSTEM, code: error.code, display: error.message },
      },
      diagnostics: error.message,
    },
    legacyOutcome: kind.legacyOutcome,
  };
}
