/**
 * Every error the GP Connect plugin raises: a stable `GPCONNECT_ERR_…` code, the `EhrError` kind
 * that tells the core what to do (retry, give up, ask the practice), a short message and the fix
 * in a practice manager's or partner engineer's words. The README's error table is this list.
 * `SPINE_ERROR_CODES` maps the Spine error codes GP Connect answers in an OperationOutcome to
 * these codes (the client picks the one that fits the interaction where several could).
 */
import { EhrError, type EhrErrorKind } from '@slotbridge/core/plugin';

export interface GpConnectErrorEntry {
  kind: EhrErrorKind;
  message: string;
  fix: string;
}

export const GPCONNECT_ERRORS = {
  GPCONNECT_ERR_UNREACHABLE: {
    kind: 'transient',
    message: 'Nothing answered at the GP Connect address',
    fix:
      'Check the provider FHIR base URL and the Spine Secure Proxy URL, and that the partner network reaches ' +
      'the Spine (HSCN or the internet-facing proxy). slotbridge retries on its own.',
  },
  GPCONNECT_ERR_TIMEOUT: {
    kind: 'transient',
    message: 'GP Connect did not answer in time',
    fix: "The practice's clinical system was slow or is down for maintenance. slotbridge retries on its own.",
  },
  GPCONNECT_ERR_CONNECTION_DROPPED: {
    kind: 'transient',
    message: 'The connection closed before GP Connect answered',
    fix: 'The Spine Secure Proxy or the provider closed the connection. slotbridge retries on its own.',
  },
  GPCONNECT_ERR_CANCELLED: {
    kind: 'transient',
    message: 'The call was stopped by slotbridge',
    fix: 'slotbridge stopped the call (shutdown or a request timeout); it runs again later.',
  },
  GPCONNECT_ERR_PROVIDER_UNAVAILABLE: {
    kind: 'transient',
    message: 'The GP Connect provider or the Spine Secure Proxy reported a server error',
    fix:
      "The practice's clinical system or the Spine is having problems (an HTTP 5xx or 429 answer). slotbridge " +
      'retries on its own; if it lasts for hours, raise it with the national service desk.',
  },
  GPCONNECT_ERR_UNEXPECTED_RESPONSE: {
    kind: 'transient',
    message: 'GP Connect answered something that is not the FHIR resource asked for',
    fix:
      'Check the provider FHIR base URL points at the GP Connect FHIR endpoint (it ends like /STU3/1) and not ' +
      'a web page. slotbridge retries on its own.',
  },
  GPCONNECT_ERR_VERSION_CONFLICT: {
    kind: 'transient',
    message: 'The appointment changed in the practice system while slotbridge was updating it',
    fix: 'Someone edited the appointment at the same time (the version did not match). slotbridge reads it again and retries.',
  },
  GPCONNECT_ERR_ACCESS_DENIED: {
    kind: 'auth_failed',
    message: 'GP Connect refused access (ACCESS_DENIED)',
    fix:
      'The Spine did not let this consumer ASID call this provider ASID. Check both ASIDs are typed exactly as ' +
      "issued, that the partner's product is assured for GP Connect Appointment Management, and that the " +
      "practice has enabled GP Connect appointment booking for the partner in its clinical system's settings.",
  },
  GPCONNECT_ERR_ORGANISATION_CONSENT: {
    kind: 'auth_failed',
    message: 'The practice has not agreed to share through GP Connect (NO_ORGANISATION_CONSENT)',
    fix: "The practice must switch on GP Connect appointment management for external organisations in its clinical system's settings.",
  },
  GPCONNECT_ERR_TLS: {
    kind: 'auth_failed',
    message: 'The secure (mutual TLS) connection was refused',
    fix:
      "Paste the partner's Spine-issued TLS client certificate and its private key (PEM), and the Spine CA " +
      'certificates; check the certificate has not expired and was issued for the consumer ASID.',
  },
  GPCONNECT_ERR_PATIENT_NO_NHS_NUMBER: {
    kind: 'patient_not_matched',
    message: 'The patient has no NHS number',
    fix:
      'GP Connect finds patients by NHS number only. Ask the patient for their NHS number (on the NHS App or a ' +
      'letter from the practice), or book at reception.',
  },
  GPCONNECT_ERR_NHS_NUMBER_INVALID: {
    kind: 'patient_not_matched',
    message: 'The NHS number is not valid (INVALID_NHS_NUMBER)',
    fix: 'The NHS number must be 10 digits with a valid check digit. Correct it and book again.',
  },
  GPCONNECT_ERR_PATIENT_NOT_FOUND: {
    kind: 'patient_not_matched',
    message: 'The practice has no registered patient with this NHS number',
    fix:
      'The patient is not registered at this practice (or not yet). Check the NHS number, or ask the patient to ' +
      'register, or book at reception. slotbridge does not hold slots for unmatched patients through GP Connect.',
  },
  GPCONNECT_ERR_PATIENT_MULTIPLE: {
    kind: 'patient_not_matched',
    message: 'The practice has several records with this NHS number',
    fix: 'The practice must merge the duplicate patient records in its clinical system; book at reception meanwhile.',
  },
  GPCONNECT_ERR_PATIENT_DETAILS_MISMATCH: {
    kind: 'patient_not_matched',
    message: 'The patient found by NHS number has another date of birth',
    fix:
      'The NHS number and the date of birth given do not belong to the same patient at the practice. Check both ' +
      'with the patient, then book again.',
  },
  GPCONNECT_ERR_SLOT_TAKEN: {
    kind: 'slot_taken',
    message: 'The slot is no longer free (DUPLICATE_REJECTED)',
    fix: 'The slot was booked, blocked or removed at the practice meanwhile. Offer the patient another time.',
  },
  GPCONNECT_ERR_SLOT_REF_INVALID: {
    kind: 'rejected',
    message: 'The slot does not carry the location GP Connect needs to book it',
    fix: 'The slot was synced without its schedule location. Let the next sync refresh the slots, then book again.',
  },
  GPCONNECT_ERR_APPOINTMENT_IN_PAST: {
    kind: 'rejected',
    message: 'GP Connect books and cancels future appointments only',
    fix: 'The appointment has started or is over: the practice handles it in its clinical system.',
  },
  GPCONNECT_ERR_NOT_FOUND: {
    kind: 'rejected',
    message: 'GP Connect has no such record (NO_RECORD_FOUND)',
    fix: 'The appointment, slot or record is gone from the practice system. Let the next sync refresh the diary.',
  },
  GPCONNECT_ERR_ORGANISATION_NOT_FOUND: {
    kind: 'rejected',
    message: 'GP Connect knows no organisation with the practice ODS code',
    fix: "Enter the practice's ODS code exactly as NHS England lists it (capitals, e.g. A81001).",
  },
  GPCONNECT_ERR_INVALID_PARAMETER: {
    kind: 'rejected',
    message: 'GP Connect refused a search parameter (INVALID_PARAMETER)',
    fix: 'This is a slotbridge bug or a provider that reads the standard differently: report it with the error details.',
  },
  GPCONNECT_ERR_INVALID_RESOURCE: {
    kind: 'rejected',
    message: 'GP Connect refused the appointment as invalid (INVALID_RESOURCE)',
    fix:
      'The provider refused the appointment sent (a field too long, a slot that does not match, a rule of the ' +
      "practice's slot set-up). Check the booking organisation details; report it with the error details if it persists.",
  },
  GPCONNECT_ERR_BAD_REQUEST: {
    kind: 'rejected',
    message: 'GP Connect refused the request as malformed (BAD_REQUEST)',
    fix:
      'Often the audit token: check the booking organisation ODS code and the responsible user details. ' +
      'Otherwise report it with the error details.',
  },
  GPCONNECT_ERR_CONSTRAINT: {
    kind: 'rejected',
    message: 'GP Connect refused the change (FHIR_CONSTRAINT_VIOLATION)',
    fix: 'The practice system would not make this change to the appointment. The practice handles it in its clinical system.',
  },
  GPCONNECT_ERR_NOT_IMPLEMENTED: {
    kind: 'unsupported',
    message: 'The provider does not implement this GP Connect interaction (NOT_IMPLEMENTED)',
    fix:
      "Ask the practice's clinical system supplier to enable GP Connect Appointment Management 1.2 for the " +
      'practice.',
  },
  GPCONNECT_ERR_REFUSED: {
    kind: 'rejected',
    message: 'GP Connect refused the request',
    fix: 'GP Connect answered an error slotbridge does not know (see the Spine error code in the details). Report it with the details.',
  },
} as const satisfies Record<string, GpConnectErrorEntry>;

export type GpConnectErrorCode = keyof typeof GPCONNECT_ERRORS;

/** Spine error codes (OperationOutcome.issue.details.coding.code) → ours, where one fits every interaction. */
export const SPINE_ERROR_CODES: Record<string, GpConnectErrorCode> = {
  ACCESS_DENIED: 'GPCONNECT_ERR_ACCESS_DENIED',
  NO_ORGANISATION_CONSENT: 'GPCONNECT_ERR_ORGANISATION_CONSENT',
  NO_PATIENT_CONSENT: 'GPCONNECT_ERR_ACCESS_DENIED',
  INVALID_NHS_NUMBER: 'GPCONNECT_ERR_NHS_NUMBER_INVALID',
  INVALID_IDENTIFIER_SYSTEM: 'GPCONNECT_ERR_INVALID_PARAMETER',
  INVALID_IDENTIFIER_VALUE: 'GPCONNECT_ERR_INVALID_PARAMETER',
  INVALID_PATIENT_DEMOGRAPHICS: 'GPCONNECT_ERR_PATIENT_DETAILS_MISMATCH',
  PATIENT_NOT_FOUND: 'GPCONNECT_ERR_PATIENT_NOT_FOUND',
  ORGANISATION_NOT_FOUND: 'GPCONNECT_ERR_ORGANISATION_NOT_FOUND',
  PRACTITIONER_NOT_FOUND: 'GPCONNECT_ERR_NOT_FOUND',
  NO_RECORD_FOUND: 'GPCONNECT_ERR_NOT_FOUND',
  DUPLICATE_REJECTED: 'GPCONNECT_ERR_SLOT_TAKEN',
  INVALID_RESOURCE: 'GPCONNECT_ERR_INVALID_RESOURCE',
  INVALID_PARAMETER: 'GPCONNECT_ERR_INVALID_PARAMETER',
  REFERENCE_NOT_FOUND: 'GPCONNECT_ERR_NOT_FOUND',
  BAD_REQUEST: 'GPCONNECT_ERR_BAD_REQUEST',
  FHIR_CONSTRAINT_VIOLATION: 'GPCONNECT_ERR_CONSTRAINT',
  CONFLICT: 'GPCONNECT_ERR_VERSION_CONFLICT',
  PRECONDITION_FAILED: 'GPCONNECT_ERR_VERSION_CONFLICT',
  NOT_IMPLEMENTED: 'GPCONNECT_ERR_NOT_IMPLEMENTED',
  INTERNAL_SERVER_ERROR: 'GPCONNECT_ERR_PROVIDER_UNAVAILABLE',
};

export interface GpConnectErrorOptions {
  /** Machine-readable detail: never credentials or patient data. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Replaces the table's message (still no patient data). */
  message?: string;
}

export function gpConnectError(code: GpConnectErrorCode, options: GpConnectErrorOptions = {}): EhrError {
  const entry: GpConnectErrorEntry = GPCONNECT_ERRORS[code];
  const { message, ...rest } = options;
  return new EhrError(entry.kind, code, message ?? entry.message, { fix: entry.fix, ...rest });
}

export function isGpConnectError(error: unknown, ...codes: GpConnectErrorCode[]): error is EhrError {
  return error instanceof EhrError && (codes.length === 0 || (codes as string[]).includes(error.code));
}
