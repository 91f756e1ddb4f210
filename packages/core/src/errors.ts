/**
 * Domain errors of the core. They know nothing of HTTP: the server translates them to
 * application/problem+json in one place (packages/server/src/problem.ts). Every code is
 * listed in docs/errors.md.
 */
export type ErrorCategory =
  | 'invalid_input' // 400
  | 'not_found' // 404
  | 'conflict' // 409
  | 'unprocessable' // 422
  | 'precondition_failed' // 412
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'unavailable' // 503
  | 'internal'; // 500

export interface SlotbridgeErrorOptions {
  /** What the caller should do about it, in plain words. */
  fix?: string;
  /** Extra machine-readable detail (never secrets or patient data). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SlotbridgeError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, category: ErrorCategory, message: string, options: SlotbridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlotbridgeError';
    this.code = code;
    this.category = category;
    this.fix = options.fix;
    this.details = options.details;
  }
}

export class NotFoundError extends SlotbridgeError {
  constructor(code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, 'not_found', message, options);
  }
}

export class ConflictError extends SlotbridgeError {
  constructor(code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, 'conflict', message, options);
  }
}

export class InputError extends SlotbridgeError {
  constructor(code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, 'invalid_input', message, options);
  }
}

export class UnprocessableError extends SlotbridgeError {
  constructor(code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, 'unprocessable', message, options);
  }
}

/** A condition of the request (`If-Match`) does not hold: nothing was changed. */
export class PreconditionFailedError extends SlotbridgeError {
  constructor(code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, 'precondition_failed', message, options);
  }
}

/** The kinds of failure an EHR plugin reports from its hooks. */
export type EhrErrorKind =
  /** The slot is no longer free in the EHR. Never retried. */
  | 'slot_taken'
  /** The patient could not be matched to exactly one EHR record. */
  | 'patient_not_matched'
  /** The EHR (or this plugin) does not support the operation, e.g. online cancellation. */
  | 'unsupported'
  /** Credentials were refused. Retrying will not help until the practice fixes them. */
  | 'auth_failed'
  /** The EHR refused the request for a reason that retrying will not change. */
  | 'rejected'
  /** Timeouts, dropped connections, 5xx, the practice server offline. Retried with back-off. */
  | 'transient';

/**
 * The one error type an EHR plugin throws from its hooks. `code` is the plugin's own stable
 * code (e.g. EMIS_ERR_SLOT_NOT_AVAILABLE); `kind` tells the core what to do with it.
 */
export class EhrError extends SlotbridgeError {
  readonly kind: EhrErrorKind;

  constructor(kind: EhrErrorKind, code: string, message: string, options?: SlotbridgeErrorOptions) {
    super(code, ehrKindCategory[kind], message, options);
    this.name = 'EhrError';
    this.kind = kind;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

const ehrKindCategory: Record<EhrErrorKind, ErrorCategory> = {
  slot_taken: 'conflict',
  patient_not_matched: 'unprocessable',
  unsupported: 'conflict',
  auth_failed: 'unavailable',
  rejected: 'unprocessable',
  transient: 'unavailable',
};

export function isEhrError(error: unknown): error is EhrError {
  return error instanceof EhrError;
}

// Codes the core itself raises. Plugins keep their own prefix (EMIS_ERR_…).
export const CoreErrorCode = {
  HOOK_UNKNOWN: 'SB_ERR_HOOK_UNKNOWN',
  HOOK_NOT_FUNCTION: 'SB_ERR_HOOK_NOT_FUNCTION',
  PLUGIN_INVALID: 'SB_ERR_PLUGIN_INVALID',
  PLUGIN_DUPLICATE: 'SB_ERR_PLUGIN_DUPLICATE',
  PLUGIN_UNKNOWN: 'SB_ERR_PLUGIN_UNKNOWN',
  PRACTICE_NOT_FOUND: 'SB_ERR_PRACTICE_NOT_FOUND',
  CONNECTION_MISSING: 'SB_ERR_CONNECTION_MISSING',
  CONNECTION_INVALID: 'SB_ERR_CONNECTION_INVALID',
  SLOT_NOT_FOUND: 'SB_ERR_SLOT_NOT_FOUND',
  SLOT_TAKEN: 'SB_ERR_SLOT_TAKEN',
  SLOT_NOT_BOOKABLE: 'SB_ERR_SLOT_NOT_BOOKABLE',
  BOOKING_NOT_FOUND: 'SB_ERR_BOOKING_NOT_FOUND',
  PRACTITIONER_NOT_FOUND: 'SB_ERR_PRACTITIONER_NOT_FOUND',
  LOCATION_NOT_FOUND: 'SB_ERR_LOCATION_NOT_FOUND',
  APPOINTMENT_TYPE_NOT_FOUND: 'SB_ERR_APPOINTMENT_TYPE_NOT_FOUND',
  AUDIT_EVENT_NOT_FOUND: 'SB_ERR_AUDIT_EVENT_NOT_FOUND',
  BOOKING_NOT_CANCELLABLE: 'SB_ERR_BOOKING_NOT_CANCELLABLE',
  IDEMPOTENCY_KEY_REUSED: 'SB_ERR_IDEMPOTENCY_KEY_REUSED',
  CANCEL_UNSUPPORTED: 'SB_ERR_CANCEL_UNSUPPORTED',
  RESCHEDULE_UNSUPPORTED: 'SB_ERR_RESCHEDULE_UNSUPPORTED',
  BOOKING_NOT_RESCHEDULABLE: 'SB_ERR_BOOKING_NOT_RESCHEDULABLE',
  BOOKING_NOT_IN_RECONCILIATION: 'SB_ERR_BOOKING_NOT_IN_RECONCILIATION',
  HORIZON_TOO_LONG: 'SB_ERR_HORIZON_TOO_LONG',
  CALL_BUDGET_TOO_HIGH: 'SB_ERR_CALL_BUDGET_TOO_HIGH',
  TIME_ZONE_INVALID: 'SB_ERR_TIME_ZONE_INVALID',
  WINDOW_INVALID: 'SB_ERR_WINDOW_INVALID',
  WINDOW_REVERSED: 'SB_ERR_WINDOW_REVERSED',
  WINDOW_IN_PAST: 'SB_ERR_WINDOW_IN_PAST',
  WINDOW_BEYOND_HORIZON: 'SB_ERR_WINDOW_BEYOND_HORIZON',
  SLOT_IN_PAST: 'SB_ERR_SLOT_IN_PAST',
  BOOKING_IN_PAST: 'SB_ERR_BOOKING_IN_PAST',
  BOOKING_VERSION_MISMATCH: 'SB_ERR_BOOKING_VERSION_MISMATCH',
  CURSOR_INVALID: 'SB_ERR_CURSOR_INVALID',
  ENCRYPTION_KEY_INVALID: 'SB_ERR_ENCRYPTION_KEY_INVALID',
  SECRET_UNREADABLE: 'SB_ERR_SECRET_UNREADABLE',
  PARTNER_REQUIRED: 'SB_ERR_PARTNER_REQUIRED',
  PARTNER_NOT_FOUND: 'SB_ERR_PARTNER_NOT_FOUND',
  API_KEY_NOT_FOUND: 'SB_ERR_API_KEY_NOT_FOUND',
  API_KEY_NOT_ROTATABLE: 'SB_ERR_API_KEY_NOT_ROTATABLE',
  API_KEY_IN_USE: 'SB_ERR_API_KEY_IN_USE',
  ROTATION_GRACE_INVALID: 'SB_ERR_ROTATION_GRACE_INVALID',
  SETUP_CHECKS_FAILED: 'SB_ERR_SETUP_CHECKS_FAILED',
  APPOINTMENT_TYPE_MISMATCH: 'SB_ERR_APPOINTMENT_TYPE_MISMATCH',
  SYNC_FAILED: 'SB_ERR_SYNC_FAILED',
  WRITE_BACK_FAILED: 'SB_ERR_WRITE_BACK_FAILED',
  MAPPING_DUPLICATE: 'SB_ERR_MAPPING_DUPLICATE',
  MAPPING_UNKNOWN_ID: 'SB_ERR_MAPPING_UNKNOWN_ID',
  UNREGISTERED_SLOT_TYPE_NOT_UNIQUE: 'SB_ERR_UNREGISTERED_SLOT_TYPE_NOT_UNIQUE',
  UNREGISTERED_SLOT_TYPE_REUSED: 'SB_ERR_UNREGISTERED_SLOT_TYPE_REUSED',
} as const;
