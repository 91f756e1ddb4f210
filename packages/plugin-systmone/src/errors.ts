/**
 * Every error the SystmOne plugin raises: a stable `SYSTMONE_ERR_…` code, the `EhrError` kind
 * that tells the core what to do (retry, give up, ask the practice), and the fix in a practice
 * manager's words. The README's error table is this list.
 */
import { EhrError, type EhrErrorKind } from '@slotbridge/core/plugin';

interface SystmOneErrorEntry {
  kind: EhrErrorKind;
  fix: string;
}

export const SYSTMONE_ERRORS = {
  SYSTMONE_ERR_GATEWAY_UNREACHABLE: {
    kind: 'transient',
    fix:
      'Nothing answers at the gateway address. Check the practice PC running the slotbridge gateway is switched ' +
      'on and the gateway is running, and that the address and port are right. slotbridge retries on its own.',
  },
  SYSTMONE_ERR_NO_ANSWER: {
    kind: 'transient',
    fix:
      'The gateway took the request but SystmOne did not answer: SystmOne is probably closed or logged out on ' +
      'the gateway PC. Log in to SystmOne there and leave it running. slotbridge retries on its own.',
  },
  SYSTMONE_ERR_CONNECTION_DROPPED: {
    kind: 'transient',
    fix: 'The connection to the gateway closed before SystmOne answered. slotbridge retries on its own.',
  },
  SYSTMONE_ERR_CANCELLED: {
    kind: 'transient',
    fix: 'The call was stopped by slotbridge (shutdown or a request timeout); it runs again later.',
  },
  SYSTMONE_ERR_UNEXPECTED_RESPONSE: {
    kind: 'transient',
    fix:
      'What came back is not a Client Integration API answer to this request (another program on the port?). ' +
      "Check the port is the gateway's. slotbridge retries on its own.",
  },
  SYSTMONE_ERR_SYSTMONE_UNAVAILABLE: {
    kind: 'transient',
    fix: 'SystmOne reported an internal error or is busy. slotbridge retries on its own.',
  },
  SYSTMONE_ERR_API_KEY: {
    kind: 'auth_failed',
    fix: 'Enter the API key TPP issued for slotbridge exactly as given (no spaces).',
  },
  SYSTMONE_ERR_DEVICE_ID: {
    kind: 'auth_failed',
    fix: 'Enter the device ID registered with TPP for this API key exactly as given.',
  },
  SYSTMONE_ERR_DEVICE_NOT_APPROVED: {
    kind: 'auth_failed',
    fix:
      'Log in to SystmOne on the gateway PC as the user named in the connection and click Approve when ' +
      'SystmOne asks about the slotbridge device. Leave SystmOne logged in as that user.',
  },
  SYSTMONE_ERR_FUNCTION_UNSUPPORTED: {
    kind: 'rejected',
    fix:
      'This SystmOne does not offer the function in the version slotbridge uses. Ask TPP to enable the Client ' +
      'Integration API appointment functions for the practice, or update SystmOne.',
  },
  SYSTMONE_ERR_SLOT_NOT_AVAILABLE: {
    kind: 'slot_taken',
    fix: 'The slot was booked, blocked or removed in SystmOne meanwhile. Offer the patient another time.',
  },
  SYSTMONE_ERR_SLOT_TYPE_NOT_BOOKABLE: {
    kind: 'rejected',
    fix:
      'The slot type is not bookable by third parties in SystmOne. If patients should book it online, allow ' +
      "third-party booking for it in SystmOne's appointment set-up; otherwise take it off the active slot types.",
  },
  SYSTMONE_ERR_SLOT_REF_INVALID: {
    kind: 'rejected',
    fix:
      'The slot does not carry the clinician, site and clinic type SystmOne needs, or no longer matches its id ' +
      '(was the practice time zone changed?). Let the next sync refresh the slots, then book again.',
  },
  SYSTMONE_ERR_NHS_NUMBER_INVALID: {
    kind: 'patient_not_matched',
    fix: 'The NHS number is not 10 digits with a valid check digit. Correct it, or leave it out to match by name and date of birth.',
  },
  SYSTMONE_ERR_PATIENT_NOT_FOUND: {
    kind: 'patient_not_matched',
    fix: 'No SystmOne patient has this NHS number and date of birth. Check both, or register the patient in SystmOne.',
  },
  SYSTMONE_ERR_PATIENT_NO_MATCH: {
    kind: 'patient_not_matched',
    fix:
      'No SystmOne patient has this name and date of birth. Check the details, or register the patient in SystmOne.' +
      ' To hold the time of such bookings instead, keep a placeholder patient in SystmOne (e.g. ' +
      "'Unregistered, Online Booking'), enter its NHS number as the connection's placeholder NHS number, and map " +
      'a slot type to Unregistered Patient Booking.',
  },
  SYSTMONE_ERR_PATIENT_MULTIPLE_MATCHES: {
    kind: 'patient_not_matched',
    fix:
      'Several SystmOne patients have this name and date of birth. Give the NHS number, or merge the records in ' +
      'SystmOne.' +
      ' To hold the time of such bookings instead, keep a placeholder patient in SystmOne (e.g. ' +
      "'Unregistered, Online Booking'), enter its NHS number as the connection's placeholder NHS number, and map " +
      'a slot type to Unregistered Patient Booking.',
  },
  SYSTMONE_ERR_PLACEHOLDER_PATIENT_NOT_FOUND: {
    kind: 'patient_not_matched',
    fix:
      "SystmOne has no patient with the connection's placeholder NHS number, so the time of a patient it cannot " +
      'match could not be held. Enter the NHS number of the placeholder patient record exactly as SystmOne shows ' +
      "it (e.g. 'Unregistered, Online Booking'), or create that record.",
  },
  SYSTMONE_ERR_PATIENT_NO_NHS_NUMBER: {
    kind: 'patient_not_matched',
    fix:
      "The patient's SystmOne record has no NHS number, and bookings are written by NHS number. Trace the " +
      "patient's NHS number in SystmOne, or book at reception.",
  },
  SYSTMONE_ERR_APPOINTMENT_NOT_FOUND: {
    kind: 'rejected',
    fix: 'SystmOne has no such appointment for this patient any more (deleted or moved there); nothing is left to cancel.',
  },
  SYSTMONE_ERR_APPOINTMENT_IN_PROGRESS: {
    kind: 'rejected',
    fix: 'The patient has arrived or been seen, so SystmOne will not cancel the appointment. The practice handles it in SystmOne.',
  },
  SYSTMONE_ERR_BAD_REQUEST: {
    kind: 'rejected',
    fix: 'SystmOne refused the request as malformed. This is a slotbridge bug: report it with the error details.',
  },
  SYSTMONE_ERR_REFUSED: {
    kind: 'rejected',
    fix: 'SystmOne refused the request for a reason slotbridge does not know (see errorMessage in the details). Report it with the details.',
  },
} as const satisfies Record<string, SystmOneErrorEntry>;

export type SystmOneErrorCode = keyof typeof SYSTMONE_ERRORS;

export interface SystmOneErrorOptions {
  /** Machine-readable detail: never credentials or patient data. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export function systmOneError(
  code: SystmOneErrorCode,
  message: string,
  options: SystmOneErrorOptions = {},
): EhrError {
  const entry: SystmOneErrorEntry = SYSTMONE_ERRORS[code];
  return new EhrError(entry.kind, code, message, { fix: entry.fix, ...options });
}

export function isSystmOneError(error: unknown, ...codes: SystmOneErrorCode[]): error is EhrError {
  return error instanceof EhrError && (codes as string[]).includes(error.code);
}
