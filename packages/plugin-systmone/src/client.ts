/**
 * A client of the TPP SystmOne Client Integration API over TCP. One connection per request: the
 * request document and `<EOF>` are written, the reply is read up to its `<EOF>` (in however many
 * chunks it comes), checked against the request's RequestUID and Function, and the socket is
 * closed. A SystmOne that is closed or logged out accepts the connection and answers nothing, so
 * every read has a timeout (3 s by default, counted from the last byte received); a refused or
 * timed-out connection, a dropped one, a timeout and the caller's AbortSignal are all `transient`.
 * An `ErrorMessage` reply becomes an `EhrError` with a `SYSTMONE_ERR_…` code. Nothing logs or
 * reports the API key or patient data.
 *
 * Why no pooled connections: after a timeout a pooled socket is in an unknown state (SystmOne may
 * still answer the request that timed out), and the request rate is a handful per sync, so a TCP
 * handshake to the gateway per request costs nothing worth that risk.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { meterEhrCall } from '@slotbridge/core/plugin';
import {
  DEFAULT_PORT,
  decodeDocument,
  EofFramer,
  elementOf,
  elementsOf,
  encodeDocument,
  FUNCTION_VERSION,
  type FunctionName,
  type PatientSearchCriteria,
  REQUEST_ROOT,
  RESPONSE_ROOT,
  type RequestEnvelope,
  textOf,
  type WireAppointment,
  type WireAppointmentStatus,
  type XmlObject,
} from './client-integration-api.ts';
import { DEFAULT_DEVICE_VERSION, DEFAULT_READ_TIMEOUT_MS, type SystmOneConnection } from './connection.ts';
import { type SystmOneErrorCode, systmOneError } from './errors.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export interface SystmOneClientOptions {
  /** Longest wait for SystmOne to answer, from the request or the last byte received. Default: the connection's `readTimeoutMs`, else 3000. */
  readTimeoutMs?: number;
  /** Longest wait for the gateway to accept the TCP connection. Default 5000. */
  connectTimeoutMs?: number;
}

export interface SystmOneUser {
  userName: string;
  fullName: string;
  role: string;
}

export interface SystmOneSlotType {
  name: string;
  bookableByThirdParties: boolean;
}

export interface SystmOneOrganisation {
  name: string;
  odsCode: string;
  users: SystmOneUser[];
  sites: string[];
  slotTypes: SystmOneSlotType[];
}

export interface SystmOneSlot {
  slotType: string;
  /** yyyy-MM-ddTHH:mm:ss, practice-local wall-clock time. */
  dateTimeStart: string;
  durationMinutes: number;
}

export interface SystmOneClinic {
  userName: string;
  siteName: string;
  clinicType: string;
  slots: SystmOneSlot[];
}

export interface SystmOnePatient {
  nhsNumber: string | null;
  title: string;
  firstName: string;
  surname: string;
  /** yyyy-MM-dd */
  dateOfBirth: string;
}

export interface AppointmentBooking {
  nhsNumber: string;
  comments: string;
  clinic: { userName: string; siteName: string; clinicType: string };
  slot: SystmOneSlot;
}

/** Which code an ErrorMessage means, by the words SystmOne uses (*modelled* wording, see the README). */
const ERROR_MESSAGE_CODES: [RegExp, SystmOneErrorCode][] = [
  [/device ID/i, 'SYSTMONE_ERR_DEVICE_ID'],
  [/API key/i, 'SYSTMONE_ERR_API_KEY'],
  [/has not been approved/i, 'SYSTMONE_ERR_DEVICE_NOT_APPROVED'],
  [/is not supported/i, 'SYSTMONE_ERR_FUNCTION_UNSUPPORTED'],
  [/slot is not available/i, 'SYSTMONE_ERR_SLOT_NOT_AVAILABLE'],
  [/cannot be booked by third parties/i, 'SYSTMONE_ERR_SLOT_TYPE_NOT_BOOKABLE'],
  [/no patient with/i, 'SYSTMONE_ERR_PATIENT_NOT_FOUND'],
  [/appointment .* (not found|already cancelled)/i, 'SYSTMONE_ERR_APPOINTMENT_NOT_FOUND'],
  [/cannot be cancelled/i, 'SYSTMONE_ERR_APPOINTMENT_IN_PROGRESS'],
  [
    /not a valid ClientIntegrationRequest|invalid function parameters|at least two search criteria/i,
    'SYSTMONE_ERR_BAD_REQUEST',
  ],
  [/internal error|unavailable|busy/i, 'SYSTMONE_ERR_SYSTMONE_UNAVAILABLE'],
];

/** ErrorMessage text as kept in error details: anything shaped like an NHS number is blanked. */
function redacted(text: string): string {
  return text.replace(/\b\d{3}\s?\d{3}\s?\d{4}\b/g, '[NHS number]');
}

function required(value: string | undefined, what: string, fn: FunctionName): string {
  if (value === undefined) {
    throw systmOneError('SYSTMONE_ERR_UNEXPECTED_RESPONSE', `SystmOne's answer to ${fn} has no ${what}`, {
      details: { function: fn },
    });
  }
  return value;
}

function slotOf(slot: XmlObject, fn: FunctionName): SystmOneSlot {
  const duration = required(textOf(slot, 'Duration'), 'Slot/Duration', fn);
  if (!/^\d+$/.test(duration) || Number(duration) === 0) {
    throw systmOneError(
      'SYSTMONE_ERR_UNEXPECTED_RESPONSE',
      `SystmOne sent a slot Duration that is not minutes`,
      {
        details: { function: fn, duration },
      },
    );
  }
  return {
    slotType: required(textOf(slot, 'SlotType'), 'Slot/SlotType', fn),
    dateTimeStart: required(textOf(slot, 'DateTimeStart'), 'Slot/DateTimeStart', fn),
    durationMinutes: Number(duration),
  };
}

export class SystmOneClient {
  readonly #connection: SystmOneConnection;
  readonly #readTimeoutMs: number;
  readonly #connectTimeoutMs: number;

  constructor(connection: SystmOneConnection, options: SystmOneClientOptions = {}) {
    this.#connection = connection;
    this.#readTimeoutMs = options.readTimeoutMs ?? connection.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** `host:port` of the gateway. */
  get address(): string {
    return `${this.#connection.host}:${this.#connection.port ?? DEFAULT_PORT}`;
  }

  /** Answers when the gateway accepts a TCP connection (whether or not SystmOne would answer). */
  ping(signal: AbortSignal): Promise<void> {
    return this.#exchange('Connect', null, signal).then(() => undefined);
  }

  async getOrganisation(signal: AbortSignal): Promise<SystmOneOrganisation> {
    const fn = 'GetOrganisation';
    const response = await this.call(fn, {}, signal);
    const organisation = elementOf(response, 'Organisation');
    if (organisation === undefined) {
      throw systmOneError(
        'SYSTMONE_ERR_UNEXPECTED_RESPONSE',
        `SystmOne's answer to ${fn} has no Organisation`,
        {
          details: { function: fn },
        },
      );
    }
    return {
      name: textOf(organisation, 'OrganisationName') ?? '',
      odsCode: textOf(organisation, 'ODSCode') ?? '',
      users: elementsOf(organisation, 'User').map((user) => ({
        userName: required(textOf(user, 'UserName'), 'User/UserName', fn),
        fullName: textOf(user, 'FullName') ?? '',
        role: textOf(user, 'Role') ?? '',
      })),
      sites: elementsOf(organisation, 'Site').map((site) =>
        required(textOf(site, 'SiteName'), 'Site/SiteName', fn),
      ),
      slotTypes: elementsOf(organisation, 'SlotType').map((slotType) => ({
        name: required(textOf(slotType, 'Name'), 'SlotType/Name', fn),
        bookableByThirdParties: textOf(slotType, 'BookableByThirdParties') === 'true',
      })),
    };
  }

  /** The free, third-party-bookable slots starting between the two practice-local times (both included). */
  async getAppointmentSlots(
    range: { minDateTime: string; maxDateTime: string },
    signal: AbortSignal,
  ): Promise<SystmOneClinic[]> {
    const fn = 'GetAppointmentSlots';
    const response = await this.call(
      fn,
      { MinDateTime: range.minDateTime, MaxDateTime: range.maxDateTime },
      signal,
    );
    return elementsOf(response, 'Clinic').map((clinic) => ({
      userName: required(textOf(clinic, 'UserName'), 'Clinic/UserName', fn),
      siteName: required(textOf(clinic, 'SiteName'), 'Clinic/SiteName', fn),
      clinicType: required(textOf(clinic, 'ClinicType'), 'Clinic/ClinicType', fn),
      slots: elementsOf(clinic, 'Slot').map((slot) => slotOf(slot, fn)),
    }));
  }

  async patientSearch(criteria: PatientSearchCriteria, signal: AbortSignal): Promise<SystmOnePatient[]> {
    const fn = 'PatientSearch';
    const response = await this.call(fn, criteria, signal);
    return elementsOf(response, 'Patient').map((patient) => ({
      nhsNumber: textOf(patient, 'NHSNumber') || null,
      title: textOf(patient, 'Title') ?? '',
      firstName: textOf(patient, 'FirstName') ?? '',
      surname: textOf(patient, 'Surname') ?? '',
      dateOfBirth: required(textOf(patient, 'DateOfBirth'), 'Patient/DateOfBirth', fn),
    }));
  }

  /**
   * Books the patient into the slot (UpdatePatientRecord, NonClinical/Appointment); answers the
   * AppointmentUID. `requestUid` lets a retry of the same booking reuse its RequestUID.
   */
  async bookAppointment(
    booking: AppointmentBooking,
    signal: AbortSignal,
    requestUid?: string,
  ): Promise<string> {
    const fn = 'UpdatePatientRecord';
    const appointment: WireAppointment = {
      Comments: booking.comments,
      Clinic: {
        UserName: booking.clinic.userName,
        SiteName: booking.clinic.siteName,
        ClinicType: booking.clinic.clinicType,
        Slot: {
          SlotType: booking.slot.slotType,
          DateTimeStart: booking.slot.dateTimeStart,
          Duration: String(booking.slot.durationMinutes),
        },
      },
    };
    const response = await this.call(
      fn,
      { NHSNumber: booking.nhsNumber, NonClinical: { Appointment: appointment } },
      signal,
      requestUid,
    );
    return required(textOf(response, 'AppointmentUID'), 'AppointmentUID', fn);
  }

  /** Cancels the appointment: a status change naming its AppointmentUID (UpdatePatientRecord). */
  async cancelAppointment(
    input: { nhsNumber: string; appointmentUid: string; comments: string },
    signal: AbortSignal,
    requestUid?: string,
  ): Promise<void> {
    const status: WireAppointmentStatus = {
      AppointmentUID: input.appointmentUid,
      Status: 'Cancelled',
      Comments: input.comments,
    };
    await this.call(
      'UpdatePatientRecord',
      { NHSNumber: input.nhsNumber, NonClinical: { AppointmentStatus: status } },
      signal,
      requestUid,
    );
  }

  /** One request; answers the reply's `Response` element, or throws what its ErrorMessage means. */
  async call(
    fn: FunctionName,
    parameters: object,
    signal: AbortSignal,
    requestUid: string = randomUUID(),
  ): Promise<XmlObject> {
    const envelope: RequestEnvelope = {
      RequestUID: requestUid,
      APIKey: this.#connection.apiKey,
      DeviceID: this.#connection.deviceId,
      DeviceVersion: this.#connection.deviceVersion ?? DEFAULT_DEVICE_VERSION,
      Function: fn,
      FunctionVersion: FUNCTION_VERSION,
      FunctionParameters: parameters as XmlObject,
    };
    const text = await this.#exchange(fn, encodeDocument(REQUEST_ROOT, envelope), signal);
    const unexpected = (why: string) =>
      systmOneError('SYSTMONE_ERR_UNEXPECTED_RESPONSE', `SystmOne's answer to ${fn} ${why}`, {
        details: { function: fn },
      });
    const decoded = decodeDocument(text);
    if ('invalid' in decoded) throw unexpected('is not well-formed XML');
    if (decoded.root !== RESPONSE_ROOT) throw unexpected(`is a <${decoded.root}>, not a <${RESPONSE_ROOT}>`);
    if (textOf(decoded.body, 'RequestUID') !== requestUid) throw unexpected('carries another RequestUID');
    if (textOf(decoded.body, 'Function') !== fn) throw unexpected('names another Function');
    const errorMessage = textOf(decoded.body, 'ErrorMessage');
    if (errorMessage !== undefined) throw this.#errorOf(fn, errorMessage);
    const response = elementOf(decoded.body, 'Response');
    if (response === undefined) throw unexpected('has neither Response nor ErrorMessage');
    return response;
  }

  #errorOf(fn: FunctionName, errorMessage: string) {
    const code =
      ERROR_MESSAGE_CODES.find(([words]) => words.test(errorMessage))?.[1] ?? 'SYSTMONE_ERR_REFUSED';
    const details: Record<string, unknown> = { function: fn, errorMessage: redacted(errorMessage) };
    const approver = /has not been approved by (.+?)\.?$/i.exec(errorMessage)?.[1];
    if (code === 'SYSTMONE_ERR_DEVICE_NOT_APPROVED' && approver) details.userName = approver;
    return systmOneError(code, `SystmOne refused ${fn}: ${redacted(errorMessage)}`, { details });
  }

  /**
   * Connects, writes `request` and reads one document up to `<EOF>`; with no request, only
   * connects (a reachability probe, `fn` = `Connect`). Every way this can fail is an EhrError.
   */
  #exchange(fn: string, request: Buffer | null, signal: AbortSignal): Promise<string> {
    return meterEhrCall(fn, () => this.#exchangeOnce(fn, request, signal));
  }

  #exchangeOnce(fn: string, request: Buffer | null, signal: AbortSignal): Promise<string> {
    const host = this.#connection.host;
    const port = this.#connection.port ?? DEFAULT_PORT;
    const gateway = this.address;
    const cancelled = () =>
      systmOneError('SYSTMONE_ERR_CANCELLED', `${fn} was cancelled by the caller`, {
        details: { function: fn },
      });
    if (signal.aborted) return Promise.reject(cancelled());
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      let connected = false;
      const socket = connect({ host, port });
      const framer = new EofFramer();
      const unreachable = (networkCode: string | null, cause?: unknown) =>
        systmOneError(
          'SYSTMONE_ERR_GATEWAY_UNREACHABLE',
          `Could not connect to the SystmOne gateway for ${fn}`,
          {
            details: { function: fn, gateway, networkCode },
            cause,
          },
        );
      const dropped = (cause?: unknown) =>
        systmOneError(
          'SYSTMONE_ERR_CONNECTION_DROPPED',
          `The connection to the SystmOne gateway closed before ${fn} was answered`,
          { details: { function: fn, gateway }, cause },
        );
      const connectTimer = setTimeout(
        () => settle({ error: unreachable('ETIMEDOUT') }),
        this.#connectTimeoutMs,
      );
      const onAbort = () => settle({ error: cancelled() });
      signal.addEventListener('abort', onAbort, { once: true });
      function settle(outcome: { text: string } | { error: Error }): void {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        if ('text' in outcome) resolve(outcome.text);
        else reject(outcome.error);
      }

      socket.once('connect', () => {
        connected = true;
        clearTimeout(connectTimer);
        if (request === null) return settle({ text: '' });
        socket.setTimeout(this.#readTimeoutMs);
        socket.write(request);
      });
      socket.on('timeout', () =>
        settle({
          error: systmOneError(
            'SYSTMONE_ERR_NO_ANSWER',
            `SystmOne did not answer ${fn} within ${this.#readTimeoutMs} ms`,
            { details: { function: fn, timeoutMs: this.#readTimeoutMs } },
          ),
        }),
      );
      socket.on('data', (chunk: Buffer) => {
        try {
          const [document] = framer.push(chunk);
          if (document !== undefined) settle({ text: document });
        } catch (error) {
          settle({
            error: systmOneError(
              'SYSTMONE_ERR_UNEXPECTED_RESPONSE',
              `SystmOne's answer to ${fn} is too large`,
              {
                details: { function: fn },
                cause: error,
              },
            ),
          });
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) =>
        settle({ error: connected ? dropped(error) : unreachable(error.code ?? null, error) }),
      );
      socket.on('close', () => settle({ error: connected ? dropped() : unreachable(null) }));
    });
  }
}
