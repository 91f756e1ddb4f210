/**
 * Issue #9, point 8: three proofs of the write-back against real server processes (`cli.ts
 * serve` from the sources, as restarts.test.ts starts them), one test database and an EMIS
 * sandbox over HTTP in this process. docs/reliability.md ("Proofs under load, faults and kill -9")
 * reports what each sends and what it measured.
 *
 * 1. 1,000 booking attempts on 100 slots, through two processes sharing one database: exactly
 *    100 accepted, the rest 409, one live booking per slot, each slot booked once in the sandbox.
 * 2. The sandbox failing 20 % of calls at random (seeded): errors, timeouts, dropped connections,
 *    writes whose answer is lost. Every booking ends terminal; nothing is written twice.
 * 3. kill -9 of the process while its BookAppointment is in flight (held before the write, and
 *    written with its answer held): a new process takes the commands over once their lease
 *    lapses; both bookings end confirmed, each written once.
 *
 * Slow (real processes, minutes of retries): CI's second pass skips it (SLOTBRIDGE_TEST_SKIP_SLOW),
 * so it runs once per `.ci/run`. Conditions are waited for with generous caps, never timed.
 */
import { seededRandom } from '@slotbridge/core/sandbox-kit';
import { createTestSlotbridge } from '@slotbridge/core/testing';
import emisPlugin from '@slotbridge/plugin-emis';
import { createEmisSandbox, DEMO_PATIENTS, type EmisSandbox } from '@slotbridge/plugin-emis/sandbox';
import t, { type Test } from 'tap';
import { buildApp } from '../src/app.ts';
import { setUpFromCatalogue } from '../src/demo.ts';
import {
  type Attempt,
  countBy,
  killAll,
  pickSlots,
  pool,
  postBooking,
  type Server,
  serve,
  until,
} from './helpers/proof-servers.ts';

if (process.env.SLOTBRIDGE_TEST_SKIP_SLOW) {
  t.plan(0, 'slow proofs with real server processes ran in the first pass');
} else {
  t.setTimeout(20 * 60_000);
  tests();
}

interface Practice {
  databaseUrl: string;
  db: Awaited<ReturnType<typeof createTestSlotbridge>>['slotbridge']['db'];
  sandbox: EmisSandbox;
  key: string;
  practiceId: string;
}

/**
 * A test database with an EMIS practice set up (catalogue mapped) and synced once, by an
 * in-process app that runs no workers; the server processes then share the database.
 */
async function emisPractice(t: Test): Promise<Practice> {
  const sandbox = await createEmisSandbox({ demo: { days: 28 } });
  await sandbox.listen();
  const { slotbridge, database } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: [emisPlugin], logger: false });
  await app.ready();
  t.teardown(async () => {
    await killAll();
    await app.close();
    await database.drop();
    await sandbox.close();
  });
  const partner = await slotbridge.apiKeys.createPartner('Proofs');
  const { key } = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'proofs');
  const headers = { authorization: `Bearer ${key}` };
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers,
      payload: { name: 'EMIS practice', ehr: 'emis', timeZone: 'Europe/London' },
    })
  ).json<{ id: string }>();
  const connection = await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers,
    payload: sandbox.connection(),
  });
  t.equal(connection.statusCode, 200, 'the practice is connected to the sandbox');
  await setUpFromCatalogue(slotbridge, (await slotbridge.apiKeys.authenticate(key))!, practice.id);
  const sync = (
    await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers })
  ).json<{ status: string }>();
  t.equal(sync.status, 'succeeded', 'the diary is read');
  return { databaseUrl: database.connectionString, db: slotbridge.db, sandbox, key, practiceId: practice.id };
}

/** A booking for one of the four demo patients EMIS matches to one record (not the duplicate John Smiths). */
function book(server: Server, practice: Practice, slotId: string, key: string, n: number): Promise<Attempt> {
  const patient = DEMO_PATIENTS[n % 4]!;
  return postBooking(server, practice, slotId, key, {
    firstName: patient.firstNames.split(' ')[0]!,
    lastName: patient.familyName,
    dateOfBirth: patient.dateOfBirth,
  });
}

const TERMINAL = ['confirmed', 'failed', 'needs_reconciliation', 'cancelled'];

/** Waits until none of the bookings is pending; answers the seconds it took and the rows. */
async function settled(practice: Practice, ids: string[], capMs = 300_000, terminal = TERMINAL) {
  const started = Date.now();
  const rows = () =>
    practice.db
      .selectFrom('bookings')
      .select(['id', 'state', 'failure_code', 'ehr_slot_id', 'ehr_booking_ref', 'created_at', 'updated_at'])
      .where('id', 'in', ids)
      .execute();
  await until(
    `${ids.length} bookings terminal`,
    async () => (await rows()).every((b) => terminal.includes(b.state)),
    capMs,
  );
  return { waitedSeconds: (Date.now() - started) / 1000, rows: await rows() };
}

/** Each slot the sandbox booked through the Partner API, with how many times. */
function sandboxWrites(sandbox: EmisSandbox): Map<string, number> {
  const writes = new Map<string, number>();
  for (const { slotId } of sandbox.diary.appointmentsBooked)
    writes.set(String(slotId), (writes.get(String(slotId)) ?? 0) + 1);
  return writes;
}

function tests(): void {
  t.test(
    '1,000 booking attempts on 100 slots through two processes on one database: 100 booked, 900 refused, none doubled',
    async (t) => {
      const practice = await emisPractice(t);
      const servers = [await serve(practice.databaseUrl), await serve(practice.databaseUrl)];
      const slots = await pickSlots(servers[0]!, practice, 100);

      // Ten attempts per slot, in a seeded random order, alternating between the two processes.
      const random = seededRandom(2026);
      const order = slots.flatMap((slot) => Array.from({ length: 10 }, () => slot));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const started = Date.now();
      const attempts = await pool(
        order.map((slot, n) => async () => ({
          slot,
          ...(await book(servers[n % 2]!, practice, slot.id, `proof-1-${n}`, n)),
        })),
        64,
      );
      const acceptSeconds = (Date.now() - started) / 1000;
      const byStatus = countBy(attempts, (a) => String(a.status));
      const refusals = countBy(
        attempts.filter((a) => a.status === 409),
        (a) => a.body.code ?? '?',
      );
      t.comment(
        `1,000 attempts in ${acceptSeconds.toFixed(1)} s: ${JSON.stringify(byStatus)}; 409 codes ${JSON.stringify(refusals)}`,
      );
      t.equal(attempts.length, 1000);
      t.equal(byStatus['201'], 100, 'exactly 100 accepted (201)');
      t.equal(byStatus['409'], 900, 'the other 900 refused with 409');
      t.ok(
        attempts
          .filter((a) => a.status === 409)
          .every((a) => a.contentType.startsWith('application/problem+json') && a.body.code),
        'every 409 is problem+json with a code',
      );
      const accepted = attempts.filter((a) => a.status === 201);
      t.equal(new Set(accepted.map((a) => a.slot.id)).size, 100, 'one accepted booking for each slot');
      t.comment(
        `accepted by process: ${JSON.stringify(countBy(accepted, (a) => String(attempts.indexOf(a) % 2)))}`,
      );

      const live = await practice.db
        .selectFrom('bookings')
        .select(['slot_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where('practice_id', '=', practice.practiceId)
        .where('state', 'in', ['pending', 'confirmed', 'needs_reconciliation', 'cancelling'])
        .groupBy('slot_id')
        .execute();
      t.equal(live.length, 100, '100 slots hold a live booking in our database');
      t.ok(
        live.every((row) => Number(row.n) === 1),
        'none holds two',
      );
      const total = await practice.db
        .selectFrom('bookings')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      t.equal(Number(total.n), 100, 'no booking row beyond the 100 accepted');

      const { waitedSeconds, rows } = await settled(
        practice,
        accepted.map((a) => a.body.id!),
      );
      t.comment(`all 100 written back ${waitedSeconds.toFixed(1)} s after the last answer`);
      t.same(
        countBy(rows, (b) => b.state),
        { confirmed: 100 },
        'every booking confirmed',
      );
      const writes = sandboxWrites(practice.sandbox);
      t.equal(writes.size, 100, '100 slots booked in the sandbox');
      t.ok(
        [...writes.values()].every((n) => n === 1),
        'each booked once',
      );
      t.same(
        [...writes.keys()].sort(),
        rows.map((b) => b.ehr_slot_id).sort(),
        'the sandbox booked exactly the confirmed bookings’ slots',
      );
      for (const booking of rows) {
        const slot = practice.sandbox.diary.slot(Number(booking.ehr_slot_id));
        if (
          slot?.status !== 'Booked' ||
          `${booking.ehr_slot_id}:${slot.patientNumber}` !== booking.ehr_booking_ref
        )
          t.fail(`slot ${booking.ehr_slot_id} is not booked in the sandbox as ${booking.ehr_booking_ref}`);
      }
    },
  );

  t.test(
    'the sandbox fails 20 % of calls (errors, timeouts, drops, lost answers): every booking ends terminal, none written twice',
    async (t) => {
      const practice = await emisPractice(t);
      // A short lease: a call that hangs is given up after ¾ of it (6 s), not 30 s.
      const server = await serve(practice.databaseUrl, { SLOTBRIDGE_WRITE_LEASE_SECONDS: '8' });
      const slots = await pickSlots(server, practice, 40);
      practice.sandbox.calls.length = 0;
      practice.sandbox.faults.chaos({ rate: 0.2, seed: 9 });

      const started = Date.now();
      const attempts = await pool(
        slots.map((slot, n) => () => book(server, practice, slot.id, `proof-2-${n}`, n)),
        8,
      );
      t.same(
        countBy(attempts, (a) => String(a.status)),
        { 201: 40 },
        'all 40 accepted (the accept does not call the EHR)',
      );
      const ids = attempts.map((a) => a.body.id!);
      // A booking whose retries ran out not knowing whether the EHR wrote it awaits
      // reconciliation until the diary settles it: wait for that too.
      const { rows } = await settled(practice, ids, 300_000, ['confirmed', 'failed', 'cancelled_in_ehr']);
      const terminalSeconds = (Date.now() - started) / 1000;
      practice.sandbox.faults.clear();

      const calls = practice.sandbox.calls;
      const faults = countBy(
        calls.filter((c) => c.fault),
        (c) => c.fault!,
      );
      const failedShare = calls.filter((c) => c.fault).length / calls.length;
      const bookFaults = countBy(
        calls.filter((c) => c.operation === 'BookAppointment'),
        (c) => c.fault ?? 'none',
      );
      const outcomes = countBy(rows, (b) => (b.state === 'failed' ? `failed ${b.failure_code}` : b.state));
      const commands = await practice.db
        .selectFrom('outbox_commands')
        .select(['attempts', 'state'])
        .where('booking_id', 'in', ids)
        .execute();
      t.comment(
        `${calls.length} sandbox calls, ${(failedShare * 100).toFixed(1)} % faulted: ${JSON.stringify(faults)}; ` +
          `BookAppointment ${JSON.stringify(bookFaults)}; outcomes ${JSON.stringify(outcomes)}; ` +
          `attempts per command ${JSON.stringify(countBy(commands, (c) => String(c.attempts)))}; ` +
          `all terminal ${terminalSeconds.toFixed(1)} s after the first booking was sent`,
      );
      t.ok(failedShare > 0.1 && failedShare < 0.3, 'about a fifth of the calls failed');
      for (const kind of ['error', 'hang', 'drop', 'lost-answer'])
        t.ok((faults[kind] ?? 0) > 0, `faults of kind ${kind} were played`);
      t.ok(
        rows.every((b) => b.state === 'confirmed' || (b.state !== 'pending' && b.failure_code)),
        'every booking ended confirmed, or failed or cancelled with a code',
      );
      t.ok(
        commands.every((c) => c.state === 'done' || c.state === 'failed'),
        'no command left pending',
      );

      const writes = sandboxWrites(practice.sandbox);
      t.ok(
        [...writes.values()].every((n) => n === 1),
        `no slot written twice in the sandbox (${writes.size} written)`,
      );
      for (const booking of rows.filter((b) => b.state === 'confirmed')) {
        const slot = practice.sandbox.diary.slot(Number(booking.ehr_slot_id));
        t.ok(
          writes.get(booking.ehr_slot_id) === 1 &&
            slot?.status === 'Booked' &&
            `${booking.ehr_slot_id}:${slot.patientNumber}` === booking.ehr_booking_ref,
          `confirmed booking ${booking.id} is booked once in the sandbox`,
        );
      }
      // A write whose answer was lost, then failures until the retries ran out: the booking
      // awaited reconciliation and the diary settled it, so none says failed or cancelled while its
      // appointment stands in the EHR.
      const orphans = rows.filter((b) => b.state !== 'confirmed' && writes.has(b.ehr_slot_id));
      t.same(
        orphans.map((b) => `${b.id} ${b.state}`),
        [],
        'no booking said failed or cancelled left an appointment in the sandbox',
      );
    },
  );

  t.test(
    'kill -9 of the process mid-write: a new process takes the commands over once their lease lapses; confirmed, written once',
    async (t) => {
      const practice = await emisPractice(t);
      const lease = { SLOTBRIDGE_WRITE_LEASE_SECONDS: '10' };
      const first = await serve(practice.databaseUrl, lease);
      const [before, after] = await pickSlots(first, practice, 2);
      const { sandbox } = practice;
      sandbox.calls.length = 0;
      // One write is held before it lands; the other lands and its answer is held.
      sandbox.faults.add({ operation: 'BookAppointment', kind: 'latency', latencyMs: 4_000 });
      sandbox.faults.add({ operation: 'BookAppointment', kind: 'lost-answer', after: 'hang' });

      const attempts = [
        await book(first, practice, before!.id, 'proof-3-0', 0),
        await book(first, practice, after!.id, 'proof-3-1', 1),
      ];
      t.same(
        attempts.map((a) => a.status),
        [201, 201],
      );
      const ids = attempts.map((a) => a.body.id!);
      const inFlight = () => sandbox.calls.filter((c) => c.operation === 'BookAppointment').length;
      await until(
        'both BookAppointment calls in flight, one of them written',
        () => inFlight() === 2 && sandbox.diary.appointmentsBooked.length >= 1,
      );
      t.pass('one write landed with its answer held; the other is held (4 s) before it lands');
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      const claimed = await practice.db
        .selectFrom('outbox_commands')
        .select(['booking_id', 'state', 'attempts', 'lease_owner', 'lease_until'])
        .where('booking_id', 'in', ids)
        .execute();
      t.ok(
        claimed.every((c) => c.state === 'pending' && c.lease_owner !== null),
        'the killed process still holds both commands, unrecorded',
      );

      const second = await serve(practice.databaseUrl, lease);
      const { rows } = await settled(practice, ids, 180_000);
      const takeoverSeconds = (Date.now() - killedAt) / 1000;
      t.same(
        rows.map((b) => b.state),
        ['confirmed', 'confirmed'],
        'both bookings end confirmed (nothing lost, no manual step)',
      );
      const commands = await practice.db
        .selectFrom('outbox_commands')
        .select(['state', 'attempts', 'lease_owner'])
        .where('booking_id', 'in', ids)
        .execute();
      t.ok(
        commands.every((c) => c.state === 'done' && c.attempts === 2),
        'each command was claimed twice: by the killed process, then by the new one',
      );
      const writes = sandboxWrites(sandbox);
      t.same(
        [...writes.entries()].sort(),
        rows.map((b) => [b.ehr_slot_id, 1]).sort(),
        'each slot written once in the sandbox',
      );
      for (const booking of rows) {
        const slot = sandbox.diary.slot(Number(booking.ehr_slot_id));
        t.equal(`${booking.ehr_slot_id}:${slot?.patientNumber}`, booking.ehr_booking_ref);
        t.equal(slot?.status, 'Booked');
      }
      t.comment(
        `lease 10 s; both confirmed by the new process ${takeoverSeconds.toFixed(1)} s after the kill; ` +
          `sandbox calls ${JSON.stringify(countBy(sandbox.calls, (c) => `${c.operation}${c.fault ? `(${c.fault})` : ''}`))}`,
      );
      second.child.kill('SIGTERM');
      await second.exited;
    },
  );
}
