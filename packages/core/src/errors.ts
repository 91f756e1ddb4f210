/**
 * Domain errors of the core. They know nothing of HTTP: the server translates them to
 * application/problem+json in one place (packages/server/src/problem.ts). Every code is in
 * the table ERRORS below, and listed in docs/errors.md.
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
  | 'internal' // 500
  // The HTTP layer's own (packages/server), answered before or around a route:
  | 'request_timeout' // 408
  | 'too_large' // 413
  | 'uri_too_long' // 414
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429
  | 'headers_too_large'; // 431

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

/**
 * THE error table of slotbridge: every `SB_ERR_…` code the core or the server raises or answers,
 * with its category (the server answers it with that category's HTTP status, problem.ts), a short
 * title (the problem+json `title`) and the default fix in the reader's words. A throw site says
 * what happened in its message and may give a more precise fix; the server fills the rest from
 * here. docs/errors.md lists every code; a test holds it to this table both ways. Plugins keep
 * their own prefix and table (EMIS_ERR_… in each plugin package's src/errors.ts).
 *
 * The HTTP layer's own codes (validation, authentication, rate limits, the framework's answers)
 * are here too, so there is one place to look; their categories are the last six of
 * ErrorCategory.
 */
export interface ErrorEntry {
  category: ErrorCategory;
  title: string;
  /** Sent as `fix`, unless the error carries a more precise one. */
  fix: string;
}

export const ERRORS = {
  // --- Plugins and hooks (raised at start-up, never over HTTP)
  SB_ERR_HOOK_UNKNOWN: {
    category: 'internal',
    title: 'Unknown hook',
    fix: 'Name a hook point of HOOK_NAMES (the message lists them) as the first argument of addHook.',
  },
  SB_ERR_HOOK_NOT_FUNCTION: {
    category: 'internal',
    title: 'Hook is not a function',
    fix: 'Pass an async function (ctx, input, next) => result as the second argument of addHook.',
  },
  SB_ERR_PLUGIN_INVALID: {
    category: 'internal',
    title: 'Invalid EHR plugin',
    fix: 'Declare the plugin with defineEhrPlugin({...}); see docs/adding-an-ehr.md.',
  },
  SB_ERR_PLUGIN_DUPLICATE: {
    category: 'internal',
    title: 'Duplicate EHR plugin',
    fix: 'Give each EHR plugin its own id, and register each one once.',
  },
  SB_ERR_ENCRYPTION_KEY_INVALID: {
    category: 'internal',
    title: 'Invalid encryption key',
    fix: 'Set SLOTBRIDGE_ENCRYPTION_KEY to 32 random bytes, base64-encoded (e.g. openssl rand -base64 32).',
  },
  SB_ERR_SECRET_UNREADABLE: {
    category: 'internal',
    title: 'Stored secret unreadable',
    fix: 'Start the server with the SLOTBRIDGE_ENCRYPTION_KEY the secrets were stored with, or save the connection again.',
  },
  // --- Recorded on bookings and sync runs
  SB_ERR_WRITE_BACK_FAILED: {
    category: 'internal',
    title: 'Write-back failed',
    fix: 'The booking is retried, then recorded as failed; if it keeps happening, tell the operator (the error is logged).',
  },
  SB_ERR_SYNC_FAILED: {
    category: 'internal',
    title: 'Sync failed',
    fix: 'The next sync tries again; if it keeps failing, tell the operator (the error is logged).',
  },
  // --- Partners, API keys, practices, plugins, connections
  SB_ERR_PARTNER_REQUIRED: {
    category: 'invalid_input',
    title: 'Partner required',
    fix: 'With the admin key, say which partner it is for: add partnerId.',
  },
  SB_ERR_PARTNER_NOT_FOUND: {
    category: 'not_found',
    title: 'Partner not found',
    fix: 'Check the id: GET /v1/partners lists the partners.',
  },
  SB_ERR_API_KEY_NOT_FOUND: {
    category: 'not_found',
    title: 'API key not found',
    fix: "Check the key's id: GET /v1/partners/{partnerId}/api-keys lists this partner's keys.",
  },
  SB_ERR_API_KEY_NOT_ROTATABLE: {
    category: 'conflict',
    title: 'API key not rotatable',
    fix: 'Rotate an active key; for a key rotated already, rotate its replacement (replacedBy).',
  },
  SB_ERR_API_KEY_IN_USE: {
    category: 'conflict',
    title: 'API key in use',
    fix: 'Rotate the key instead (the old one keeps a grace period), or repeat with ?confirm=true to revoke the key you are using.',
  },
  SB_ERR_ROTATION_GRACE_INVALID: {
    category: 'invalid_input',
    title: 'Invalid rotation grace',
    fix: 'Give a grace of 0 to 604800 seconds (7 days).',
  },
  SB_ERR_PRACTICE_NOT_FOUND: {
    category: 'not_found',
    title: 'Practice not found',
    fix: 'Check the id: GET /v1/practices lists the practices this key can see.',
  },
  SB_ERR_PLUGIN_UNKNOWN: {
    category: 'not_found',
    title: 'Unknown EHR plugin',
    fix: 'Use a plugin id from GET /v1/plugins.',
  },
  SB_ERR_TIME_ZONE_INVALID: {
    category: 'invalid_input',
    title: 'Invalid time zone',
    fix: 'Give an IANA time zone, e.g. Europe/London or Australia/Sydney.',
  },
  SB_ERR_HORIZON_TOO_LONG: {
    category: 'unprocessable',
    title: 'Publishing horizon too long',
    fix: "Choose at most the plugin's maximum number of days (max).",
  },
  SB_ERR_CALL_BUDGET_TOO_HIGH: {
    category: 'unprocessable',
    title: 'EHR call budget too high',
    fix: "Choose at most the plugin's callsPerMinute (max), or null for the plugin's own: a practice may only lower it.",
  },
  SB_ERR_CONNECTION_INVALID: {
    category: 'invalid_input',
    title: 'Invalid connection settings',
    fix: 'Correct the fields listed in "errors": GET /v1/plugins describes the settings of each plugin.',
  },
  SB_ERR_SETUP_CHECKS_FAILED: {
    category: 'unprocessable',
    title: 'Set-up checks failed',
    fix: 'Fix what each failed check in "checks" says, then save again; or save anyway with ?force=true.',
  },
  SB_ERR_CONNECTION_MISSING: {
    category: 'not_found',
    title: 'No EHR connection',
    fix: 'Save the EHR connection first: PUT /v1/practices/{practiceId}/connection.',
  },
  // --- Catalogue, mappings, audit
  SB_ERR_PRACTITIONER_NOT_FOUND: {
    category: 'not_found',
    title: 'Practitioner not found',
    fix: "Check the id: GET /v1/practices/{practiceId}/practitioners lists this practice's.",
  },
  SB_ERR_LOCATION_NOT_FOUND: {
    category: 'not_found',
    title: 'Location not found',
    fix: "Check the id: GET /v1/practices/{practiceId}/locations lists this practice's.",
  },
  SB_ERR_APPOINTMENT_TYPE_NOT_FOUND: {
    category: 'not_found',
    title: 'Appointment type not found',
    fix: "Check the id: GET /v1/practices/{practiceId}/appointment-types lists this practice's.",
  },
  SB_ERR_AUDIT_EVENT_NOT_FOUND: {
    category: 'not_found',
    title: 'Audit event not found',
    fix: 'Pass as before the id of the last event of the previous page.',
  },
  SB_ERR_MAPPING_DUPLICATE: {
    category: 'unprocessable',
    title: 'Duplicate mapping',
    fix: 'Map one to one: each EHR practitioner or site to one of ours at most, and each row once; leave the others blank (null).',
  },
  SB_ERR_MAPPING_UNKNOWN_ID: {
    category: 'unprocessable',
    title: 'Unknown id in mapping',
    fix: 'Check the ids in "errors"; POST /v1/practices/{practiceId}/discover refreshes the EHR catalogue.',
  },
  SB_ERR_UNREGISTERED_SLOT_TYPE_NOT_UNIQUE: {
    category: 'unprocessable',
    title: 'More than one unregistered-patient slot type',
    fix: 'Choose exactly one slot type as the Unregistered Patient Booking type.',
  },
  SB_ERR_UNREGISTERED_SLOT_TYPE_REUSED: {
    category: 'unprocessable',
    title: 'Unregistered-patient slot type reused',
    fix: 'Use a slot type reserved for unregistered patients (e.g. "Hero unregistered patient"), with no appointment type and in no booking feature.',
  },
  // --- Windows and pages
  SB_ERR_WINDOW_INVALID: {
    category: 'invalid_input',
    title: 'Invalid window',
    fix: 'Give from and to as YYYY-MM-DD or an ISO 8601 date-time with an offset.',
  },
  SB_ERR_WINDOW_REVERSED: {
    category: 'unprocessable',
    title: 'Window runs backwards',
    fix: 'Give a "to" after "from" (to is exclusive): swap them, or widen the window.',
  },
  SB_ERR_WINDOW_IN_PAST: {
    category: 'unprocessable',
    title: 'Window in the past',
    fix: "Leave out from (now), or pass today's date: past slots are never offered.",
  },
  SB_ERR_WINDOW_BEYOND_HORIZON: {
    category: 'unprocessable',
    title: 'Window beyond the horizon',
    fix: 'Leave out to for the whole publishing horizon, or choose at most max.',
  },
  SB_ERR_CURSOR_INVALID: {
    category: 'invalid_input',
    title: 'Invalid cursor',
    fix: "Pass the previous page's next unchanged, or leave out cursor for the first page.",
  },
  // --- Slots and bookings
  SB_ERR_SLOT_NOT_FOUND: {
    category: 'not_found',
    title: 'Slot not found',
    fix: 'Pick a slot from GET /v1/practices/{practiceId}/slots.',
  },
  SB_ERR_SLOT_TAKEN: {
    category: 'conflict',
    title: 'Slot taken',
    fix: 'Offer the patient another slot from GET /v1/practices/{practiceId}/slots.',
  },
  SB_ERR_SLOT_IN_PAST: {
    category: 'unprocessable',
    title: 'Slot in the past',
    fix: 'Offer a slot from GET /v1/practices/{practiceId}/slots: only future ones are listed.',
  },
  SB_ERR_SLOT_NOT_BOOKABLE: {
    category: 'conflict',
    title: 'Slot not bookable',
    fix: 'Ask GET /v1/practices/{practiceId}/slots for what is offered; GET …/diagnostics/availability?slotId= explains why this one is not.',
  },
  SB_ERR_APPOINTMENT_TYPE_MISMATCH: {
    category: 'unprocessable',
    title: 'Appointment type mismatch',
    fix: 'Book a slot listed for that appointment type (GET …/slots?appointmentTypeId=).',
  },
  SB_ERR_IDEMPOTENCY_KEY_REUSED: {
    category: 'unprocessable',
    title: 'Idempotency key reused',
    fix: 'Use a new Idempotency-Key for each booking; reuse one only to retry the same request.',
  },
  SB_ERR_BOOKING_NOT_FOUND: {
    category: 'not_found',
    title: 'Booking not found',
    fix: 'Check the id: GET /v1/practices/{practiceId}/bookings lists the bookings made through this API.',
  },
  SB_ERR_BOOKING_IN_PAST: {
    category: 'unprocessable',
    title: 'Appointment has started',
    fix: 'Nothing can be changed online once an appointment has started; the practice records what happened in its EHR.',
  },
  SB_ERR_BOOKING_VERSION_MISMATCH: {
    category: 'precondition_failed',
    title: 'Booking changed',
    fix: 'GET the booking, check the change still makes sense, and send it again with If-Match set to its ETag.',
  },
  SB_ERR_BOOKING_NOT_CANCELLABLE: {
    category: 'conflict',
    title: 'Booking not cancellable',
    fix: 'Wait until the booking is confirmed (poll GET …/bookings/{bookingId}); a failed booking holds nothing.',
  },
  SB_ERR_CANCEL_UNSUPPORTED: {
    category: 'conflict',
    title: 'Cancellation not supported',
    fix: 'This EHR has no online cancellation: the practice cancels in its EHR, and the next sync brings it back.',
  },
  SB_ERR_RESCHEDULE_UNSUPPORTED: {
    category: 'conflict',
    title: 'Reschedule not supported',
    fix: 'This EHR has no online cancellation, so a booking cannot be moved: the practice moves it in its EHR.',
  },
  SB_ERR_BOOKING_NOT_RESCHEDULABLE: {
    category: 'conflict',
    title: 'Booking not reschedulable',
    fix: 'Wait until the booking is confirmed, or until its current move finishes.',
  },
  SB_ERR_BOOKING_NOT_IN_RECONCILIATION: {
    category: 'conflict',
    title: 'Booking not awaiting reconciliation',
    fix: 'GET /v1/practices/{practiceId}/reconciliation lists the bookings that are.',
  },
  // --- Publishing
  SB_ERR_PUBLISHING_INVALID: {
    category: 'unprocessable',
    title: 'Invalid publishing setting',
    fix: 'Correct the field named in "field"; docs/publishing.md describes the booking link template and the URLs.',
  },
  SB_ERR_PUBLISHING_NO_BOOKING_ROUTE: {
    category: 'unprocessable',
    title: 'No way to book',
    fix: 'Give a bookingLinkTemplate, a bookingPhone, or both: a published slot must say how to book it.',
  },
  SB_ERR_PUBLISHING_NO_CONTACT: {
    category: 'unprocessable',
    title: 'No contact point',
    fix: 'Give a phone, a bookingPhone or a website: the published Location needs a contact point.',
  },
  SB_ERR_NOT_PUBLISHED: {
    category: 'not_found',
    title: 'Not published',
    fix: 'Opt the practice in (PUT /v1/practices/{practiceId}/publishing), then use the manifestPath it answers.',
  },
  SB_ERR_SINCE_INVALID: {
    category: 'invalid_input',
    title: 'Invalid _since',
    fix: "Pass the previous manifest's transactionTime, a timestamp with an offset.",
  },
  // --- Webhooks
  SB_ERR_WEBHOOK_ENDPOINT_NOT_FOUND: {
    category: 'not_found',
    title: 'Webhook endpoint not found',
    fix: "Check the id: GET /v1/webhook-endpoints lists this key's endpoints.",
  },
  SB_ERR_WEBHOOK_EVENT_NOT_FOUND: {
    category: 'not_found',
    title: 'Webhook event not found',
    fix: "Pick an eventId from the endpoint's deliveries (GET /v1/webhook-endpoints/{endpointId}/deliveries).",
  },
  SB_ERR_WEBHOOK_URL_INVALID: {
    category: 'unprocessable',
    title: 'Invalid webhook URL',
    fix: 'Give an https:// URL without credentials in it (http:// only to 127.0.0.1 or localhost).',
  },
  // --- The HTTP layer (packages/server): validation, authentication, rate limits, the framework's answers
  SB_ERR_VALIDATION: {
    category: 'invalid_input',
    title: 'Invalid request',
    fix: 'Correct the fields listed in "errors"; the OpenAPI document at /openapi.json describes every field.',
  },
  SB_ERR_JSON_INVALID: {
    category: 'invalid_input',
    title: 'Invalid JSON',
    fix: 'Send the body as JSON (the OpenAPI document at /openapi.json describes each one).',
  },
  SB_ERR_CONTENT_LENGTH_MISMATCH: {
    category: 'invalid_input',
    title: 'Content-Length mismatch',
    fix: "Send a Content-Length equal to the body's length in bytes (HTTP clients do this themselves).",
  },
  SB_ERR_URL_INVALID: {
    category: 'invalid_input',
    title: 'Invalid URL',
    fix: 'Percent-encode the path correctly (RFC 3986), e.g. with encodeURIComponent for each part.',
  },
  SB_ERR_HTTP_MALFORMED: {
    category: 'invalid_input',
    title: 'Malformed HTTP',
    fix: 'Use an HTTP client library; check that no proxy alters the request.',
  },
  SB_ERR_UNAUTHENTICATED: {
    category: 'unauthorized',
    title: 'Unauthenticated',
    fix: 'Send the key as "Authorization: Bearer <key>". The admin key is printed at first start or set with SLOTBRIDGE_ADMIN_KEY.',
  },
  SB_ERR_ADMIN_ONLY: {
    category: 'forbidden',
    title: 'Admin key only',
    fix: 'Use the admin key (SLOTBRIDGE_ADMIN_KEY).',
  },
  SB_ERR_PRACTICE_KEY_NOT_ALLOWED: {
    category: 'forbidden',
    title: 'Not with a practice key',
    fix: "Use a partner key: a practice key reaches only its practice's settings, slots and bookings.",
  },
  SB_ERR_ROUTE_NOT_FOUND: {
    category: 'not_found',
    title: 'Route not found',
    fix: 'See /docs for the routes of this API (a route that exists with another method answers this too).',
  },
  SB_ERR_REQUEST_TIMEOUT: {
    category: 'request_timeout',
    title: 'Request timeout',
    fix: 'Send the whole request at once; if a proxy sits in between, check that it forwards requests promptly.',
  },
  SB_ERR_BODY_TOO_LARGE: {
    category: 'too_large',
    title: 'Body too large',
    fix: 'Send a smaller body: no request of this API needs one this large.',
  },
  SB_ERR_URL_TOO_LONG: {
    category: 'uri_too_long',
    title: 'URL too long',
    fix: 'Check the ids in the path: each is a UUID, e.g. 5b0c2a4e-…, as this API returned it.',
  },
  SB_ERR_MEDIA_TYPE_UNSUPPORTED: {
    category: 'unsupported_media_type',
    title: 'Unsupported media type',
    fix: 'Send the body as JSON, with "Content-Type: application/json".',
  },
  SB_ERR_AUTH_RATE_LIMITED: {
    category: 'rate_limited',
    title: 'Too many failed authentications',
    fix: 'Check the API key your client sends ("Authorization: Bearer <key>"), then retry after the number of seconds in Retry-After. Requests with a right key are not refused.',
  },
  SB_ERR_BOOKING_RATE_LIMITED: {
    category: 'rate_limited',
    title: 'Too many bookings',
    fix: 'Retry after the number of seconds in Retry-After (with the same Idempotency-Key, so nothing is booked twice). If your traffic really is this high, ask the operator to raise SLOTBRIDGE_BOOKINGS_PER_MINUTE.',
  },
  SB_ERR_HEADERS_TOO_LARGE: {
    category: 'headers_too_large',
    title: 'Headers too large',
    fix: 'Send fewer or shorter headers (cookies are not needed by this API).',
  },
  SB_ERR_INTERNAL: {
    category: 'internal',
    title: 'Internal error',
    fix: 'Retry later; if it keeps happening, tell the operator (the error is logged).',
  },
  SB_ERR_ANSWER_TIMEOUT: {
    category: 'unavailable',
    title: 'Answer timeout',
    fix: 'Retry after the number of seconds in Retry-After; a change that was asked for may have been made (send the same Idempotency-Key to be safe).',
  },
  SB_ERR_SHUTTING_DOWN: {
    category: 'unavailable',
    title: 'Shutting down',
    fix: 'Retry after the number of seconds in Retry-After: another server, or this one restarted, will answer.',
  },
} as const satisfies Record<`SB_ERR_${string}`, ErrorEntry>;

export type ErrorCodeValue = keyof typeof ERRORS;

/** The codes by name: `ErrorCode.SLOT_TAKEN` is 'SB_ERR_SLOT_TAKEN'. Name codes this way, never by a literal. */
export const ErrorCode = Object.fromEntries(
  Object.keys(ERRORS).map((code) => [code.replace(/^SB_ERR_/, ''), code]),
) as { [K in ErrorCodeValue as K extends `SB_ERR_${infer Name}` ? Name : never]: K };

/** The same codes, under the name the core's throw sites use. */
export const CoreErrorCode = ErrorCode;

/** The table's entry for a code, or undefined for a code not in it (a plugin's, EMIS_ERR_…). */
export function errorEntry(code: string): ErrorEntry | undefined {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code as ErrorCodeValue] : undefined;
}

/**
 * The code of an error of the HTTP layer that is in no table (none known today): its status,
 * e.g. SB_ERR_HTTP_405. docs/errors.md lists it as SB_ERR_HTTP_<status>.
 */
export function otherHttpErrorCode(status: number): string {
  return `SB_ERR_HTTP_${status}`;
}
