/**
 * A small client of HS1 Exact's online-booking cloud API (*modelled* wire) on core's `sendHttp`
 * (`node:http(s)`, one keep-alive agent per process). Every call names the practice by its slug
 * and carries the API key; every call has a timeout (and honours the caller's AbortSignal);
 * every failure becomes an `EhrError` with an `HS1_ERR_…` code — 502 and 504 (the practice's own
 * server offline or too slow) become the transient `HS1_ERR_PRACTICE_SERVER_OFFLINE`. It holds
 * no state and never logs or reports the API key or patient data.
 */
import {
  type EhrError,
  type HttpAnswer,
  HttpCallError,
  type HttpRequest,
  meterEhrCall,
  sendHttp,
} from '@slotbridge/core/plugin';
import type { Hs1ExactConnection } from './connection.ts';
import { type Hs1ErrorCode, hs1Error } from './errors.ts';
import {
  API_KEY_HEADER,
  type CloudPractice,
  type CreateAppointmentRequest,
  type CreatedAppointment,
  type OnlineBookingSetup,
  type Schedule,
} from './exact-api.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface Hs1ExactClientOptions {
  /** Longest wait for one HTTP call, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

/** The API's error code for each plugin code, where the code alone decides. */
const CODE_BY_API_CODE: Record<string, Hs1ErrorCode> = {
  API_KEY_MISSING: 'HS1_ERR_API_KEY',
  API_KEY_INVALID: 'HS1_ERR_API_KEY',
  PRACTICE_NOT_FOUND: 'HS1_ERR_SLUG',
  TIME_NOT_AVAILABLE: 'HS1_ERR_TIME_NOT_AVAILABLE',
  PROVIDER_NOT_FOUND: 'HS1_ERR_PROVIDER_NOT_FOUND',
  PROVIDER_NOT_ONLINE: 'HS1_ERR_PROVIDER_NOT_ONLINE',
  REASON_NOT_FOUND: 'HS1_ERR_REASON_NOT_FOUND',
  REASON_NOT_LINKED: 'HS1_ERR_REASON_NOT_LINKED',
  APPOINTMENT_CANCELLED: 'HS1_ERR_APPOINTMENT_CANCELLED',
  APPOINTMENT_NOT_FOUND: 'HS1_ERR_APPOINTMENT_NOT_FOUND',
};

/** Which HS1_ERR_ code an error answer means: 502/504 first, then the API's code, then the status. */
export function errorCodeOf(httpStatus: number, apiCode: string | null): Hs1ErrorCode {
  if (httpStatus === 502 || httpStatus === 504) return 'HS1_ERR_PRACTICE_SERVER_OFFLINE';
  if (apiCode !== null && apiCode in CODE_BY_API_CODE) return CODE_BY_API_CODE[apiCode]!;
  if (httpStatus >= 500 || httpStatus === 429) return 'HS1_ERR_SERVER';
  if (httpStatus === 401 || httpStatus === 403) return 'HS1_ERR_API_KEY';
  return 'HS1_ERR_BAD_REQUEST';
}

function apiCodeOf(body: unknown): string | null {
  const error = (body as { error?: { code?: unknown } } | null | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : null;
}

export class Hs1ExactClient {
  readonly #connection: Hs1ExactConnection;
  readonly #timeoutMs: number;

  constructor(connection: Hs1ExactConnection, options: Hs1ExactClientOptions = {}) {
    this.#connection = connection;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The practice as the cloud knows it (checks the slug and key; never reaches the practice server). */
  async getPractice(signal: AbortSignal): Promise<CloudPractice> {
    return (await this.#call<CloudPractice>('GetPractice', 'GET', '', signal)).body;
  }

  /** Web Setup and the Online Booking Configuration, from the practice server. */
  async getOnlineBookingSetup(signal: AbortSignal): Promise<OnlineBookingSetup> {
    return (
      await this.#call<OnlineBookingSetup>('GetOnlineBookingSetup', 'GET', '/online-booking/setup', signal)
    ).body;
  }

  /** Working hours, clinics and appointments of the local dates `from`..`to` (at most 31 days). */
  async getSchedule(range: { from: string; to: string }, signal: AbortSignal): Promise<Schedule> {
    const query = new URLSearchParams(range).toString();
    return (await this.#call<Schedule>('GetSchedule', 'GET', `/schedule?${query}`, signal)).body;
  }

  /** Inserts an appointment (Pending). `created` is false when `externalRef` had made it already. */
  async createAppointment(
    request: CreateAppointmentRequest,
    signal: AbortSignal,
  ): Promise<{ appointment: CreatedAppointment; created: boolean }> {
    const { status, body } = await this.#call<CreatedAppointment>(
      'CreateAppointment',
      'POST',
      '/appointments',
      signal,
      request,
    );
    return { appointment: body, created: status === 201 };
  }

  /** Pending → Confirmed. */
  async confirmAppointment(appointmentId: string, signal: AbortSignal): Promise<CreatedAppointment> {
    return (
      await this.#call<CreatedAppointment>(
        'ConfirmAppointment',
        'POST',
        `/appointments/${encodeURIComponent(appointmentId)}/confirm`,
        signal,
      )
    ).body;
  }

  // ---- internals ---------------------------------------------------------------------------

  async #call<T>(
    operation: string,
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const url = new URL(
      `/v1/practices/${encodeURIComponent(this.#connection.slug)}${path}`,
      this.#connection.baseUrl,
    );
    const headers: Record<string, string> = {
      [API_KEY_HEADER]: this.#connection.apiKey,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(
      operation,
      url,
      { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) },
      signal,
    );
    const text = response.text;
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!response.ok) throw this.#errorOf(operation, response.status, parsed);
    if (parsed === null || typeof parsed !== 'object') {
      throw hs1Error(
        'HS1_ERR_UNEXPECTED_RESPONSE',
        `HS1 answered ${operation} with a body that is not JSON`,
        {
          details: { operation, httpStatus: response.status },
        },
      );
    }
    return { status: response.status, body: parsed as T };
  }

  /** One exchange with the timeout and the caller's signal; network failures become EhrErrors. */
  #fetch(operation: string, url: URL, request: HttpRequest, signal: AbortSignal): Promise<HttpAnswer> {
    return meterEhrCall(operation, () => this.#fetchOnce(operation, url, request, signal));
  }

  async #fetchOnce(
    operation: string,
    url: URL,
    request: HttpRequest,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    try {
      return await sendHttp(url, request, { signal, timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (!(error instanceof HttpCallError)) throw error;
      const details = { operation };
      if (error.reason === 'timeout') {
        throw hs1Error('HS1_ERR_TIMEOUT', `HS1 did not answer ${operation} within ${this.#timeoutMs} ms`, {
          details: { ...details, timeoutMs: this.#timeoutMs },
          cause: error,
        });
      }
      if (error.reason === 'cancelled') {
        throw hs1Error('HS1_ERR_CANCELLED', `${operation} was cancelled by the caller`, {
          details,
          cause: error,
        });
      }
      throw hs1Error('HS1_ERR_UNREACHABLE', `Could not reach the HS1 online-booking API for ${operation}`, {
        details: { ...details, networkCode: error.networkCode },
        cause: error.cause,
      });
    }
  }

  #errorOf(operation: string, httpStatus: number, body: unknown): EhrError {
    const apiCode = apiCodeOf(body);
    const code = errorCodeOf(httpStatus, apiCode);
    const what = apiCode ?? 'no error body';
    const message =
      code === 'HS1_ERR_PRACTICE_SERVER_OFFLINE'
        ? `The practice's Exact server is offline: HS1 could not relay ${operation} (HTTP ${httpStatus}, ${what})`
        : `HS1 refused ${operation} (HTTP ${httpStatus}, ${what})`;
    return hs1Error(code, message, { details: { operation, httpStatus, apiCode } });
  }
}
