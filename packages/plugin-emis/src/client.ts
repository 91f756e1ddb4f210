/**
 * A small client of the EMIS Partner API 1.2 on core's `sendHttp` (`node:http(s)`, one keep-alive
 * agent per process). It signs in through the
 * *modelled* token call, caches the bearer token until shortly before it expires, signs in again
 * once when a data call answers 401, sends the `applicationId` header on every call, bounds
 * every call with a timeout (and the caller's AbortSignal), and turns every failure into an
 * `EhrError` with an `EMIS_ERR_…` code. It never logs or reports credentials or patient data.
 */
import {
  type HttpAnswer as Answer,
  type EhrError,
  HttpCallError,
  meterEhrCall,
  type HttpRequest as Outgoing,
  sendHttp,
} from '@slotbridge/core/plugin';
import type { EmisConnection } from './connection.ts';
import { type EmisErrorCode, emisError, isEmisError } from './errors.ts';
import {
  type AppointmentConfiguration,
  type AppointmentSessionList,
  type BookedAppointment,
  type ErrorResponse,
  LegacyOutcome,
  type OrganisationInformation,
  type PatientMatches,
  type SessionSlotV2,
  type SlotList,
  type TokenRequest,
  type TokenResponse,
} from './partner-api.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** A token is renewed this long before EMIS says it expires. */
const TOKEN_RENEWAL_MARGIN_MS = 60_000;
const TOKEN_PATH = '/api/v1/auth/token';

export interface EmisClientOptions {
  /** Longest wait for one HTTP call, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

interface SignedIn {
  token: string;
  userInRoleId: string;
  expiresAt: number;
}

type Query = Record<string, string | number | undefined>;

/** The fields of an ErrorResponse the client reads (the body may be anything). */
interface ErrorFacts {
  httpStatus: number;
  legacyOutcome: number | null;
  issueCode: string | null;
  emisCode: string | null;
  messageId: string | null;
}

function errorFactsOf(httpStatus: number, body: unknown): ErrorFacts {
  const response = (typeof body === 'object' && body !== null ? body : {}) as Partial<ErrorResponse>;
  return {
    httpStatus,
    legacyOutcome: typeof response.legacyOutcome === 'number' ? response.legacyOutcome : null,
    issueCode: typeof response.issue?.code === 'string' ? response.issue.code : null,
    emisCode:
      typeof response.issue?.details?.coding?.code === 'string' ? response.issue.details.coding.code : null,
    messageId: typeof response.messageId === 'string' ? response.messageId : null,
  };
}

const NOT_FOUND_CODES: Record<string, EmisErrorCode> = {
  SLOT_NOT_FOUND: 'EMIS_ERR_SLOT_NOT_FOUND',
  SESSION_NOT_FOUND: 'EMIS_ERR_SESSION_NOT_FOUND',
  PATIENT_NOT_FOUND: 'EMIS_ERR_PATIENT_NOT_FOUND',
  APPOINTMENT_NOT_FOUND: 'EMIS_ERR_APPOINTMENT_NOT_FOUND',
};

/** Which EMIS_ERR_ code an error answer of `operation` means. */
function errorCodeOf(operation: string, facts: ErrorFacts): EmisErrorCode {
  const { httpStatus, legacyOutcome, issueCode, emisCode } = facts;
  if (httpStatus >= 500 || httpStatus === 429) return 'EMIS_ERR_SERVER';
  if (httpStatus === 401 || httpStatus === 403) {
    if (issueCode === 'security') return 'EMIS_ERR_APPLICATION_ID';
    if (operation === 'Token') {
      if (emisCode === 'ORGANISATION_UNKNOWN') return 'EMIS_ERR_ORGANISATION_ID';
      if (legacyOutcome === LegacyOutcome.UNSUCCESSFUL) return 'EMIS_ERR_API_PASSWORD';
      if (legacyOutcome === LegacyOutcome.PASSWORD_EXPIRED) return 'EMIS_ERR_PASSWORD_EXPIRED';
      return 'EMIS_ERR_NO_ACCESS';
    }
    return issueCode === 'forbidden' ? 'EMIS_ERR_NO_ACCESS' : 'EMIS_ERR_TOKEN_REJECTED';
  }
  if (issueCode === 'conflict') return 'EMIS_ERR_SLOT_NOT_AVAILABLE';
  if (emisCode === 'SLOT_TYPE_NOT_FOUND') return 'EMIS_ERR_SLOT_TYPE_NOT_FOUND';
  if (httpStatus === 404 && emisCode !== null && emisCode in NOT_FOUND_CODES)
    return NOT_FOUND_CODES[emisCode]!;
  return 'EMIS_ERR_BAD_REQUEST';
}

export class EmisClient {
  readonly #connection: EmisConnection;
  readonly #timeoutMs: number;
  #signedIn: SignedIn | null = null;
  #signingIn: Promise<SignedIn> | null = null;

  constructor(connection: EmisConnection, options: EmisClientOptions = {}) {
    this.#connection = connection;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Answers when the Partner API answers HTTP at all (whatever the status). */
  async ping(signal: AbortSignal): Promise<void> {
    await this.#fetch(
      'GetHealth',
      new URL('/', this.#connection.baseUrl),
      { method: 'GET', headers: {} },
      signal,
    );
  }

  /** Signs in now (ignoring a cached token); answers the partner user's DBID. */
  async signIn(signal: AbortSignal): Promise<{ userInRoleId: string }> {
    this.#signedIn = null;
    const { userInRoleId } = await this.#session(signal);
    return { userInRoleId };
  }

  /** The partner user's DBID, the `bookedBy` of BookAppointment. */
  async userInRoleId(signal: AbortSignal): Promise<string> {
    return (await this.#session(signal)).userInRoleId;
  }

  getAppointmentConfiguration(
    range: { startDate: string; endDate: string },
    signal: AbortSignal,
  ): Promise<AppointmentConfiguration> {
    return this.#call(
      'GetAppointmentConfiguration',
      'GET',
      '/api/v1/appointments/GetAppointmentConfiguration',
      range,
      signal,
    );
  }

  getAppointmentSessions(
    /** Without `slotType`, every session in the dates, each with its counts by slot type. */
    query: { slotType?: string; startDate: string; endDate: string },
    signal: AbortSignal,
  ): Promise<AppointmentSessionList> {
    return this.#call(
      'GetAppointmentSessions',
      'GET',
      '/api/v1/appointments/GetAppointmentSessions',
      query,
      signal,
    );
  }

  getSlotsForSession(appointmentSessionId: number, signal: AbortSignal): Promise<SlotList> {
    return this.#call(
      'GetSlotsForSession',
      'GET',
      '/api/v1/appointments/GetSlotsForSession',
      { appointmentSessionId },
      signal,
    );
  }

  bookAppointment(
    query: { slotId: number; patientNumber: number; reason: string; bookedBy: string; bookingNote?: string },
    signal: AbortSignal,
  ): Promise<BookedAppointment> {
    return this.#call('BookAppointment', 'GET', '/api/v1/appointments/BookAppointment', query, signal);
  }

  cancelAppointment(
    query: { slotId: number; patientNumber: number },
    signal: AbortSignal,
  ): Promise<BookedAppointment> {
    return this.#call('CancelAppointment', 'GET', '/api/v1/appointments/CancelAppointment', query, signal);
  }

  async setSlotType(
    query: { slotId: number; slotType: string; bookingNote?: string },
    signal: AbortSignal,
  ): Promise<void> {
    await this.#call('SetSlotType', 'PATCH', '/api/v1/appointments/SetSlotType', query, signal);
  }

  /** Replaces the slot's notes (an empty string clears them); answers the slot as it now is. */
  setSlotNotes(query: { slotId: number; slotNotes: string }, signal: AbortSignal): Promise<SessionSlotV2> {
    return this.#call('SetSlotNotes', 'PATCH', '/api/v1/appointments/SetSlotNotes', query, signal);
  }

  getOrganisation(signal: AbortSignal): Promise<OrganisationInformation> {
    return this.#call('GetOrganisation', 'GET', '/api/v1/organisation/GetOrganisation', {}, signal);
  }

  getMatchedPatients(matchedTerms: string, signal: AbortSignal): Promise<PatientMatches> {
    return this.#call(
      'GetMatchedPatients',
      'GET',
      '/api/v1/patientMatching/GetMatchedPatients',
      { matchedTerms },
      signal,
    );
  }

  // ---- internals ---------------------------------------------------------------------------

  /** A data call with the bearer token; one fresh sign-in and retry when the token is refused. */
  async #call<T>(
    operation: string,
    method: string,
    path: string,
    query: Query,
    signal: AbortSignal,
  ): Promise<T> {
    const url = new URL(path, this.#connection.baseUrl);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const attempt = async (): Promise<T> => {
      const { token } = await this.#session(signal);
      const headers = { applicationId: this.#connection.applicationId, authorization: `Bearer ${token}` };
      return this.#json<T>(operation, await this.#fetch(operation, url, { method, headers }, signal));
    };
    try {
      return await attempt();
    } catch (error) {
      if (!isEmisError(error, 'EMIS_ERR_TOKEN_REJECTED')) throw error;
      this.#signedIn = null;
      return attempt();
    }
  }

  /** The cached sign-in, or a new one (concurrent callers share one token call). */
  async #session(signal: AbortSignal): Promise<SignedIn> {
    if (this.#signedIn && this.#signedIn.expiresAt - TOKEN_RENEWAL_MARGIN_MS > Date.now())
      return this.#signedIn;
    this.#signingIn ??= this.#requestToken(signal).finally(() => {
      this.#signingIn = null;
    });
    this.#signedIn = await this.#signingIn;
    return this.#signedIn;
  }

  async #requestToken(signal: AbortSignal): Promise<SignedIn> {
    const { applicationId, cdbNumber, username, apiPassword } = this.#connection;
    const body: TokenRequest = { organisationId: cdbNumber, userName: username, password: apiPassword };
    const response = await this.#fetch(
      'Token',
      new URL(TOKEN_PATH, this.#connection.baseUrl),
      {
        method: 'POST',
        headers: { applicationId, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      signal,
    );
    const token = await this.#json<TokenResponse>('Token', response);
    if (typeof token?.access_token !== 'string' || typeof token.expires_in !== 'number') {
      throw emisError(
        'EMIS_ERR_UNEXPECTED_RESPONSE',
        'The EMIS token answer has no access_token or expires_in',
        {
          details: { operation: 'Token' },
        },
      );
    }
    return {
      token: token.access_token,
      userInRoleId: String(token.userInRoleId),
      expiresAt: Date.now() + token.expires_in * 1000,
    };
  }

  /** One exchange with the timeout and the caller's signal; network failures become EhrErrors. */
  #fetch(operation: string, url: URL, request: Outgoing, signal: AbortSignal): Promise<Answer> {
    return meterEhrCall(operation, () => this.#fetchOnce(operation, url, request, signal));
  }

  async #fetchOnce(operation: string, url: URL, request: Outgoing, signal: AbortSignal): Promise<Answer> {
    try {
      return await sendHttp(url, request, { signal, timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (!(error instanceof HttpCallError)) throw error;
      const details = { operation };
      if (error.reason === 'timeout') {
        throw emisError('EMIS_ERR_TIMEOUT', `EMIS did not answer ${operation} within ${this.#timeoutMs} ms`, {
          details: { ...details, timeoutMs: this.#timeoutMs },
          cause: error,
        });
      }
      if (error.reason === 'cancelled') {
        throw emisError('EMIS_ERR_CANCELLED', `${operation} was cancelled by the caller`, {
          details,
          cause: error,
        });
      }
      throw emisError('EMIS_ERR_UNREACHABLE', `Could not reach the EMIS Partner API for ${operation}`, {
        details: { ...details, networkCode: error.networkCode },
        cause: error.cause,
      });
    }
  }

  /** The JSON body of a 2xx answer (undefined for 204), or the EhrError an error answer means. */
  #json<T>(operation: string, response: Answer): T {
    const text = response.text;
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = null;
    }
    if (response.ok) {
      if (body === null || (body === undefined && response.status !== 204)) {
        throw emisError(
          'EMIS_ERR_UNEXPECTED_RESPONSE',
          `EMIS answered ${operation} with a body that is not JSON`,
          {
            details: { operation, httpStatus: response.status },
          },
        );
      }
      return body as T;
    }
    throw this.#errorOf(operation, errorFactsOf(response.status, body));
  }

  #errorOf(operation: string, facts: ErrorFacts): EhrError {
    const code = errorCodeOf(operation, facts);
    const what = facts.emisCode ?? facts.issueCode ?? 'no ErrorResponse';
    return emisError(code, `EMIS refused ${operation} (HTTP ${facts.httpStatus}, ${what})`, {
      details: { operation, ...facts },
    });
  }
}
