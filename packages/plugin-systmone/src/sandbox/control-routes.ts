/**
 * The sandbox's control surface over HTTP, under `/_sandbox/…`: JSON, no authentication, for the
 * demo and for tests in other processes. Each route calls the sandbox method of the same name.
 * Errors answer `{ code, message }` with the status in SANDBOX_ERRORS (400 for a bad body).
 */
import {
  answerSandboxErrors,
  DateQuery,
  DemoBody,
  noContent,
  registerCallLogRoutes,
} from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { APPOINTMENT_STATUSES } from './diary.ts';
import type { SystmOneSandbox } from './index.ts';
import { SandboxError } from './sandbox-error.ts';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const ReceptionBookBody = Type.Object(
  { slotRef: Type.Integer(), nhsNumber: Type.String(), comments: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const AppointmentBody = Type.Object({ appointmentUid: Type.String() }, { additionalProperties: false });
const MoveBody = Type.Object(
  { appointmentUid: Type.String(), toSlotRef: Type.Integer() },
  { additionalProperties: false },
);
const BlockBody = Type.Object(
  { slotRef: Type.Integer(), blocked: Type.Boolean() },
  { additionalProperties: false },
);
const StatusBody = Type.Object(
  {
    appointmentUid: Type.String(),
    status: literals(APPOINTMENT_STATUSES.filter((status) => status !== 'Cancelled')),
  },
  { additionalProperties: false },
);
const SetupPatch = Type.Object(
  {
    apiKey: Type.Optional(Type.String()),
    deviceId: Type.Optional(Type.String()),
    loggedInUser: Type.Optional(Type.String()),
    clientState: Type.Optional(literals(['running', 'closed', 'logged-out'] as const)),
  },
  { additionalProperties: false },
);
const ApprovalBody = Type.Object(
  { userName: Type.String(), approved: Type.Boolean() },
  { additionalProperties: false },
);
const BookableBody = Type.Object(
  { slotType: Type.String(), bookable: Type.Boolean() },
  { additionalProperties: false },
);
const GatewayBody = Type.Object({ online: Type.Boolean() }, { additionalProperties: false });
const FaultBody = Type.Object(
  {
    function: Type.String({ minLength: 1 }),
    kind: literals(['error', 'latency', 'hang', 'drop', 'chunked', 'garbage'] as const),
    message: Type.Optional(Type.String()),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0 })),
    chunkBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    gapMs: Type.Optional(Type.Integer({ minimum: 0 })),
    times: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('always')])),
  },
  { additionalProperties: false },
);
/** An error the control surface answers: the sandbox's own, or a refused body. */
interface ControlError {
  status: number;
  code: string;
  message: string;
}

export function registerControlRoutes(app: FastifyInstance, sandbox: SystmOneSandbox): void {
  answerSandboxErrors<ControlError>(app, {
    isSandboxError: (error) => error instanceof SandboxError,
    refused: (status, message) => ({ status, code: 'INVALID_BODY', message }),
    internal: (error) => ({ status: 500, code: 'INTERNAL_ERROR', message: error.message }),
    send: (reply, error) => reply.code(error.status).send({ code: error.code, message: error.message }),
  });

  app.post(
    '/_sandbox/reset',
    noContent(() => sandbox.reset()),
  );
  app.post(
    '/_sandbox/seed',
    noContent<Parameters<SystmOneSandbox['seed']>[0]>((seed) => sandbox.seed(seed)),
  );
  app.post(
    '/_sandbox/seed-demo',
    { schema: { body: DemoBody } },
    noContent<Parameters<SystmOneSandbox['seedDemoDiary']>[0]>((options) =>
      sandbox.seedDemoDiary(options ?? {}),
    ),
  );

  app.get('/_sandbox/diary', { schema: { querystring: DateQuery } }, async (request) => {
    const { date } = request.query as { date: string };
    return { date, clinics: sandbox.diary.day(date) };
  });
  app.get('/_sandbox/slots/:slotRef', async (request, reply) => {
    const slot = sandbox.diary.slot(Number((request.params as { slotRef: string }).slotRef));
    return slot ?? reply.code(404).send({ code: 'SLOT_NOT_FOUND', message: 'No such slot' });
  });
  app.get('/_sandbox/appointments/:appointmentUid', async (request, reply) => {
    const uid = (request.params as { appointmentUid: string }).appointmentUid;
    return (
      sandbox.diary.appointment(uid) ??
      reply.code(404).send({ code: 'APPOINTMENT_NOT_FOUND', message: 'No such appointment' })
    );
  });

  app.post('/_sandbox/reception/book', { schema: { body: ReceptionBookBody } }, async (request, reply) => {
    const { slotRef, nhsNumber, comments } = request.body as {
      slotRef: number;
      nhsNumber: string;
      comments?: string;
    };
    return reply
      .code(201)
      .send({ appointmentUid: sandbox.diary.receptionBook(slotRef, nhsNumber, comments) });
  });
  app.post(
    '/_sandbox/reception/cancel',
    { schema: { body: AppointmentBody } },
    noContent<{ appointmentUid: string }>(({ appointmentUid }) =>
      sandbox.diary.receptionCancel(appointmentUid),
    ),
  );
  app.post(
    '/_sandbox/reception/move',
    { schema: { body: MoveBody } },
    noContent<{ appointmentUid: string; toSlotRef: number }>(({ appointmentUid, toSlotRef }) =>
      sandbox.diary.moveAppointment(appointmentUid, toSlotRef),
    ),
  );
  app.post(
    '/_sandbox/reception/block',
    { schema: { body: BlockBody } },
    noContent<{ slotRef: number; blocked: boolean }>(({ slotRef, blocked }) =>
      sandbox.diary.setSlotBlocked(slotRef, blocked),
    ),
  );
  app.post(
    '/_sandbox/reception/status',
    { schema: { body: StatusBody } },
    noContent<{
      appointmentUid: string;
      status: Parameters<SystmOneSandbox['diary']['setAppointmentStatus']>[1];
    }>(({ appointmentUid, status }) => sandbox.diary.setAppointmentStatus(appointmentUid, status)),
  );

  app.get('/_sandbox/setup', async () => sandbox.setup);
  app.patch('/_sandbox/setup', { schema: { body: SetupPatch } }, async (request) =>
    sandbox.updateSetup(request.body as Parameters<SystmOneSandbox['updateSetup']>[0]),
  );
  app.post(
    '/_sandbox/setup/device-approval',
    { schema: { body: ApprovalBody } },
    noContent<{ userName: string; approved: boolean }>(({ userName, approved }) =>
      sandbox.setDeviceApproved(userName, approved),
    ),
  );
  app.post(
    '/_sandbox/setup/slot-type-bookable',
    { schema: { body: BookableBody } },
    noContent<{ slotType: string; bookable: boolean }>(({ slotType, bookable }) =>
      sandbox.setSlotTypeBookable(slotType, bookable),
    ),
  );
  app.post(
    '/_sandbox/gateway',
    { schema: { body: GatewayBody } },
    noContent<{ online: boolean }>(({ online }) => sandbox.setGatewayOnline(online)),
  );

  app.post(
    '/_sandbox/faults',
    { schema: { body: FaultBody } },
    noContent<Parameters<SystmOneSandbox['faults']['add']>[0]>((spec) => sandbox.faults.add(spec)),
  );
  app.delete(
    '/_sandbox/faults',
    noContent(() => sandbox.faults.clear()),
  );
  registerCallLogRoutes(app, sandbox.calls);
}
