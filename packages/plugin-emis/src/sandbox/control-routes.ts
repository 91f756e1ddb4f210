/**
 * The sandbox's control surface under `/_sandbox/…`: JSON, no authentication, for tests and the
 * demo. Seed a diary, act as reception, read the diary (patients by number only), change the
 * slot types (Appts config), flip the set-up flags, add, change and delete partner users,
 * expire tokens, inject faults, read the call log. Errors are ErrorResponses.
 */
import {
  DateQuery,
  DemoBody,
  registerCallLogRoutes,
  registerHttpFaultRoutes,
} from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { FAULT_STATUSES } from './faults.ts';
import type { EmisSandbox } from './index.ts';

const SlotIdBody = Type.Object({ slotId: Type.Integer() }, { additionalProperties: false });

const ReceptionBookBody = Type.Object(
  { slotId: Type.Integer(), patientNumber: Type.Integer(), reason: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const MoveBody = Type.Object(
  { fromSlotId: Type.Integer(), toSlotId: Type.Integer() },
  { additionalProperties: false },
);

const SlotStatusBody = Type.Object(
  {
    slotId: Type.Integer(),
    status: Type.Union(
      ['Slot Available', 'Blocked', 'Embargoed', 'Booked', 'Arrived', 'Send In', 'Left', 'DNA'].map((s) =>
        Type.Literal(s),
      ),
    ),
  },
  { additionalProperties: false },
);

const SetupPatch = Type.Object(
  {
    applicationId: Type.Optional(Type.String()),
    applicationActivated: Type.Optional(Type.Boolean()),
    cdbNumber: Type.Optional(Type.String()),
    odsCode: Type.Optional(Type.String()),
    organisationName: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** What may change on a partner user (not its user name or DBID). */
const partnerUserFlags = {
  title: Type.Optional(Type.String()),
  firstNames: Type.Optional(Type.String()),
  lastName: Type.Optional(Type.String()),
  mnemonic: Type.Optional(Type.String()),
  emisPassword: Type.Optional(Type.String()),
  apiPassword: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  autoLogin: Type.Optional(Type.Boolean()),
  allowLogin: Type.Optional(Type.Boolean()),
  passwordExpired: Type.Optional(Type.Boolean()),
};

const PartnerUserPatch = Type.Object(partnerUserFlags, { additionalProperties: false });

const PartnerUserBody = Type.Object(
  {
    ...partnerUserFlags,
    username: Type.String({ minLength: 1 }),
    userInRoleId: Type.String({ pattern: '^\\d+$' }),
    emisPassword: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const UsernameParams = Type.Object({ username: Type.String() });

const slotTypeFlags = {
  description: Type.Optional(Type.String({ minLength: 1 })),
  display: Type.Optional(Type.String()),
  bookable: Type.Optional(Type.Boolean()),
  emisAccess: Type.Optional(Type.Boolean()),
};

const SlotTypePatch = Type.Object(slotTypeFlags, { additionalProperties: false });

const SlotTypeBody = Type.Object(
  {
    id: Type.String({ pattern: '^\\d+$' }),
    description: Type.String({ minLength: 1 }),
    display: Type.String(),
    bookable: Type.Boolean(),
    emisAccess: Type.Boolean(),
  },
  { additionalProperties: false },
);

const SlotTypeParams = Type.Object({ slotTypeId: Type.String() });

export function registerControlRoutes(app: FastifyInstance, sandbox: EmisSandbox): void {
  app.post('/_sandbox/reset', async (_request, reply) => {
    sandbox.reset();
    return reply.code(204).send();
  });

  app.post('/_sandbox/seed', async (request, reply) => {
    sandbox.seed(request.body as Parameters<EmisSandbox['seed']>[0]);
    return reply.code(204).send();
  });

  app.post('/_sandbox/seed-demo', { schema: { body: DemoBody } }, async (request, reply) => {
    sandbox.seedDemoDiary((request.body ?? {}) as Parameters<EmisSandbox['seedDemoDiary']>[0]);
    return reply.code(204).send();
  });

  app.post('/_sandbox/sessions', async (request, reply) => {
    const sessionId = sandbox.diary.addSession(
      request.body as Parameters<EmisSandbox['diary']['addSession']>[0],
    );
    return reply.code(201).send({ sessionId });
  });

  app.delete('/_sandbox/sessions/:sessionId', async (request, reply) => {
    sandbox.diary.deleteSession(Number((request.params as { sessionId: string }).sessionId));
    return reply.code(204).send();
  });

  app.get('/_sandbox/diary', { schema: { querystring: DateQuery } }, async (request) => {
    const { date } = request.query as { date: string };
    return { date, sessions: sandbox.diary.day(date) };
  });

  app.get('/_sandbox/slots/:slotId', async (request, reply) => {
    const slot = sandbox.diary.slot(Number((request.params as { slotId: string }).slotId));
    return slot ?? reply.callNotFound();
  });

  app.post('/_sandbox/reception/book', { schema: { body: ReceptionBookBody } }, async (request, reply) => {
    const { slotId, patientNumber, reason } = request.body as {
      slotId: number;
      patientNumber: number;
      reason?: string;
    };
    sandbox.diary.receptionBook(slotId, patientNumber, reason ?? 'Booked at reception');
    return reply.code(204).send();
  });

  app.post('/_sandbox/reception/cancel', { schema: { body: SlotIdBody } }, async (request, reply) => {
    sandbox.diary.receptionCancel((request.body as { slotId: number }).slotId);
    return reply.code(204).send();
  });

  app.post('/_sandbox/reception/move', { schema: { body: MoveBody } }, async (request, reply) => {
    const { fromSlotId, toSlotId } = request.body as { fromSlotId: number; toSlotId: number };
    sandbox.diary.moveBooking(fromSlotId, toSlotId);
    return reply.code(204).send();
  });

  app.post(
    '/_sandbox/reception/slot-status',
    { schema: { body: SlotStatusBody } },
    async (request, reply) => {
      const { slotId, status } = request.body as { slotId: number; status: string };
      if (status === 'Slot Available' || status === 'Blocked' || status === 'Embargoed') {
        sandbox.diary.setSlotAvailability(slotId, status);
      } else {
        sandbox.diary.setAppointmentStatus(
          slotId,
          status as 'Booked' | 'Arrived' | 'Send In' | 'Left' | 'DNA',
        );
      }
      return reply.code(204).send();
    },
  );

  app.post('/_sandbox/slot-types', { schema: { body: SlotTypeBody } }, async (request, reply) =>
    reply
      .code(201)
      .send(sandbox.diary.addSlotType(request.body as Parameters<EmisSandbox['diary']['addSlotType']>[0])),
  );

  app.patch(
    '/_sandbox/slot-types/:slotTypeId',
    { schema: { params: SlotTypeParams, body: SlotTypePatch } },
    async (request) =>
      sandbox.diary.updateSlotType(
        (request.params as { slotTypeId: string }).slotTypeId,
        request.body as Parameters<EmisSandbox['diary']['updateSlotType']>[1],
      ),
  );

  app.delete(
    '/_sandbox/slot-types/:slotTypeId',
    { schema: { params: SlotTypeParams } },
    async (request, reply) => {
      sandbox.diary.removeSlotType((request.params as { slotTypeId: string }).slotTypeId);
      return reply.code(204).send();
    },
  );

  app.get('/_sandbox/setup', async () => sandbox.access.setup);

  app.patch('/_sandbox/setup', { schema: { body: SetupPatch } }, async (request) =>
    sandbox.access.updateSetup(request.body as Parameters<EmisSandbox['access']['updateSetup']>[0]),
  );

  app.post('/_sandbox/partner-users', { schema: { body: PartnerUserBody } }, async (request, reply) =>
    reply
      .code(201)
      .send(sandbox.access.addUser(request.body as Parameters<EmisSandbox['access']['addUser']>[0])),
  );

  app.patch(
    '/_sandbox/partner-users/:username',
    { schema: { params: UsernameParams, body: PartnerUserPatch } },
    async (request) =>
      sandbox.access.updateUser(
        (request.params as { username: string }).username,
        request.body as Parameters<EmisSandbox['access']['updateUser']>[1],
      ),
  );

  app.delete(
    '/_sandbox/partner-users/:username',
    { schema: { params: UsernameParams } },
    async (request, reply) => {
      sandbox.access.removeUser((request.params as { username: string }).username);
      return reply.code(204).send();
    },
  );

  app.post('/_sandbox/tokens/expire', async (_request, reply) => {
    sandbox.access.expireTokens();
    return reply.code(204).send();
  });

  registerHttpFaultRoutes(app, sandbox.faults, FAULT_STATUSES);
  registerCallLogRoutes(app, sandbox.calls);
}
