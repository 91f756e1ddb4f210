/**
 * The sandbox's GP Connect FHIR API: the interactions slotbridge uses, with the standard's rules
 * (Spine headers and ASIDs, the audit JWT, the free-slot search's 14-day limit and its required
 * parameters, 409 DUPLICATE_REJECTED for a slot no longer free, If-Match versions with a stale
 * one answering 409, only future appointments retrievable, cancel changing only status and
 * cancellation reason). Errors answer an OperationOutcome of the Spine error code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import {
  type Appointment,
  EXTENSION,
  etagOf,
  extensionOf,
  FHIR_JSON,
  INTERACTION,
  type Interaction,
  idOfReference,
  SCOPE_OF,
  SYSTEM,
  versionOfEtag,
} from '../fhir.ts';
import { fhirDateTime, parseFhirDateTime } from '../fhir-time.ts';
import { decodeAuditToken, TOKEN_LIFETIME_SECONDS } from '../jwt.ts';
import type { GpConnectDiary } from './diary.ts';
import {
  bundleOf,
  capabilityStatement,
  locationResource,
  organizationResource,
  patientResource,
  practitionerResource,
  providerFields,
  scheduleResource,
  slotResource,
} from './resources.ts';
import { SandboxError } from './sandbox-error.ts';

export interface ProviderSetup {
  /** The provider's ASID (Ssp-To must name it). */
  providerAsid: string;
  /** Consumer ASIDs the Spine lets call this provider (Ssp-From). */
  authorisedConsumerAsids: string[];
  /** The GP Connect version the capability statement names. */
  version: string;
  /** The capability statement leaves out Appointment create (booking not enabled). */
  capabilityWithoutBook: boolean;
  /** Every API call's connection is dropped, as an endpoint that is down. */
  offline: boolean;
}

export const DEFAULT_PROVIDER_SETUP: ProviderSetup = {
  providerAsid: '918999198738',
  authorisedConsumerAsids: ['200000000359'],
  version: '1.2.7',
  capabilityWithoutBook: false,
  offline: false,
};

/** Each route's operation (the call log, faults) and interaction. */
export const ROUTES: { method: string; pattern: RegExp; operation: string; interaction: Interaction }[] = [
  {
    method: 'GET',
    pattern: /^\/metadata$/,
    operation: 'ReadMetadata',
    interaction: INTERACTION.READ_METADATA,
  },
  {
    method: 'GET',
    pattern: /^\/Organization$/,
    operation: 'FindOrganisation',
    interaction: INTERACTION.SEARCH_ORGANIZATION,
  },
  {
    method: 'GET',
    pattern: /^\/Patient$/,
    operation: 'FindPatient',
    interaction: INTERACTION.SEARCH_PATIENT,
  },
  { method: 'GET', pattern: /^\/Slot$/, operation: 'SearchFreeSlots', interaction: INTERACTION.SEARCH_SLOT },
  {
    method: 'POST',
    pattern: /^\/Appointment$/,
    operation: 'BookAppointment',
    interaction: INTERACTION.CREATE_APPOINTMENT,
  },
  {
    method: 'GET',
    pattern: /^\/Appointment\/[^/]+$/,
    operation: 'ReadAppointment',
    interaction: INTERACTION.READ_APPOINTMENT,
  },
  {
    method: 'PUT',
    pattern: /^\/Appointment\/[^/]+$/,
    operation: 'UpdateAppointment',
    interaction: INTERACTION.UPDATE_APPOINTMENT,
  },
  {
    method: 'GET',
    pattern: /^\/Patient\/[^/]+\/Appointment$/,
    operation: 'RetrievePatientAppointments',
    interaction: INTERACTION.SEARCH_PATIENT_APPOINTMENTS,
  },
];

export function routeOf(request: FastifyRequest) {
  const path = request.url.split('?')[0] ?? '';
  return ROUTES.find((r) => r.method === request.method && r.pattern.test(path));
}

function send(reply: FastifyReply, status: number, body: unknown, versionId?: string): FastifyReply {
  reply.code(status).type(`${FHIR_JSON};charset=utf-8`).header('cache-control', 'no-store');
  if (versionId !== undefined) reply.header('etag', etagOf(versionId));
  return reply.send(JSON.stringify(body));
}

/** The Spine's and the provider's checks of a call: headers, ASIDs, the audit token. */
function checkCall(request: FastifyRequest, setup: ProviderSetup, diary: GpConnectDiary): void {
  const route = routeOf(request)!;
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : '';
  };
  for (const name of ['ssp-traceid', 'ssp-from', 'ssp-to', 'ssp-interactionid']) {
    if (header(name) === '') throw new SandboxError('BAD_REQUEST', `${name} header missing`);
  }
  // The cancel interaction is a PUT too.
  const interaction = header('ssp-interactionid');
  const allowed =
    route.interaction === INTERACTION.UPDATE_APPOINTMENT
      ? [INTERACTION.UPDATE_APPOINTMENT, INTERACTION.CANCEL_APPOINTMENT]
      : [route.interaction];
  if (!(allowed as string[]).includes(interaction))
    throw new SandboxError('BAD_REQUEST', 'Ssp-InteractionID does not match the request');
  if (!setup.authorisedConsumerAsids.includes(header('ssp-from')))
    throw new SandboxError('ACCESS_DENIED', 'Sender ASID is not authorised for this interaction');
  if (header('ssp-to') !== setup.providerAsid)
    throw new SandboxError('ACCESS_DENIED', 'Receiver ASID is not authorised for this interaction');
  const token = /^Bearer (.+)$/.exec(header('authorization'))?.[1];
  const decoded = token ? decodeAuditToken(token) : null;
  if (decoded?.header?.alg !== 'none')
    throw new SandboxError('BAD_REQUEST', 'JWT missing or not an unsigned JWT');
  const { claims } = decoded;
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp - claims.iat !== TOKEN_LIFETIME_SECONDS || claims.exp < now)
    throw new SandboxError('BAD_REQUEST', 'JWT expired, or exp is not iat + 300');
  if (claims.requested_scope !== SCOPE_OF[interaction as Interaction])
    throw new SandboxError('BAD_REQUEST', 'JWT requested_scope does not fit the interaction');
  if (claims.reason_for_request !== 'directcare')
    throw new SandboxError('BAD_REQUEST', 'JWT reason_for_request');
  const org = claims.requesting_organization as
    | { identifier?: { system?: string; value?: string }[] }
    | undefined;
  const device = claims.requesting_device as { resourceType?: string } | undefined;
  const practitioner = claims.requesting_practitioner as { id?: string } | undefined;
  if (!org?.identifier?.some((i) => i.system === SYSTEM.ODS_CODE && i.value))
    throw new SandboxError('BAD_REQUEST', 'JWT requesting_organization has no ODS code');
  if (device?.resourceType !== 'Device') throw new SandboxError('BAD_REQUEST', 'JWT requesting_device');
  if (!practitioner?.id || practitioner.id !== claims.sub)
    throw new SandboxError('BAD_REQUEST', 'JWT requesting_practitioner.id must be the sub claim');
  void diary;
}

/** The query's values of `name`, as a list. */
function values(request: FastifyRequest, name: string): string[] {
  const query = new URL(request.url, 'http://sandbox').searchParams;
  return query.getAll(name);
}

/** A search bound: `ge`/`le` then a date or a dateTime with an offset. */
function bound(text: string | undefined, prefix: 'ge' | 'le', zone: string, name: string): Date {
  if (!text?.startsWith(prefix))
    throw new SandboxError('INVALID_PARAMETER', `${name} needs the ${prefix} prefix`);
  const value = text.slice(2);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = DateTime.fromISO(value, { zone });
    if (!day.isValid) throw new SandboxError('INVALID_PARAMETER', `${name} is not a date`);
    return (prefix === 'ge' ? day : day.plus({ days: 1 })).toJSDate();
  }
  const instant = parseFhirDateTime(value);
  if (instant === null) throw new SandboxError('INVALID_PARAMETER', `${name} is not a date or dateTime`);
  return instant;
}

const MAX_SEARCH_DAYS = 14;

export function registerProviderRoutes(
  app: FastifyInstance,
  sandbox: { diary: GpConnectDiary; setup: ProviderSetup },
): void {
  const zone = () => sandbox.diary.timeZone;

  app.addHook('onRequest', async (request) => {
    if (routeOf(request)) checkCall(request, sandbox.setup, sandbox.diary);
  });

  app.get('/metadata', async (_request, reply) =>
    send(
      reply,
      200,
      capabilityStatement({
        version: sandbox.setup.version,
        withoutBook: sandbox.setup.capabilityWithoutBook,
      }),
    ),
  );

  app.get('/Organization', async (request, reply) => {
    const [identifier] = values(request, 'identifier');
    const [system, code] = (identifier ?? '').split('|');
    if (system !== SYSTEM.ODS_CODE || !code)
      throw new SandboxError('INVALID_IDENTIFIER_SYSTEM', 'identifier');
    const { diary } = sandbox;
    return send(
      reply,
      200,
      bundleOf(code === diary.organisation.odsCode ? [organizationResource(diary, 'listed')] : []),
    );
  });

  app.get('/Patient', async (request, reply) => {
    const [identifier] = values(request, 'identifier');
    const [system, nhsNumber] = (identifier ?? '').split('|');
    if (system !== SYSTEM.NHS_NUMBER)
      throw new SandboxError('INVALID_IDENTIFIER_SYSTEM', 'identifier system');
    if (!/^\d{10}$/.test(nhsNumber ?? '')) throw new SandboxError('INVALID_NHS_NUMBER', 'NHS number invalid');
    const { diary } = sandbox;
    return send(
      reply,
      200,
      bundleOf(diary.patientByNhsNumber(nhsNumber!).map((p) => patientResource(p, diary))),
    );
  });

  app.get('/Slot', async (request, reply) => {
    const { diary } = sandbox;
    const starts = values(request, 'start');
    const ends = values(request, 'end');
    if (starts.length !== 1 || ends.length !== 1)
      throw new SandboxError('BAD_REQUEST', 'start and end are each required once');
    const start = bound(starts[0], 'ge', zone(), 'start');
    const end = bound(ends[0], 'le', zone(), 'end');
    if (end <= start) throw new SandboxError('INVALID_PARAMETER', 'end is before start');
    if (end > DateTime.fromJSDate(start, { zone: zone() }).plus({ days: MAX_SEARCH_DAYS }).toJSDate())
      throw new SandboxError('INVALID_PARAMETER', 'the search covers more than two weeks');
    if (values(request, 'status').join() !== 'free')
      throw new SandboxError('BAD_REQUEST', 'status=free is required');
    const includes = values(request, '_include');
    const recurse = values(request, '_include:recurse');
    if (!includes.includes('Slot:schedule'))
      throw new SandboxError('BAD_REQUEST', '_include=Slot:schedule is required');
    const slots = diary.freeSlots(start, end);
    const scheduleIds = [...new Set(slots.map((s) => s.scheduleId))];
    const schedules = scheduleIds.map((id) => diary.schedules.get(id)!).filter(Boolean);
    const resources = [
      ...slots.map((s) => slotResource(s, zone())),
      ...schedules.map((s) => scheduleResource(s, diary, { start, end })),
      ...(recurse.includes('Schedule:actor:Practitioner')
        ? [...new Set(schedules.map((s) => s.practitionerId))].map((id) =>
            practitionerResource(diary.practitioners.get(id)!),
          )
        : []),
      ...(recurse.includes('Schedule:actor:Location')
        ? [...new Set(schedules.map((s) => s.locationId))].map((id) =>
            locationResource(diary.locations.get(id)!, diary),
          )
        : []),
      // The Organization is always returned when slots are (the spec's known issue).
      ...(slots.length > 0 ? [organizationResource(diary, 'single')] : []),
    ];
    return send(reply, 200, bundleOf(resources));
  });

  app.post('/Appointment', async (request, reply) => {
    const { diary } = sandbox;
    const body = request.body as Appointment;
    if (body?.resourceType !== 'Appointment')
      throw new SandboxError('INVALID_RESOURCE', 'not an Appointment');
    if ('reason' in body || 'specialty' in body)
      throw new SandboxError('INVALID_RESOURCE', 'reason and specialty must not be sent');
    if (body.status !== 'booked') throw new SandboxError('INVALID_RESOURCE', 'status must be booked');
    if ((body.description ?? '').length > 100 || (body.comment ?? '').length > 500)
      throw new SandboxError('INVALID_RESOURCE', 'description or comment too long');
    const org = body.contained?.find((r) => r.resourceType === 'Organization');
    const bookingOrg = extensionOf(body, EXTENSION.BOOKING_ORGANISATION)?.valueReference?.reference;
    if (!org || bookingOrg !== `#${org.id}` || !org.name || !org.telecom)
      throw new SandboxError(
        'INVALID_RESOURCE',
        'the booking organisation must be contained, with name and telecom',
      );
    const slotIds = (body.slot ?? []).map((s) => idOfReference(s.reference, 'Slot'));
    if (slotIds.length === 0 || slotIds.some((id) => id === null))
      throw new SandboxError('INVALID_RESOURCE', 'slot references missing');
    const patientId = body.participant
      ?.map((p) => idOfReference(p.actor?.reference, 'Patient'))
      .find((id) => id !== null);
    const locationId = body.participant
      ?.map((p) => idOfReference(p.actor?.reference, 'Location'))
      .find((id) => id !== null);
    if (!patientId || !diary.patients.has(patientId))
      throw new SandboxError('INVALID_RESOURCE', 'the patient participant is missing or unknown');
    if (!locationId || !diary.locations.has(locationId))
      throw new SandboxError('INVALID_RESOURCE', 'the location participant is missing or unknown');
    const slots = (slotIds as string[]).map((id) => {
      const slot = diary.slots.get(id);
      if (!slot) throw new SandboxError('INVALID_RESOURCE', `Slot/${id} does not exist`);
      return slot;
    });
    const start = parseFhirDateTime(body.start);
    const end = parseFhirDateTime(body.end);
    const first = slots[0]!;
    const last = slots.at(-1)!;
    if (!start || !end || start.getTime() !== first.start.getTime() || end.getTime() !== last.end.getTime())
      throw new SandboxError('INVALID_RESOURCE', 'start and end do not match the slots');
    if (start.getTime() <= Date.now())
      throw new SandboxError('INVALID_RESOURCE', 'the appointment is in the past');
    if (!parseFhirDateTime(body.created)) throw new SandboxError('INVALID_RESOURCE', 'created is required');
    const { id: _id, meta, ...rest } = body;
    const stored = diary.createAppointment(
      {
        ...rest,
        meta: { profile: meta?.profile ?? [] },
        ...providerFields(body, first, diary),
      } as Appointment,
      slotIds as string[],
      patientId,
    );
    reply.header('location', `Appointment/${stored.id}/_history/${stored.versionId}`);
    return send(reply, 201, stored.resource, stored.versionId);
  });

  app.get('/Appointment/:id', async (request, reply) => {
    const stored = sandbox.diary.appointments.get((request.params as { id: string }).id);
    if (!stored) throw new SandboxError('NO_RECORD_FOUND', 'no such appointment', 404);
    return send(reply, 200, stored.resource, stored.versionId);
  });

  app.put('/Appointment/:id', async (request, reply) => {
    const { diary } = sandbox;
    const id = (request.params as { id: string }).id;
    const stored = diary.appointments.get(id);
    if (!stored) throw new SandboxError('NO_RECORD_FOUND', 'no such appointment', 404);
    const ifMatch = versionOfEtag(request.headers['if-match'] as string | undefined);
    if (ifMatch === null) throw new SandboxError('BAD_REQUEST', 'If-Match is required');
    if (ifMatch !== stored.versionId)
      throw new SandboxError('FHIR_CONSTRAINT_VIOLATION', 'The If-Match version is not the current version');
    const body = request.body as Appointment;
    if (body?.resourceType !== 'Appointment' || body.id !== id)
      throw new SandboxError('INVALID_RESOURCE', 'the body is not this appointment');
    const cancelling = request.headers['ssp-interactionid'] === INTERACTION.CANCEL_APPOINTMENT;
    const current = stored.resource;
    if (current.status === 'cancelled')
      throw new SandboxError('INVALID_RESOURCE', 'the appointment is cancelled');
    if (current.start && (parseFhirDateTime(current.start)?.getTime() ?? 0) <= Date.now())
      throw new SandboxError('INVALID_RESOURCE', 'the appointment is in the past');
    // Only status + cancellation reason (cancel), or description + comment (amend), may change.
    const comparable = (a: Appointment, allowed: string[]) => {
      const copy: Record<string, unknown> = { ...a, meta: undefined };
      for (const key of allowed) delete copy[key];
      copy.extension = (a.extension ?? []).filter((e) => e.url !== EXTENSION.CANCELLATION_REASON);
      return JSON.stringify(copy, Object.keys(copy).sort());
    };
    const allowed = cancelling ? ['status'] : ['description', 'comment'];
    if (comparable(body, allowed) !== comparable(current, allowed))
      throw new SandboxError('INVALID_RESOURCE', 'only the allowed fields may change');
    if (cancelling) {
      const reason = extensionOf(body, EXTENSION.CANCELLATION_REASON)?.valueString;
      if (body.status !== 'cancelled' || !reason)
        throw new SandboxError('INVALID_RESOURCE', 'a cancellation needs status cancelled and a reason');
    } else if (body.status !== 'booked' || extensionOf(body, EXTENSION.CANCELLATION_REASON)) {
      throw new SandboxError('INVALID_RESOURCE', 'an amendment keeps the appointment booked');
    }
    const updated = diary.replaceAppointment(id, body);
    return send(reply, 200, updated.resource, updated.versionId);
  });

  app.get('/Patient/:id/Appointment', async (request, reply) => {
    const { diary } = sandbox;
    const patientId = (request.params as { id: string }).id;
    if (!diary.patients.has(patientId)) throw new SandboxError('PATIENT_NOT_FOUND', 'no such patient', 404);
    const starts = values(request, 'start');
    const ge = starts.find((s) => s.startsWith('ge'))?.slice(2);
    const le = starts.find((s) => s.startsWith('le'))?.slice(2);
    const date = /^\d{4}-\d{2}-\d{2}$/;
    if (starts.length !== 2 || !ge || !le || !date.test(ge) || !date.test(le))
      throw new SandboxError('INVALID_PARAMETER', 'two start parameters, ge and le, as dates');
    const today = DateTime.now().setZone(zone()).toISODate()!;
    if (ge < today) throw new SandboxError('INVALID_PARAMETER', 'the search range cannot be in the past');
    if (le < ge) throw new SandboxError('INVALID_PARAMETER', 'the end date is before the start date');
    const found = [...diary.appointments.values()].filter((a) => {
      if (a.patientId !== patientId) return false;
      const start = parseFhirDateTime(a.resource.start);
      const day = start ? DateTime.fromJSDate(start, { zone: zone() }).toISODate()! : '';
      return day >= ge && day <= le;
    });
    return send(reply, 200, bundleOf(found.map((a) => a.resource)));
  });
}

/** A reception booking's appointment: made in the practice system, with the practice as booking organisation. */
export function receptionAppointment(diary: GpConnectDiary, slotId: string, patientId: string): Appointment {
  const slot = diary.slot(slotId);
  const schedule = diary.schedules.get(slot.scheduleId)!;
  return {
    resourceType: 'Appointment',
    meta: { profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1'] },
    status: 'booked',
    description: 'Booked at reception',
    start: fhirDateTime(slot.start, diary.timeZone),
    end: fhirDateTime(slot.end, diary.timeZone),
    slot: [{ reference: `Slot/${slotId}` }],
    created: fhirDateTime(new Date(), diary.timeZone),
    participant: [
      { actor: { reference: `Patient/${patientId}` }, status: 'accepted' },
      { actor: { reference: `Location/${schedule.locationId}` }, status: 'accepted' },
      { actor: { reference: `Practitioner/${schedule.practitionerId}` }, status: 'accepted' },
    ],
    serviceType: [{ text: slot.serviceType }],
  };
}
