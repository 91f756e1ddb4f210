/**
 * Every error the HS1 Exact plugin raises: a stable `HS1_ERR_…` code, the `EhrError` kind that
 * tells the core what to do (retry, give up, ask the practice), and the fix in plain words. The
 * README's error table is this list.
 */
import { EhrError, type EhrErrorKind } from '@slotbridge/core/plugin';

interface Hs1ErrorEntry {
  kind: EhrErrorKind;
  fix: string;
}

export const HS1_ERRORS = {
  HS1_ERR_UNREACHABLE: {
    kind: 'transient',
    fix: "Check the HS1 API address. If it is right, HS1's cloud is not answering: slotbridge retries on its own.",
  },
  HS1_ERR_TIMEOUT: {
    kind: 'transient',
    fix: 'HS1 answered too slowly. slotbridge retries on its own; if it keeps happening, tell HS1 support.',
  },
  HS1_ERR_CANCELLED: {
    kind: 'transient',
    fix: 'The call was stopped by slotbridge (shutdown or a request timeout); it runs again later.',
  },
  HS1_ERR_PRACTICE_SERVER_OFFLINE: {
    kind: 'transient',
    fix:
      "HS1's cloud cannot reach the practice's Exact server. Make sure the server computer is switched on, awake " +
      'and connected to the internet, and that Exact is running on it. slotbridge retries on its own and catches up ' +
      'when the server is back.',
  },
  HS1_ERR_SERVER: {
    kind: 'transient',
    fix: "HS1's cloud had an internal problem or is busy. slotbridge retries on its own.",
  },
  HS1_ERR_UNEXPECTED_RESPONSE: {
    kind: 'transient',
    fix: "HS1 answered something that is not the online-booking API's format (a proxy or maintenance page?). slotbridge retries.",
  },
  HS1_ERR_SLUG: {
    kind: 'auth_failed',
    fix: 'HS1 knows no practice by this slug. Enter the slug exactly as HS1 gave it for the integration (no spaces).',
  },
  HS1_ERR_API_KEY: {
    kind: 'auth_failed',
    fix:
      'HS1 refused the API key for this slug. Enter the API key exactly as HS1 gave it with the slug (no spaces); ' +
      'if it was reissued, enter the new one.',
  },
  HS1_ERR_TIME_NOT_AVAILABLE: {
    kind: 'slot_taken',
    fix: 'The time was booked or changed in Exact meanwhile. Offer the patient another time.',
  },
  HS1_ERR_PROVIDER_NOT_FOUND: {
    kind: 'slot_taken',
    fix: 'The provider no longer exists in Exact. Offer the patient another time; the next sync drops their slots.',
  },
  HS1_ERR_PROVIDER_NOT_ONLINE: {
    kind: 'slot_taken',
    fix:
      "The provider was taken out of Exact's Online Booking Configuration. Offer another time, or add them back " +
      'with the "+1" button in Online Booking Configuration.',
  },
  HS1_ERR_REASON_NOT_FOUND: {
    kind: 'rejected',
    fix:
      "The booking reason no longer exists in Exact's Web Setup. Refresh the linked appointment types " +
      '(discover) and update the mapping.',
  },
  HS1_ERR_REASON_NOT_LINKED: {
    kind: 'rejected',
    fix:
      'The booking reason is not configured for this provider. In Exact: Web Setup → the booking reason → ' +
      'Configure Providers → "+1" to add the provider with an online duration.',
  },
  HS1_ERR_APPOINTMENT_CANCELLED: {
    kind: 'rejected',
    fix: 'The practice cancelled the new appointment in Exact before it was confirmed. Offer the patient another time.',
  },
  HS1_ERR_APPOINTMENT_NOT_FOUND: {
    kind: 'rejected',
    fix: 'The appointment just made is no longer in Exact (deleted there). Offer the patient another time.',
  },
  HS1_ERR_SLOT_REF_INVALID: {
    kind: 'rejected',
    fix: 'The slot has no HS1 provider. This is a slotbridge bug: report it with the error details.',
  },
  HS1_ERR_BAD_REQUEST: {
    kind: 'rejected',
    fix: 'HS1 refused the request as malformed. This is a slotbridge bug: report it with the error details.',
  },
  HS1_ERR_ONLINE_CANCELLATION_UNSUPPORTED: {
    kind: 'unsupported',
    fix:
      'Ask the patient to contact the practice. The practice cancels the appointment in Exact; the next sync ' +
      'frees the time and ends the booking here.',
  },
} as const satisfies Record<string, Hs1ErrorEntry>;

export type Hs1ErrorCode = keyof typeof HS1_ERRORS;

export interface Hs1ErrorOptions {
  /** Machine-readable detail: never credentials or patient data. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export function hs1Error(code: Hs1ErrorCode, message: string, options: Hs1ErrorOptions = {}): EhrError {
  const entry: Hs1ErrorEntry = HS1_ERRORS[code];
  return new EhrError(entry.kind, code, message, { fix: entry.fix, ...options });
}

export function isHs1Error(error: unknown, ...codes: Hs1ErrorCode[]): error is EhrError {
  return error instanceof EhrError && (codes as string[]).includes(error.code);
}
