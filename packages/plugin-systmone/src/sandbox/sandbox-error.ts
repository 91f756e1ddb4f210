/**
 * The sandbox's errors. On the wire each is an `ErrorMessage` whose text is the only thing the
 * Client Integration API gives: the wording below is *modelled* (TPP does not publish it), and
 * the plugin's client recognises these words. The control surface answers the same errors as
 * JSON `{ code, message }` with the HTTP status given here.
 */

/** Every error the sandbox raises, with the control surface's HTTP status. */
export const SANDBOX_ERRORS = {
  MALFORMED_REQUEST: 400,
  API_KEY_UNKNOWN: 401,
  DEVICE_UNKNOWN: 401,
  DEVICE_NOT_APPROVED: 403,
  FUNCTION_UNKNOWN: 400,
  FUNCTION_VERSION_UNSUPPORTED: 400,
  INVALID_PARAMETERS: 400,
  SEARCH_CRITERIA: 400,
  PATIENT_NOT_FOUND: 404,
  SLOT_NOT_FOUND: 404,
  SLOT_NOT_AVAILABLE: 409,
  SLOT_TYPE_NOT_BOOKABLE: 409,
  APPOINTMENT_NOT_FOUND: 404,
  APPOINTMENT_CANCELLED: 409,
  APPOINTMENT_IN_PROGRESS: 409,
  USER_NOT_FOUND: 404,
  CLINIC_INVALID: 400,
  SLOT_TYPE_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
} as const;

export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

/** The ErrorMessage texts, by code (the control surface uses the same). */
export const sandboxMessages = {
  malformedRequest: (why: string) => `The request is not a valid ClientIntegrationRequest: ${why}`,
  apiKeyUnknown: () => 'The API key is not recognised',
  deviceUnknown: () => 'The device ID is not registered for this API key',
  deviceNotApproved: (deviceId: string, userName: string) =>
    `The device ${deviceId} has not been approved by ${userName}`,
  functionUnknown: (fn: string) => `Function ${fn} is not supported`,
  functionVersion: (fn: string, version: string) => `Function version ${version} of ${fn} is not supported`,
  invalidParameters: (why: string) => `Invalid function parameters: ${why}`,
  searchCriteria: () => 'PatientSearch needs at least two search criteria',
  patientNotFound: () => 'No patient with that NHS number',
  slotNotFound: (slotRef: number) => `No slot ${slotRef}`,
  slotNotAvailable: () => 'The slot is not available',
  slotTypeNotBookable: (slotType: string) => `Slot type ${slotType} cannot be booked by third parties`,
  appointmentNotFound: (uid: string) => `Appointment ${uid} not found for this patient`,
  appointmentCancelled: (uid: string) => `Appointment ${uid} is already cancelled`,
  appointmentInProgress: (uid: string, status: string) =>
    `Appointment ${uid} cannot be cancelled: it is ${status}`,
  internalError: () => 'An internal error occurred',
} as const;

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
}
