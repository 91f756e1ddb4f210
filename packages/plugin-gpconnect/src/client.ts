/**
 * A small GP Connect 1.2.7 consumer on core's `sendHttp`. Every call carries the Spine headers
 * (Ssp-TraceID, Ssp-From = consumer ASID, Ssp-To = provider ASID, Ssp-InteractionID of the
 * interaction) and the unsigned audit JWT; goes through the Spine Secure Proxy when one is set
 * (`<proxy>/<provider base>/…`); presents the partner's client certificate over https (mutual
 * TLS); is bounded by a timeout and the caller's signal; and is metered (`meterEhrCall`). Every
 * failure becomes an `EhrError` with a `GPCONNECT_ERR_…` code from the OperationOutcome's Spine
 * error code and the HTTP status. It never logs or reports credentials or patient data.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { type HttpAnswer, HttpCallError, meterEhrCall, sendHttp } from '@slotbridge/core/plugin';
import {
  DEFAULT_CONSUMER_ORGANISATION_TYPE,
  DEFAULT_TIMEOUT_MS,
  type GpConnectConnection,
} from './connection.ts';
import { type GpConnectErrorCode, gpConnectError, SPINE_ERROR_CODES } from './errors.ts';
import {
  type Appointment,
  type Bundle,
  type CapabilityStatement,
  etagOf,
  FHIR_JSON,
  INTERACTION,
  type Interaction,
  type Organization,
  type Patient,
  SYSTEM,
  versionOfEtag,
} from './fhir.ts';
import { fhirDateTime } from './fhir-time.ts';
import { auditToken } from './jwt.ts';

export interface GpConnectClientOptions {
  /** Longest wait for one call, in milliseconds (default: the connection's, else 20 000). */
  timeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A resource with the version its ETag named (or its meta.versionId). */
export interface Versioned<R> {
  resource: R;
  versionId: string | null;
}

const TLS_CODES = /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO$|ERR_OSSL)/;

/** Agents by TLS identity, kept for the process: one handshake per partner certificate, not per call. */
const agents = new Map<string, http.Agent>();

function agentFor(url: URL, connection: GpConnectConnection): http.Agent {
  if (url.protocol !== 'https:') {
    let agent = agents.get('http');
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, timeout: 4_000 });
      agents.set('http', agent);
    }
    return agent;
  }
  const identity = createHash('sha256')
    .update(
      `${connection.clientCertificatePem ?? ''}\n${connection.clientKeyPem ?? ''}\n${connection.caCertificatePem ?? ''}`,
    )
    .digest('hex');
  let agent = agents.get(identity);
  if (!agent) {
    agent = new https.Agent({
      keepAlive: true,
      timeout: 4_000,
      minVersion: 'TLSv1.2',
      ...(connection.clientCertificatePem ? { cert: connection.clientCertificatePem } : {}),
      ...(connection.clientKeyPem ? { key: connection.clientKeyPem } : {}),
      ...(connection.caCertificatePem ? { ca: connection.caCertificatePem } : {}),
    });
    agents.set(identity, agent);
  }
  return agent;
}

/** Our code for a failed exchange: TLS, a connection dropped mid-answer, else unreachable. */
function transportErrorOf(error: HttpCallError): GpConnectErrorCode {
  if (error.reason === 'timeout') return 'GPCONNECT_ERR_TIMEOUT';
  if (error.reason === 'cancelled') return 'GPCONNECT_ERR_CANCELLED';
  const code = error.networkCode;
  if (code !== null && TLS_CODES.test(code)) return 'GPCONNECT_ERR_TLS';
  return error.midAnswer || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE'
    ? 'GPCONNECT_ERR_CONNECTION_DROPPED'
    : 'GPCONNECT_ERR_UNREACHABLE';
}

/** The Spine error code of an OperationOutcome body, or null. */
export function spineCodeOf(body: unknown): string | null {
  const outcome = body as {
    resourceType?: unknown;
    issue?: { details?: { coding?: { code?: unknown }[] } }[];
  };
  if (outcome?.resourceType !== 'OperationOutcome' || !Array.isArray(outcome.issue)) return null;
  for (const issue of outcome.issue) {
    for (const coding of issue.details?.coding ?? []) if (typeof coding.code === 'string') return coding.code;
  }
  return null;
}

/** Which GPCONNECT_ERR_ code an error answer of `interaction` means. */
export function errorCodeOf(
  interaction: Interaction,
  status: number,
  spineCode: string | null,
): GpConnectErrorCode {
  const updating =
    interaction === INTERACTION.UPDATE_APPOINTMENT || interaction === INTERACTION.CANCEL_APPOINTMENT;
  if (status === 501 || spineCode === 'NOT_IMPLEMENTED') return 'GPCONNECT_ERR_NOT_IMPLEMENTED';
  if (status >= 500 || status === 429) return 'GPCONNECT_ERR_PROVIDER_UNAVAILABLE';
  // A stale If-Match: 409 (the spec; FHIR_CONSTRAINT_VIOLATION in the provider tests) or 412.
  if (updating && (status === 409 || status === 412)) return 'GPCONNECT_ERR_VERSION_CONFLICT';
  if (status === 401 || status === 403) {
    return spineCode === 'NO_ORGANISATION_CONSENT'
      ? 'GPCONNECT_ERR_ORGANISATION_CONSENT'
      : 'GPCONNECT_ERR_ACCESS_DENIED';
  }
  if (interaction === INTERACTION.CREATE_APPOINTMENT && status === 409) return 'GPCONNECT_ERR_SLOT_TAKEN';
  if (spineCode !== null && spineCode in SPINE_ERROR_CODES) return SPINE_ERROR_CODES[spineCode]!;
  if (status === 404) return 'GPCONNECT_ERR_NOT_FOUND';
  if (status === 400) return 'GPCONNECT_ERR_BAD_REQUEST';
  return 'GPCONNECT_ERR_REFUSED';
}

const OPERATION_OF: Record<Interaction, string> = {
  [INTERACTION.READ_METADATA]: 'ReadMetadata',
  [INTERACTION.SEARCH_ORGANIZATION]: 'FindOrganisation',
  [INTERACTION.SEARCH_PATIENT]: 'FindPatient',
  [INTERACTION.SEARCH_SLOT]: 'SearchFreeSlots',
  [INTERACTION.CREATE_APPOINTMENT]: 'BookAppointment',
  [INTERACTION.READ_APPOINTMENT]: 'ReadAppointment',
  [INTERACTION.UPDATE_APPOINTMENT]: 'AmendAppointment',
  [INTERACTION.CANCEL_APPOINTMENT]: 'CancelAppointment',
  [INTERACTION.SEARCH_PATIENT_APPOINTMENTS]: 'RetrievePatientAppointments',
};

function entriesOf<R>(bundle: Bundle, resourceType: string): R[] {
  return (bundle.entry ?? [])
    .map((e) => e?.resource)
    .filter((r): r is NonNullable<typeof r> => r?.resourceType === resourceType) as R[];
}

export class GpConnectClient {
  readonly #connection: GpConnectConnection;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(connection: GpConnectConnection, options: GpConnectClientOptions = {}) {
    this.#connection = connection;
    this.#timeoutMs = options.timeoutMs ?? connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The provider's FHIR base as called: through the proxy when one is set. */
  get base(): string {
    const provider = this.#connection.baseUrl.trim().replace(/\/+$/, '');
    const proxy = this.#connection.sspUrl?.trim().replace(/\/+$/, '');
    return proxy ? `${proxy}/${provider}` : provider;
  }

  /** The URL of `path` (`/Slot?…`) under the base. */
  urlOf(path: string): URL {
    return new URL(`${this.base}${path}`);
  }

  /** The headers every call carries (exported for tests). */
  headersFor(interaction: Interaction): Record<string, string> {
    const c = this.#connection;
    return {
      accept: FHIR_JSON,
      authorization: `Bearer ${auditToken(c, interaction, this.#now())}`,
      'ssp-traceid': randomUUID(),
      'ssp-from': c.consumerAsid.trim(),
      'ssp-to': c.providerAsid.trim(),
      'ssp-interactionid': interaction,
    };
  }

  async #call<T>(
    interaction: Interaction,
    method: string,
    path: string,
    signal: AbortSignal,
    extra: { body?: unknown; ifMatch?: string; expect?: string } = {},
  ): Promise<{ body: T; etag: string | null }> {
    const url = this.urlOf(path);
    const headers = this.headersFor(interaction);
    if (extra.body !== undefined) headers['content-type'] = `${FHIR_JSON};charset=utf-8`;
    if (extra.ifMatch !== undefined) headers['if-match'] = extra.ifMatch;
    const agent = agentFor(url, this.#connection);
    let answer: HttpAnswer;
    try {
      answer = await meterEhrCall(OPERATION_OF[interaction], () =>
        sendHttp(
          url,
          { method, headers, ...(extra.body === undefined ? {} : { body: JSON.stringify(extra.body) }) },
          { signal, timeoutMs: this.#timeoutMs, agent },
        ),
      );
    } catch (error) {
      if (error instanceof HttpCallError) {
        throw gpConnectError(transportErrorOf(error), {
          details: { interaction, ...(error.networkCode ? { networkCode: error.networkCode } : {}) },
          cause: error.cause,
        });
      }
      throw error;
    }
    let body: unknown = null;
    try {
      body = answer.text === '' ? null : JSON.parse(answer.text);
    } catch {
      body = null;
    }
    if (answer.status < 200 || answer.status >= 300) {
      const spineCode = spineCodeOf(body);
      throw gpConnectError(errorCodeOf(interaction, answer.status, spineCode), {
        details: { interaction, httpStatus: answer.status, ...(spineCode ? { spineCode } : {}) },
      });
    }
    const resourceType = (body as { resourceType?: unknown } | null)?.resourceType;
    if (extra.expect !== undefined && resourceType !== extra.expect) {
      throw gpConnectError('GPCONNECT_ERR_UNEXPECTED_RESPONSE', {
        details: { interaction, httpStatus: answer.status, expected: extra.expect },
      });
    }
    const etag = answer.headers.etag;
    return { body: body as T, etag: typeof etag === 'string' ? etag : null };
  }

  async capabilityStatement(signal: AbortSignal): Promise<CapabilityStatement> {
    return (
      await this.#call<CapabilityStatement>(INTERACTION.READ_METADATA, 'GET', '/metadata', signal, {
        expect: 'CapabilityStatement',
      })
    ).body;
  }

  async findOrganisations(odsCode: string, signal: AbortSignal): Promise<Organization[]> {
    const query = new URLSearchParams({ identifier: `${SYSTEM.ODS_CODE}|${odsCode}` });
    const { body } = await this.#call<Bundle>(
      INTERACTION.SEARCH_ORGANIZATION,
      'GET',
      `/Organization?${query}`,
      signal,
      {
        expect: 'Bundle',
      },
    );
    return entriesOf<Organization>(body, 'Organization');
  }

  async findPatients(nhsNumber: string, signal: AbortSignal): Promise<Patient[]> {
    const query = new URLSearchParams({ identifier: `${SYSTEM.NHS_NUMBER}|${nhsNumber}` });
    const { body } = await this.#call<Bundle>(
      INTERACTION.SEARCH_PATIENT,
      'GET',
      `/Patient?${query}`,
      signal,
      {
        expect: 'Bundle',
      },
    );
    return entriesOf<Patient>(body, 'Patient');
  }

  /** The query of a free-slot search between two instants, written in the practice's local time. */
  slotSearchQuery(range: { start: Date; end: Date }, timeZone: string): URLSearchParams {
    const c = this.#connection;
    const query = new URLSearchParams();
    query.append('start', `ge${fhirDateTime(range.start, timeZone)}`);
    query.append('end', `le${fhirDateTime(range.end, timeZone)}`);
    query.append('status', 'free');
    query.append('_include', 'Slot:schedule');
    query.append('_include:recurse', 'Schedule:actor:Practitioner');
    query.append('_include:recurse', 'Schedule:actor:Location');
    query.append('_include:recurse', 'Location:managingOrganization');
    query.append(
      'searchFilter',
      `${SYSTEM.ORGANISATION_TYPE}|${c.consumerOrganisationType?.trim() || DEFAULT_CONSUMER_ORGANISATION_TYPE}`,
    );
    query.append('searchFilter', `${SYSTEM.ODS_CODE}|${c.consumerOdsCode.trim()}`);
    return query;
  }

  /** The searchset bundle of free slots (with their schedules, practitioners, locations, organisation). */
  async searchFreeSlots(
    range: { start: Date; end: Date },
    timeZone: string,
    signal: AbortSignal,
  ): Promise<Bundle> {
    const { body } = await this.#call<Bundle>(
      INTERACTION.SEARCH_SLOT,
      'GET',
      `/Slot?${this.slotSearchQuery(range, timeZone)}`,
      signal,
      { expect: 'Bundle' },
    );
    return body;
  }

  async bookAppointment(appointment: Appointment, signal: AbortSignal): Promise<Versioned<Appointment>> {
    const { body, etag } = await this.#call<Appointment>(
      INTERACTION.CREATE_APPOINTMENT,
      'POST',
      '/Appointment',
      signal,
      {
        body: appointment,
        expect: 'Appointment',
      },
    );
    return { resource: body, versionId: versionOfEtag(etag) ?? body.meta?.versionId ?? null };
  }

  async readAppointment(id: string, signal: AbortSignal): Promise<Versioned<Appointment>> {
    const { body, etag } = await this.#call<Appointment>(
      INTERACTION.READ_APPOINTMENT,
      'GET',
      `/Appointment/${encodeURIComponent(id)}`,
      signal,
      { expect: 'Appointment' },
    );
    return { resource: body, versionId: versionOfEtag(etag) ?? body.meta?.versionId ?? null };
  }

  /**
   * Amend (`update`) or cancel (`cancel`, status cancelled) an appointment: PUT with If-Match of
   * the version read. A stale version answers GPCONNECT_ERR_VERSION_CONFLICT.
   */
  async updateAppointment(
    appointment: Appointment,
    versionId: string,
    kind: 'amend' | 'cancel',
    signal: AbortSignal,
  ): Promise<Versioned<Appointment>> {
    const interaction = kind === 'cancel' ? INTERACTION.CANCEL_APPOINTMENT : INTERACTION.UPDATE_APPOINTMENT;
    const { body, etag } = await this.#call<Appointment>(
      interaction,
      'PUT',
      `/Appointment/${encodeURIComponent(appointment.id ?? '')}`,
      signal,
      { body: appointment, ifMatch: etagOf(versionId), expect: 'Appointment' },
    );
    return { resource: body, versionId: versionOfEtag(etag) ?? body.meta?.versionId ?? null };
  }

  /** A patient's appointments starting on the local dates [fromDate, toDate] (yyyy-mm-dd). */
  async patientAppointments(
    patientId: string,
    range: { fromDate: string; toDate: string },
    signal: AbortSignal,
  ): Promise<Appointment[]> {
    const query = new URLSearchParams();
    query.append('start', `ge${range.fromDate}`);
    query.append('start', `le${range.toDate}`);
    const { body } = await this.#call<Bundle>(
      INTERACTION.SEARCH_PATIENT_APPOINTMENTS,
      'GET',
      `/Patient/${encodeURIComponent(patientId)}/Appointment?${query}`,
      signal,
      { expect: 'Bundle' },
    );
    return entriesOf<Appointment>(body, 'Appointment');
  }
}
