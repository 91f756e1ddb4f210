/**
 * The *modelled* HS1 Exact online-booking cloud API. Every call names the practice by its slug
 * and carries its API key (`x-api-key`); the cloud answers GetPractice itself and relays the
 * rest to the practice's Exact server, answering 502 when that server is offline.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  API_KEY_HEADER,
  type CloudPractice,
  type CreateAppointmentRequest,
  MAX_SCHEDULE_DAYS,
} from '../exact-api.ts';
import type { CloudAccess } from './cloud-account.ts';
import { type ExactPracticeServer, isIsoDate } from './practice-server.ts';
import { SandboxError } from './sandbox-error.ts';

const PRACTICE = '/v1/practices/:slug';

/** The operation of each route, for the call log and fault injection. */
export const OPERATION_BY_ROUTE: Record<string, string> = {
  [PRACTICE]: 'GetPractice',
  [`${PRACTICE}/online-booking/setup`]: 'GetOnlineBookingSetup',
  [`${PRACTICE}/schedule`]: 'GetSchedule',
  [`${PRACTICE}/appointments`]: 'CreateAppointment',
  [`${PRACTICE}/appointments/:appointmentId/confirm`]: 'ConfirmAppointment',
};

/** Operations the cloud relays to the practice server. */
const RELAYED = new Set(['GetOnlineBookingSetup', 'GetSchedule', 'CreateAppointment', 'ConfirmAppointment']);

const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

const CreateAppointmentBody = Type.Object(
  {
    providerId: Type.String({ minLength: 1 }),
    reasonId: Type.String({ minLength: 1 }),
    date: DateString,
    startTime: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
    patient: Type.Object(
      {
        firstName: Type.String({ minLength: 1 }),
        lastName: Type.String({ minLength: 1 }),
        dateOfBirth: DateString,
        patientId: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
    externalRef: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);

const ScheduleQuery = Type.Object({ from: DateString, to: DateString });

export function registerCloudApiRoutes(
  app: FastifyInstance,
  practiceServer: ExactPracticeServer,
  access: CloudAccess,
  serverTime: () => string,
): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const operation = OPERATION_BY_ROUTE[request.routeOptions.url ?? ''];
    if (operation === undefined) return;
    access.authenticate((request.params as { slug: string }).slug, request.headers[API_KEY_HEADER]);
    if (RELAYED.has(operation)) access.relay();
  });

  app.get(PRACTICE, async (): Promise<CloudPractice> => {
    const { slug, practiceServerOnline } = access.account;
    const { id, name } = practiceServer.practice;
    return {
      slug,
      practiceId: id,
      name,
      practiceServer: { status: practiceServerOnline ? 'online' : 'offline' },
    };
  });

  app.get(`${PRACTICE}/online-booking/setup`, async () => practiceServer.setup(serverTime()));

  app.get(`${PRACTICE}/schedule`, { schema: { querystring: ScheduleQuery } }, async (request) => {
    const { from, to } = request.query as { from: string; to: string };
    if (!isIsoDate(from) || !isIsoDate(to))
      throw new SandboxError('INVALID_PARAMETER', 'from and to are dates');
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    if (days < 1) throw new SandboxError('INVALID_PARAMETER', 'to is before from');
    if (days > MAX_SCHEDULE_DAYS) {
      throw new SandboxError(
        'DATE_RANGE_TOO_LONG',
        `The schedule is read at most ${MAX_SCHEDULE_DAYS} days at a time; ${days} were asked for`,
      );
    }
    return practiceServer.schedule(from, to, serverTime());
  });

  app.post(
    `${PRACTICE}/appointments`,
    { schema: { body: CreateAppointmentBody } },
    async (request, reply) => {
      const { appointment, created } = practiceServer.createAppointment(
        request.body as CreateAppointmentRequest,
      );
      return reply.code(created ? 201 : 200).send(appointment);
    },
  );

  app.post(`${PRACTICE}/appointments/:appointmentId/confirm`, async (request) =>
    practiceServer.confirmAppointment((request.params as { appointmentId: string }).appointmentId),
  );
}
