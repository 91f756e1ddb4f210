/**
 * The client against the sandbox: slug/key authentication, the practice server offline (502,
 * 504) as a typed transient error, and every transport failure turned into an HS1_ERR_ code.
 */
import { EhrError } from '@slotbridge/core';
import t from 'tap';
import { errorCodeOf, Hs1ExactClient } from '../src/client.ts';
import { startSandbox } from './fixtures.ts';

const signal = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof EhrError)) throw new Error(`expected an EhrError, got ${String(error)}`);
  return {
    kind: error.kind,
    code: error.code,
    message: error.message,
    details: error.details,
    retryable: error.retryable,
  };
}

t.test('the slug and key are checked by the cloud; the practice answers when they are right', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1 } });
  const connection = sandbox.connection();
  t.same(await new Hs1ExactClient(connection).getPractice(signal()), {
    slug: 'harbourside-dental',
    practiceId: '1001',
    name: 'Harbourside Dental',
    practiceServer: { status: 'online' },
  });
  t.same(await failure(new Hs1ExactClient({ ...connection, slug: 'elsewhere' }).getPractice(signal())), {
    kind: 'auth_failed',
    code: 'HS1_ERR_SLUG',
    message: 'HS1 refused GetPractice (HTTP 404, PRACTICE_NOT_FOUND)',
    details: { operation: 'GetPractice', httpStatus: 404, apiCode: 'PRACTICE_NOT_FOUND' },
    retryable: false,
  });
  t.same(
    await failure(new Hs1ExactClient({ ...connection, apiKey: 'wrong' }).getOnlineBookingSetup(signal())),
    {
      kind: 'auth_failed',
      code: 'HS1_ERR_API_KEY',
      message: 'HS1 refused GetOnlineBookingSetup (HTTP 401, API_KEY_INVALID)',
      details: { operation: 'GetOnlineBookingSetup', httpStatus: 401, apiCode: 'API_KEY_INVALID' },
      retryable: false,
    },
  );
});

t.test('the practice server offline is a typed transient error, never a crash', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1 } });
  const client = new Hs1ExactClient(sandbox.connection());
  sandbox.setPracticeServerOnline(false);
  t.same(await failure(client.getSchedule({ from: '2026-02-02', to: '2026-02-02' }, signal())), {
    kind: 'transient',
    code: 'HS1_ERR_PRACTICE_SERVER_OFFLINE',
    message:
      "The practice's Exact server is offline: HS1 could not relay GetSchedule (HTTP 502, PRACTICE_SERVER_OFFLINE)",
    details: { operation: 'GetSchedule', httpStatus: 502, apiCode: 'PRACTICE_SERVER_OFFLINE' },
    retryable: true,
  });
  t.match(
    await client.getPractice(signal()),
    { practiceServer: { status: 'offline' } },
    'the cloud still answers',
  );

  sandbox.setPracticeServerOnline(true);
  sandbox.faults.add({ operation: 'GetOnlineBookingSetup', kind: 'error', status: 504 });
  t.match(await failure(client.getOnlineBookingSetup(signal())), {
    kind: 'transient',
    code: 'HS1_ERR_PRACTICE_SERVER_OFFLINE',
    details: { httpStatus: 504, apiCode: 'PRACTICE_SERVER_TIMEOUT' },
  });
  t.match(
    await client.getOnlineBookingSetup(signal()),
    { practice: { id: '1001' } },
    'back once the fault is used',
  );
});

t.test('transport failures: server errors, a hang, a dropped connection, the caller giving up', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1 } });
  const connection = sandbox.connection();
  const client = new Hs1ExactClient(connection, { timeoutMs: 200 });

  sandbox.faults.add({ operation: 'GetPractice', kind: 'error', status: 503 });
  t.match(await failure(client.getPractice(signal())), { kind: 'transient', code: 'HS1_ERR_SERVER' });

  sandbox.faults.add({ operation: 'GetPractice', kind: 'hang' });
  t.match(await failure(client.getPractice(signal())), {
    kind: 'transient',
    code: 'HS1_ERR_TIMEOUT',
    message: 'HS1 did not answer GetPractice within 200 ms',
  });

  sandbox.faults.add({ operation: 'GetPractice', kind: 'drop' });
  t.match(await failure(client.getPractice(signal())), { kind: 'transient', code: 'HS1_ERR_UNREACHABLE' });

  sandbox.faults.add({ operation: 'GetPractice', kind: 'latency', latencyMs: 5000 });
  const caller = new AbortController();
  setTimeout(() => caller.abort(), 50);
  t.match(await failure(new Hs1ExactClient(connection).getPractice(caller.signal)), {
    kind: 'transient',
    code: 'HS1_ERR_CANCELLED',
  });

  t.same(
    sandbox.calls.map((c) => c.fault),
    ['error', 'hang', 'drop', 'latency'],
  );
});

t.test('which code an error answer means', async (t) => {
  t.same(
    [
      errorCodeOf(502, null),
      errorCodeOf(504, 'PRACTICE_SERVER_TIMEOUT'),
      errorCodeOf(500, 'INTERNAL_ERROR'),
      errorCodeOf(429, null),
      errorCodeOf(401, null),
      errorCodeOf(404, 'PRACTICE_NOT_FOUND'),
      errorCodeOf(409, 'TIME_NOT_AVAILABLE'),
      errorCodeOf(409, 'PROVIDER_NOT_ONLINE'),
      errorCodeOf(404, 'PROVIDER_NOT_FOUND'),
      errorCodeOf(422, 'REASON_NOT_LINKED'),
      errorCodeOf(422, 'REASON_NOT_FOUND'),
      errorCodeOf(409, 'APPOINTMENT_CANCELLED'),
      errorCodeOf(404, 'APPOINTMENT_NOT_FOUND'),
      errorCodeOf(400, 'INVALID_PARAMETER'),
      errorCodeOf(404, null),
    ],
    [
      'HS1_ERR_PRACTICE_SERVER_OFFLINE',
      'HS1_ERR_PRACTICE_SERVER_OFFLINE',
      'HS1_ERR_SERVER',
      'HS1_ERR_SERVER',
      'HS1_ERR_API_KEY',
      'HS1_ERR_SLUG',
      'HS1_ERR_TIME_NOT_AVAILABLE',
      'HS1_ERR_PROVIDER_NOT_ONLINE',
      'HS1_ERR_PROVIDER_NOT_FOUND',
      'HS1_ERR_REASON_NOT_LINKED',
      'HS1_ERR_REASON_NOT_FOUND',
      'HS1_ERR_APPOINTMENT_CANCELLED',
      'HS1_ERR_APPOINTMENT_NOT_FOUND',
      'HS1_ERR_BAD_REQUEST',
      'HS1_ERR_BAD_REQUEST',
    ],
  );
});
