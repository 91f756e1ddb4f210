/**
 * The Partner API client over real HTTP: token caching and refresh, the applicationId header,
 * timeouts and the caller's signal, and every failure mapped to a typed EhrError.
 */
import { EhrError } from '@slotbridge/core';
import t from 'tap';
import { EmisClient } from '../src/client.ts';
import { SMALL_DIARY, startSandbox } from './fixtures.ts';

const NEVER = new AbortController().signal;
const FEB_2 = { startDate: '02/02/2026', endDate: '02/02/2026' };

/** The facts of an EhrError worth asserting, whole. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof EhrError)) throw error;
    return { kind: error.kind, code: error.code, message: error.message, details: error.details };
  }
  throw new Error('expected a failure');
}

t.test('signs in once, reuses the token, and signs in again when it is refused', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection());
  t.equal(await client.userInRoleId(NEVER), '7001');
  await client.getAppointmentSessions({ slotType: '11', ...FEB_2 }, NEVER);
  await client.getSlotsForSession(1001, NEVER);
  sandbox.access.expireTokens();
  const { slot } = await client.getSlotsForSession(1001, NEVER);
  t.equal(slot.length, 4);
  t.same(
    sandbox.calls.map((c) => `${c.operation} ${c.statusCode}`),
    [
      'Token 200',
      'GetAppointmentSessions 200',
      'GetSlotsForSession 200',
      'GetSlotsForSession 401',
      'Token 200',
      'GetSlotsForSession 200',
    ],
  );
});

t.test('renews a token that is about to expire before using it', async (t) => {
  const sandbox = await startSandbox(t, { tokenTtlSeconds: 30 });
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection());
  await client.getSlotsForSession(1001, NEVER);
  await client.getSlotsForSession(1001, NEVER);
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['Token', 'GetSlotsForSession', 'Token', 'GetSlotsForSession'],
  );
});

t.test('concurrent calls share one sign-in', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection());
  await Promise.all([1, 2, 3].map(() => client.getSlotsForSession(1001, NEVER)));
  t.equal(sandbox.calls.filter((c) => c.operation === 'Token').length, 1);
});

t.test('sign-in failures are auth_failed with the outcome EMIS gave', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = sandbox.connection();
  t.same(await failure(new EmisClient({ ...connection, apiPassword: 'emis-login-password' }).signIn(NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_API_PASSWORD',
    message: 'EMIS refused Token (HTTP 401, WRONG_PASSWORD)',
    details: {
      operation: 'Token',
      httpStatus: 401,
      legacyOutcome: 3,
      issueCode: 'login',
      emisCode: 'WRONG_PASSWORD',
      messageId: '00000000-0000-4000-8000-000000000001',
    },
  });
  sandbox.access.updateSetup({ applicationActivated: false });
  t.match(await failure(new EmisClient(connection).signIn(NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_NO_ACCESS',
  });
  sandbox.access.updateSetup({ applicationActivated: true });
  sandbox.access.updateUser('Herouser', { passwordExpired: true });
  t.match(await failure(new EmisClient(connection).signIn(NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_PASSWORD_EXPIRED',
  });
  t.match(await failure(new EmisClient({ ...connection, applicationId: 'nope' }).signIn(NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_APPLICATION_ID',
  });
  t.match(await failure(new EmisClient({ ...connection, cdbNumber: '50002' }).signIn(NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_ORGANISATION_ID',
    details: { legacyOutcome: 4, emisCode: 'ORGANISATION_UNKNOWN' },
  });
});

t.test('access withdrawn after sign-in is auth_failed on the next data call', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection());
  await client.getSlotsForSession(1001, NEVER);
  sandbox.access.updateUser('Herouser', { allowLogin: false });
  t.match(await failure(client.getSlotsForSession(1001, NEVER)), {
    kind: 'auth_failed',
    code: 'EMIS_ERR_NO_ACCESS',
  });
});

t.test('server errors, dropped connections, timeouts and refusals are transient', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection(), { timeoutMs: 300 });
  await client.signIn(NEVER);

  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'error', status: 500 });
  t.match(await failure(client.getSlotsForSession(1001, NEVER)), {
    kind: 'transient',
    code: 'EMIS_ERR_SERVER',
    details: { httpStatus: 500, emisCode: 'INTERNAL_ERROR' },
  });
  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'error', status: 503 });
  t.match(await failure(client.getSlotsForSession(1001, NEVER)), {
    kind: 'transient',
    code: 'EMIS_ERR_SERVER',
  });

  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'drop' });
  t.match(await failure(client.getSlotsForSession(1001, NEVER)), {
    kind: 'transient',
    code: 'EMIS_ERR_UNREACHABLE',
    details: { operation: 'GetSlotsForSession' },
  });

  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'hang' });
  const started = Date.now();
  t.same(await failure(client.getSlotsForSession(1001, NEVER)), {
    kind: 'transient',
    code: 'EMIS_ERR_TIMEOUT',
    message: 'EMIS did not answer GetSlotsForSession within 300 ms',
    details: { operation: 'GetSlotsForSession', timeoutMs: 300 },
  });
  t.ok(Date.now() - started < 2000, 'gives up at the timeout');

  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'latency', latencyMs: 50 });
  t.equal(
    (await client.getSlotsForSession(1001, NEVER)).slot.length,
    4,
    'a slow answer inside the timeout is fine',
  );

  sandbox.faults.add({ operation: 'GetSlotsForSession', kind: 'hang' });
  const caller = new AbortController();
  setTimeout(() => caller.abort(), 50);
  t.match(await failure(new EmisClient(sandbox.connection()).getSlotsForSession(1001, caller.signal)), {
    kind: 'transient',
    code: 'EMIS_ERR_CANCELLED',
  });
});

t.test('a server that is not there is transient', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = sandbox.connection();
  await sandbox.close();
  t.match(await failure(new EmisClient(connection).signIn(NEVER)), {
    kind: 'transient',
    code: 'EMIS_ERR_UNREACHABLE',
    details: { operation: 'Token', networkCode: 'ECONNREFUSED' },
  });
});

t.test('answers EMIS refuses map to their kinds', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new EmisClient(sandbox.connection());
  const booking = { patientNumber: 9001, reason: 'Check-up', bookedBy: '7001' };
  t.match(await failure(client.bookAppointment({ slotId: 100002, ...booking }, NEVER)), {
    kind: 'slot_taken',
    code: 'EMIS_ERR_SLOT_NOT_AVAILABLE',
  });
  t.match(await failure(client.bookAppointment({ slotId: 4242, ...booking }, NEVER)), {
    kind: 'slot_taken',
    code: 'EMIS_ERR_SLOT_NOT_FOUND',
  });
  t.match(await failure(client.bookAppointment({ slotId: 100001, ...booking, patientNumber: 1 }, NEVER)), {
    kind: 'patient_not_matched',
    code: 'EMIS_ERR_PATIENT_NOT_FOUND',
  });
  t.match(await failure(client.getSlotsForSession(4242, NEVER)), {
    kind: 'rejected',
    code: 'EMIS_ERR_SESSION_NOT_FOUND',
  });
  t.match(await failure(client.setSlotType({ slotId: 100001, slotType: '99' }, NEVER)), {
    kind: 'rejected',
    code: 'EMIS_ERR_SLOT_TYPE_NOT_FOUND',
  });
  t.match(
    await failure(
      client.getAppointmentSessions(
        { slotType: '11', startDate: '01/01/2026', endDate: '01/04/2026' },
        NEVER,
      ),
    ),
    {
      kind: 'rejected',
      code: 'EMIS_ERR_BAD_REQUEST',
      details: { httpStatus: 400, emisCode: 'DATE_RANGE_TOO_LONG' },
    },
  );
});

t.test('errors carry no credentials', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = { ...sandbox.connection(), apiPassword: 'S3cret-typo' };
  const error = await new EmisClient(connection).signIn(NEVER).catch((e: unknown) => e);
  const shown = JSON.stringify({
    error,
    message: (error as Error).message,
    details: (error as EhrError).details,
  });
  t.notMatch(shown, /S3cret-typo/);
  t.notMatch(shown, /Herouser/);
});
