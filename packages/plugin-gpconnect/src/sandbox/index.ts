/**
 * `@slotbridge/plugin-gpconnect/sandbox`: a stand-in GP Connect 1.2.7 provider for tests and the
 * demo, over real HTTP on 127.0.0.1 (plain http: no TLS, no Spine Secure Proxy), with in-memory
 * state, the set-up flags the plugin's checks look for, a reception control surface under
 * `/_sandbox/…`, and fault injection.
 *
 *   const sandbox = await createGpConnectSandbox({ demo: { days: 28 } });
 *   await sandbox.listen();
 *   const connection = sandbox.connection();
 */
import {
  answerSandboxErrors,
  createSandboxHttp,
  DateQuery,
  DemoBody,
  HttpFaultInjector,
  installFaultPlayback,
  type LoggedHttpCall,
  noContent,
  registerCallLogRoutes,
  registerHttpFaultRoutes,
} from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { Type } from 'typebox';
import type { GpConnectConnection } from '../connection.ts';
import { FHIR_JSON } from '../fhir.ts';
import { fhirDateTime } from '../fhir-time.ts';
import { DEMO_PATIENTS, DEMO_SERVICE, type DemoDiaryOptions, seedDemoDiary } from './demo-diary.ts';
import { GpConnectDiary, type SandboxSlot } from './diary.ts';
import {
  DEFAULT_PROVIDER_SETUP,
  type ProviderSetup,
  receptionAppointment,
  registerProviderRoutes,
  routeOf,
} from './provider-routes.ts';
import { FAULT_STATUSES, type FaultStatus, SandboxError } from './sandbox-error.ts';

export { startDemoSandbox } from './demo.ts';
export {
  DEMO_PATIENTS,
  DEMO_SERVICE,
  DEMO_SLOT_TYPE,
  type DemoDiaryOptions,
  seedDemoDiary,
  UNKNOWN_NHS_NUMBER,
} from './demo-diary.ts';
export * from './diary.ts';
export { DEFAULT_PROVIDER_SETUP, type ProviderSetup, ROUTES } from './provider-routes.ts';
export * from './resources.ts';
export { FAULT_STATUSES, SandboxError } from './sandbox-error.ts';

export const SANDBOX_CONSUMER = {
  consumerAsid: '200000000359',
  consumerOdsCode: 'X26',
  consumerOrganisationName: 'Slotbridge Online Booking',
  consumerOrganisationPhone: '0300 123 4567',
} as const;

export interface GpConnectSandboxOptions {
  timeZone?: string;
  setup?: Partial<ProviderSetup>;
  demo?: DemoDiaryOptions;
  logger?: boolean;
}

export interface GpConnectSandbox {
  app: FastifyInstance;
  readonly url: string;
  readonly timeZone: string;
  diary: GpConnectDiary;
  setup: ProviderSetup;
  faults: HttpFaultInjector<FaultStatus>;
  calls: LoggedHttpCall[];
  listen(): Promise<string>;
  close(): Promise<void>;
  /** The settings a practice would type to reach this sandbox. Needs `listen()` first. */
  connection(): GpConnectConnection;
  seedDemoDiary(options?: DemoDiaryOptions): void;
  /** Reception: books a patient (default: a demo patient) into a free slot; answers the appointment id. */
  receptionBook(slotId: string, nhsNumber?: string): string;
  /** Reception: cancels the live appointment(s) in the slot. */
  receptionCancel(slotId: string, reason?: string): void;
  /** Reception: blocks (or unblocks) a slot. */
  block(slotId: string, blocked?: boolean): void;
  /** Puts a free slot at a local date and time. */
  placeSlot(input: { date: string; time: string; minutes: number; slotTypeId?: string }): SandboxSlot;
  /** The local day's slots as reception sees them. */
  day(date: string): {
    id: string;
    start: string;
    end: string;
    serviceType: string;
    deliveryChannel: string;
    status: string;
    appointmentIds: string[];
  }[];
}

const SlotBody = Type.Object(
  { slotId: Type.String(), nhsNumber: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const BlockBody = Type.Object(
  { slotId: Type.String(), blocked: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const SetupPatch = Type.Object(
  {
    providerAsid: Type.Optional(Type.String()),
    authorisedConsumerAsids: Type.Optional(Type.Array(Type.String())),
    version: Type.Optional(Type.String()),
    capabilityWithoutBook: Type.Optional(Type.Boolean()),
    offline: Type.Optional(Type.Boolean()),
    odsCode: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const PlaceBody = Type.Object(
  {
    date: Type.String(),
    time: Type.String(),
    minutes: Type.Integer({ minimum: 1 }),
    slotTypeId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The demo service of a plugin slot-type id, e.g. `telephone-consultation~telephone`. */
function serviceOf(slotTypeId: string | undefined) {
  const all = Object.values(DEMO_SERVICE);
  const slug = (s: { serviceType: string; deliveryChannel: string }) =>
    `${s.serviceType}~${s.deliveryChannel}`.toLowerCase().replace(/[^a-z0-9~]+/g, '-');
  return all.find((s) => slug(s) === slotTypeId) ?? DEMO_SERVICE.GP;
}

export async function createGpConnectSandbox(
  options: GpConnectSandboxOptions = {},
): Promise<GpConnectSandbox> {
  const timeZone = options.timeZone ?? 'Europe/London';
  const http = await createSandboxHttp({ name: 'GP Connect sandbox', logger: options.logger ?? false });
  const { app } = http;
  const diary = new GpConnectDiary(timeZone);
  const setup: ProviderSetup = { ...DEFAULT_PROVIDER_SETUP, ...options.setup };
  const faults = new HttpFaultInjector<FaultStatus>({
    statuses: FAULT_STATUSES,
    invalid: (message) => new SandboxError('INVALID_PARAMETER', message),
  });
  const calls: LoggedHttpCall[] = [];

  app.addContentTypeParser(FHIR_JSON, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new SandboxError('BAD_REQUEST', 'the body is not JSON'), undefined);
    }
  });
  // An endpoint that is down: every API call's connection is dropped.
  app.addHook('onRequest', async (request, reply) => {
    if (setup.offline && routeOf(request)) {
      reply.hijack();
      request.raw.socket?.destroy();
    }
  });
  installFaultPlayback(app, {
    operationOf: (request) => routeOf(request)?.operation,
    faults,
    calls,
    errorOf: (status) => new SandboxError('INTERNAL_SERVER_ERROR', 'injected fault', status),
    closing: http.closing,
  });
  answerSandboxErrors<SandboxError>(app, {
    isSandboxError: (error): error is SandboxError => error instanceof SandboxError,
    refused: (status, message) =>
      new SandboxError(status === 415 ? 'BAD_REQUEST' : 'BAD_REQUEST', message, status),
    internal: (error) => new SandboxError('INTERNAL_SERVER_ERROR', error.message),
    notFound: (method, path) => new SandboxError('NOT_IMPLEMENTED', `${method} ${path} is not implemented`),
    send: (reply, error) =>
      reply
        .code(error.status)
        .type(`${FHIR_JSON};charset=utf-8`)
        .header('cache-control', 'no-store')
        .send(JSON.stringify(error.body)),
  });

  const sandbox: GpConnectSandbox = {
    app,
    get url() {
      return http.url;
    },
    timeZone,
    diary,
    setup,
    faults,
    calls,
    listen: () => http.listen(),
    close: () => http.close(),
    connection() {
      return {
        baseUrl: http.url,
        odsCode: diary.organisation.odsCode,
        providerAsid: setup.providerAsid,
        ...SANDBOX_CONSUMER,
        consumerOrganisationType: 'gp-practice',
      };
    },
    seedDemoDiary(demo = {}) {
      seedDemoDiary(diary, { ...demo });
    },
    receptionBook(slotId, nhsNumber) {
      const patient = nhsNumber
        ? diary.patientByNhsNumber(nhsNumber)[0]
        : diary.patients.get(DEMO_PATIENTS[3].id);
      if (!patient) throw new SandboxError('PATIENT_NOT_FOUND', 'no such patient', 404);
      return diary.createAppointment(receptionAppointment(diary, slotId, patient.id), [slotId], patient.id)
        .id;
    },
    receptionCancel(slotId, reason = 'Cancelled at reception') {
      const live = diary.appointmentsIn(slotId);
      if (live.length === 0) throw new SandboxError('NO_RECORD_FOUND', 'no appointment in the slot', 404);
      for (const appointment of live) {
        diary.replaceAppointment(appointment.id, {
          ...appointment.resource,
          status: 'cancelled',
          extension: [
            ...(appointment.resource.extension ?? []),
            {
              url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1',
              valueString: reason,
            },
          ],
        });
      }
    },
    block(slotId, blocked = true) {
      const slot = diary.slot(slotId);
      slot.blocked = blocked;
      slot.versionId = diary.nextVersion();
    },
    placeSlot(input) {
      return diary.placeSlot({ ...input, ...serviceOf(input.slotTypeId) });
    },
    day(date) {
      const from = DateTime.fromISO(date, { zone: timeZone });
      const to = from.plus({ days: 1 });
      return [...diary.slots.values()]
        .filter((s) => s.start >= from.toJSDate() && s.start < to.toJSDate())
        .sort((a, b) => a.start.getTime() - b.start.getTime())
        .map((s) => ({
          id: s.id,
          start: fhirDateTime(s.start, timeZone),
          end: fhirDateTime(s.end, timeZone),
          serviceType: s.serviceType,
          deliveryChannel: s.deliveryChannel,
          status: s.blocked ? 'blocked' : s.status,
          appointmentIds: diary.appointmentsIn(s.id).map((a) => a.id),
        }));
    },
  };

  // The control surface: reception, the diary, the set-up flags, faults and the call log.
  app.get('/_sandbox/diary', { schema: { querystring: DateQuery } }, async (request) => ({
    date: (request.query as { date: string }).date,
    timeZone,
    slots: sandbox.day((request.query as { date: string }).date),
  }));
  app.post('/_sandbox/reception/book', { schema: { body: SlotBody } }, async (request) => {
    const body = request.body as { slotId: string; nhsNumber?: string };
    return { appointmentId: sandbox.receptionBook(body.slotId, body.nhsNumber) };
  });
  app.post(
    '/_sandbox/reception/cancel',
    { schema: { body: SlotBody } },
    noContent<{ slotId: string }>((body) => sandbox.receptionCancel(body.slotId)),
  );
  app.post(
    '/_sandbox/reception/block',
    { schema: { body: BlockBody } },
    noContent<{ slotId: string; blocked?: boolean }>((body) =>
      sandbox.block(body.slotId, body.blocked ?? true),
    ),
  );
  app.post('/_sandbox/slots', { schema: { body: PlaceBody } }, async (request) => ({
    slotId: sandbox.placeSlot(request.body as { date: string; time: string; minutes: number }).id,
  }));
  app.patch(
    '/_sandbox/setup',
    { schema: { body: SetupPatch } },
    noContent<Partial<ProviderSetup> & { odsCode?: string }>(({ odsCode, ...patch }) => {
      Object.assign(setup, patch);
      if (odsCode) diary.organisation.odsCode = odsCode;
    }),
  );
  app.get('/_sandbox/setup', async () => ({ ...setup, odsCode: diary.organisation.odsCode }));
  app.post(
    '/_sandbox/seed-demo',
    { schema: { body: DemoBody } },
    noContent<DemoDiaryOptions>((body) => sandbox.seedDemoDiary(body)),
  );
  registerHttpFaultRoutes(app, faults, FAULT_STATUSES);
  registerCallLogRoutes(app, calls);
  registerProviderRoutes(app, sandbox);

  if (options.demo) seedDemoDiary(diary, options.demo);
  return sandbox;
}
