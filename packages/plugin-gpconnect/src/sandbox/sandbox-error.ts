/** An error the sandbox answers as GP Connect does: an HTTP status and an OperationOutcome of one Spine error code. */
import { operationOutcome } from '../fhir.ts';

const SPINE: Record<string, { status: number; issue: string; display: string }> = {
  BAD_REQUEST: { status: 400, issue: 'invalid', display: 'Submitted request is malformed/invalid.' },
  INVALID_NHS_NUMBER: { status: 400, issue: 'value', display: 'NHS number invalid' },
  INVALID_IDENTIFIER_SYSTEM: { status: 400, issue: 'value', display: 'Invalid identifier system' },
  ACCESS_DENIED: { status: 403, issue: 'forbidden', display: 'Access denied' },
  NO_RECORD_FOUND: { status: 404, issue: 'not-found', display: 'No record found' },
  PATIENT_NOT_FOUND: { status: 404, issue: 'not-found', display: 'Patient record not found' },
  DUPLICATE_REJECTED: {
    status: 409,
    issue: 'duplicate',
    display: 'Create would lead to creation of a duplicate resource',
  },
  FHIR_CONSTRAINT_VIOLATION: { status: 409, issue: 'invalid', display: 'FHIR constraint violated' },
  INVALID_RESOURCE: { status: 422, issue: 'invalid', display: 'Submitted resource is not valid.' },
  INVALID_PARAMETER: { status: 422, issue: 'invalid', display: 'Submitted parameter is not valid.' },
  REFERENCE_NOT_FOUND: { status: 422, issue: 'invalid', display: 'Referenced resource not found.' },
  INTERNAL_SERVER_ERROR: { status: 500, issue: 'processing', display: 'Unexpected internal server error.' },
  NOT_IMPLEMENTED: {
    status: 501,
    issue: 'not-supported',
    display: 'FHIR resource or operation not implemented at server',
  },
};

export type SpineErrorCode = keyof typeof SPINE & string;
export const SANDBOX_SPINE_CODES = Object.keys(SPINE);

export class SandboxError extends Error {
  readonly status: number;
  constructor(
    readonly spineCode: SpineErrorCode,
    readonly diagnostics: string,
    status?: number,
  ) {
    super(`${spineCode}: ${diagnostics}`);
    this.status = status ?? SPINE[spineCode]?.status ?? 500;
  }

  get body() {
    const entry = SPINE[this.spineCode] ?? SPINE.INTERNAL_SERVER_ERROR!;
    return operationOutcome(this.spineCode, entry.display, entry.issue, this.diagnostics);
  }
}

/** The statuses an injected `error` fault may answer. */
export const FAULT_STATUSES = [500, 502, 503, 504, 429] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];
