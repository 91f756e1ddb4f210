/**
 * The sandbox's control surface under `/_sandbox/…`: JSON, no authentication, for tests and the
 * demo. Seed the practice, act as reception in Exact (book, change a status — Cancelled frees the
 * time), change Web Setup and the Online Booking Configuration, switch the practice server off,
 * set the practice server's clock, inject faults (or seeded chaos), read the call log and the
 * log of appointments created online. Errors are `{ error }` bodies.
 */
import {
  DateQuery,
  DateString,
  DemoBody,
  registerCallLogRoutes,
  registerHttpFaultRoutes,
} from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { APPOINTMENT_STATUSES, type AppointmentStatus } from '../exact-api.ts';
import { FAULT_STATUSES } from './faults.ts';
import type { Hs1ExactSandbox } from './index.ts';

const TimeString = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' });
const Minutes = Type.Integer({ minimum: 1 });
const Status = Type.Union(APPOINTMENT_STATUSES.map((s) => Type.Literal(s)));

const ReceptionBookBody = Type.Object(
  {
    providerId: Type.String({ minLength: 1 }),
    date: DateString,
    startTime: TimeString,
    durationMinutes: Minutes,
    reasonId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    status: Type.Optional(Status),
    patientId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

const StatusBody = Type.Object({ status: Status }, { additionalProperties: false });

const WebSetupPatch = Type.Object({ appointmentStacking: Type.Boolean() }, { additionalProperties: false });

const ReasonBody = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    marketing: Type.Boolean(),
    providers: Type.Array(
      Type.Object({ providerId: Type.String(), durationMinutes: Minutes }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

const OnlineBookingBody = Type.Object(
  {
    durationMinutes: Minutes,
    intervalMinutes: Minutes,
    bookableTime: Type.Union([
      Type.Object(
        { kind: Type.Literal('clinic'), clinicName: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
      Type.Object({ kind: Type.Literal('unbookedNonClinic') }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('allUnbooked') }, { additionalProperties: false }),
    ]),
    daysAhead: Minutes,
  },
  { additionalProperties: false },
);

const AccountPatch = Type.Object(
  {
    slug: Type.Optional(Type.String()),
    apiKey: Type.Optional(Type.String()),
    practiceServerOnline: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const ClockBody = Type.Object(
  { now: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
  { additionalProperties: false },
);

type Params<K extends string> = { [key in K]: string };

export function registerControlRoutes(app: FastifyInstance, sandbox: Hs1ExactSandbox): void {
  const server = sandbox.practiceServer;

  app.post('/_sandbox/reset', async (_request, reply) => {
    sandbox.reset();
    return reply.code(204).send();
  });

  app.post('/_sandbox/seed', async (request, reply) => {
    sandbox.seed(request.body as Parameters<Hs1ExactSandbox['seed']>[0]);
    return reply.code(204).send();
  });

  app.post('/_sandbox/seed-demo', { schema: { body: DemoBody } }, async (request, reply) => {
    sandbox.seedDemoDiary((request.body ?? {}) as Parameters<Hs1ExactSandbox['seedDemoDiary']>[0]);
    return reply.code(204).send();
  });

  app.get('/_sandbox/diary', { schema: { querystring: DateQuery } }, async (request) =>
    server.day((request.query as { date: string }).date),
  );

  app.get('/_sandbox/appointments/:appointmentId', async (request, reply) => {
    const appointment = server.appointment((request.params as Params<'appointmentId'>).appointmentId);
    return appointment ?? reply.callNotFound();
  });

  app.post('/_sandbox/reception/book', { schema: { body: ReceptionBookBody } }, async (request, reply) => {
    const appointmentId = server.receptionBook(request.body as Parameters<typeof server.receptionBook>[0]);
    return reply.code(201).send({ appointmentId });
  });

  app.post(
    '/_sandbox/appointments/:appointmentId/status',
    { schema: { body: StatusBody } },
    async (request) =>
      server.setAppointmentStatus(
        (request.params as Params<'appointmentId'>).appointmentId,
        (request.body as { status: AppointmentStatus }).status,
      ),
  );

  app.get('/_sandbox/web-setup', async () => server.setup(sandbox.serverTime()));

  app.patch('/_sandbox/web-setup', { schema: { body: WebSetupPatch } }, async (request) => {
    server.setAppointmentStacking((request.body as { appointmentStacking: boolean }).appointmentStacking);
    return server.setup(sandbox.serverTime());
  });

  app.put('/_sandbox/booking-reasons/:reasonId', { schema: { body: ReasonBody } }, async (request, reply) => {
    const id = (request.params as Params<'reasonId'>).reasonId;
    server.putBookingReason({
      id,
      ...(request.body as Omit<Parameters<typeof server.putBookingReason>[0], 'id'>),
    });
    return reply.code(204).send();
  });

  app.delete('/_sandbox/booking-reasons/:reasonId', async (request, reply) => {
    server.deleteBookingReason((request.params as Params<'reasonId'>).reasonId);
    return reply.code(204).send();
  });

  app.put(
    '/_sandbox/online-booking-configuration/:providerId',
    { schema: { body: OnlineBookingBody } },
    async (request, reply) => {
      const providerId = (request.params as Params<'providerId'>).providerId;
      server.putOnlineBookingProvider({
        providerId,
        ...(request.body as Omit<Parameters<typeof server.putOnlineBookingProvider>[0], 'providerId'>),
      });
      return reply.code(204).send();
    },
  );

  app.delete('/_sandbox/online-booking-configuration/:providerId', async (request, reply) => {
    server.removeOnlineBookingProvider((request.params as Params<'providerId'>).providerId);
    return reply.code(204).send();
  });

  app.get('/_sandbox/account', async () => sandbox.access.account);

  app.patch('/_sandbox/account', { schema: { body: AccountPatch } }, async (request) =>
    sandbox.access.update(request.body as Parameters<Hs1ExactSandbox['access']['update']>[0]),
  );

  app.put('/_sandbox/clock', { schema: { body: ClockBody } }, async (request) => {
    const { now } = request.body as { now: string | null };
    sandbox.setClock(now === null ? null : new Date(now));
    return { serverTime: sandbox.serverTime() };
  });

  app.get('/_sandbox/appointments-created', async () => ({
    appointmentsCreated: server.appointmentsCreated,
  }));

  registerHttpFaultRoutes(app, sandbox.faults, FAULT_STATUSES);
  registerCallLogRoutes(app, sandbox.calls);
}
