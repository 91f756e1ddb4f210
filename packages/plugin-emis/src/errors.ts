/**
 * Every error the EMIS plugin raises: a stable `EMIS_ERR_…` code, the `EhrError` kind that tells
 * the core what to do (retry, give up, ask the practice), and the fix in plain words. The
 * README's error table is this list.
 */
import { EhrError, type EhrErrorKind } from '@slotbridge/core/plugin';

interface EmisErrorEntry {
  kind: EhrErrorKind;
  fix: string;
}

const DEACTIVATE_REACTIVATE =
  'In EMIS Web: EMIS ball → System Tools → EMAS Manager → Partner API, select the application, ' +
  'click Deactivate Application then Activate Application; under Edit Users tick the partner user and set a fresh ' +
  'API password (and enter it here); under Login Access tick Auto Login and Allow Login for the user. The user ' +
  'then logs out of EMIS and back in.';

export const EMIS_ERRORS = {
  EMIS_ERR_UNREACHABLE: {
    kind: 'transient',
    fix: 'Check the EMIS API address. If it is right, EMIS is not answering: slotbridge retries on its own.',
  },
  EMIS_ERR_TIMEOUT: {
    kind: 'transient',
    fix: 'EMIS answered too slowly. slotbridge retries on its own; if it keeps happening, tell EMIS support.',
  },
  EMIS_ERR_CANCELLED: {
    kind: 'transient',
    fix: 'The call was stopped by slotbridge (shutdown or a request timeout); it runs again later.',
  },
  EMIS_ERR_SERVER: {
    kind: 'transient',
    fix: 'EMIS had an internal problem or is busy. slotbridge retries on its own.',
  },
  EMIS_ERR_UNEXPECTED_RESPONSE: {
    kind: 'transient',
    fix: 'EMIS answered something that is not the Partner API format (a proxy or maintenance page?). slotbridge retries.',
  },
  EMIS_ERR_APPLICATION_ID: {
    kind: 'auth_failed',
    fix: 'Enter the applicationId (party key) your EMIS assurance lead gave you, exactly as given.',
  },
  EMIS_ERR_API_PASSWORD: {
    kind: 'auth_failed',
    fix:
      'Wrong password: the EMIS user password is not the API password. Enter the API password, the password set ' +
      'under Edit Users in EMAS Manager for the partner user (capitals matter, no spaces). If it is lost, tick the ' +
      'user under Edit Users again and set a new one.',
  },
  EMIS_ERR_ORGANISATION_ID: {
    kind: 'auth_failed',
    fix:
      "Enter the practice's EMIS organisation ID: the CDB number in your practice's EMIS organisation details " +
      '(digits only; each practice of a group has its own).',
  },
  EMIS_ERR_NO_ACCESS: {
    kind: 'auth_failed',
    fix: `Check the organisation ID is the practice's EMIS CDB number and the user name is the partner user's. ${DEACTIVATE_REACTIVATE}`,
  },
  EMIS_ERR_PASSWORD_EXPIRED: {
    kind: 'auth_failed',
    fix: 'Set a new API password for the partner user in EMAS Manager → Edit Users, then enter it here.',
  },
  EMIS_ERR_TOKEN_REJECTED: {
    kind: 'auth_failed',
    fix: `EMIS refused a fresh sign-in token: the access may have been withdrawn. ${DEACTIVATE_REACTIVATE}`,
  },
  EMIS_ERR_SLOT_NOT_AVAILABLE: {
    kind: 'slot_taken',
    fix: 'The slot was booked, blocked or embargoed in EMIS meanwhile. Offer the patient another time.',
  },
  EMIS_ERR_SLOT_NOT_FOUND: {
    kind: 'slot_taken',
    fix: 'The slot no longer exists in EMIS (its session was changed or deleted). Offer the patient another time.',
  },
  EMIS_ERR_SESSION_NOT_FOUND: {
    kind: 'rejected',
    fix: 'The session was deleted in EMIS while it was being read; the next sync no longer sees it.',
  },
  EMIS_ERR_PATIENT_NOT_FOUND: {
    kind: 'patient_not_matched',
    fix: 'The EMIS patient number held for this patient is not in EMIS (merged or deducted?). Check the record in EMIS.',
  },
  EMIS_ERR_PATIENT_NO_MATCH: {
    kind: 'patient_not_matched',
    fix: 'No EMIS patient has this date of birth and name. Check the details, or register the patient in EMIS.',
  },
  EMIS_ERR_PATIENT_MULTIPLE_MATCHES: {
    kind: 'patient_not_matched',
    fix: 'Several EMIS patients have this date of birth and name. Reconcile the records in EMIS.',
  },
  EMIS_ERR_APPOINTMENT_NOT_FOUND: {
    kind: 'rejected',
    fix: 'The patient is no longer booked in that slot in EMIS (cancelled or moved there); nothing is left to cancel.',
  },
  EMIS_ERR_APPOINTMENT_IN_PROGRESS: {
    kind: 'rejected',
    fix: 'The patient has arrived or been seen, so EMIS will not cancel the appointment. The practice handles it in EMIS.',
  },
  EMIS_ERR_SLOT_TYPE_NOT_FOUND: {
    kind: 'rejected',
    fix: 'The booking features map an appointment type to an EMIS slot type that no longer exists. Update the mapping.',
  },
  EMIS_ERR_UNREGISTERED_SLOT_TYPE_NOT_FOUND: {
    kind: 'rejected',
    fix:
      'The slot type mapped as Unregistered Patient Booking no longer exists in EMIS. Create it in EMIS ' +
      '(Appointment book → Appts config → Slot type → Add "Hero unregistered patient") and map it again.',
  },
  EMIS_ERR_BOOKING_REF_INVALID: {
    kind: 'rejected',
    fix:
      'The stored EMIS booking reference is neither "<slotId>:<patientNumber>" nor "hold:<slotId>"; cancel the ' +
      'appointment in EMIS.',
  },
  EMIS_ERR_BAD_REQUEST: {
    kind: 'rejected',
    fix: 'EMIS refused the request as malformed. This is a slotbridge bug: report it with the error details.',
  },
} as const satisfies Record<string, EmisErrorEntry>;

export type EmisErrorCode = keyof typeof EMIS_ERRORS;

export interface EmisErrorOptions {
  /** Machine-readable detail: never credentials or patient data. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export function emisError(code: EmisErrorCode, message: string, options: EmisErrorOptions = {}): EhrError {
  const entry: EmisErrorEntry = EMIS_ERRORS[code];
  return new EhrError(entry.kind, code, message, { fix: entry.fix, ...options });
}

export function isEmisError(error: unknown, ...codes: EmisErrorCode[]): error is EhrError {
  return error instanceof EhrError && (codes as string[]).includes(error.code);
}
