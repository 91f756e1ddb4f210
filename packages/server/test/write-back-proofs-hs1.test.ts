/**
 * Issue #9, point 8, proof 2 for HS1 Exact: the write-back against a real server process (`cli.ts
 * serve` from the sources), one test database and an HS1 Exact sandbox over HTTP in this process
 * failing 20 % of its calls at random (seeded): errors, hangs, dropped connections, and writes
 * whose answer is lost. Every booking ends terminal; nothing is written twice. HS1 Exact's create
 * is idempotent by `externalRef` (the booking id), so a retry after a lost answer is answered the
 * appointment the lost call made. docs/reliability.md ("The EHR failing 20 % of calls") reports
 * the figures.
 *
 * Slow (a real process, minutes of retries): CI's second pass skips it (SLOTBRIDGE_TEST_SKIP_SLOW).
 * Conditions are waited for with generous caps, never timed.
 */
import { createTestSlotbridge } from '@slotbridge/core/testing';
import hs1ExactPlugin from '@slotbridge/plugin-hs1-exact';
import { createHs1ExactSandbox, type Hs1ExactSandbox } from '@slotbridge/plugin-hs1-exact/sandbox';
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

const TIME_ZONE = 'Australia/Sydney';

if (process.env.SLOTBRIDGE_TEST_SKIP_SLOW) {
  t.plan(0, 'slow proofs with real server processes ran in the first pass');
} else {
  t.setTimeout(20 * 60_000);
  tests();
}

interface Practice {
  databaseUrl: string;
  db: Awaited<ReturnType<typeof createTestSlotbridge>>['slotbridge']['db'];
  sandbox: Hs1ExactSandbox;
  key: string;
  practiceId: string;
}

/**
 * A test database with an HS1 Exact practice set up (catalogue mapped) and synced once, by an
 * in-process app that runs no workers; the server process then shares the database.
 */
async function hs1Practice(t: Test): Promise<Practice> {
  const sandbox = await createHs1ExactSandbox({ timeZone: TIME_ZONE, demo: { days: 28 } });
  await sandbox.listen();
  const { slotbridge, database } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: [hs1ExactPlugin], logger: false });
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
      payload: { name: 'Harbourside Dental', ehr: 'hs1-exact', timeZone: TIME_ZONE },
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

/** Exact matches or registers the patient by name and date of birth: any patient will do. */
const PATIENTS = [
  { firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1992-06-14' },
  { firstName: 'Liam', lastName: 'Walker', dateOfBirth: '1985-11-02' },
  { firstName: 'Ava', lastName: 'Patel', dateOfBirth: '2001-03-27' },
  { firstName: 'Noah', lastName: 'Kelly', dateOfBirth: '1970-08-09' },
];

function book(server: Server, practice: Practice, slotId: string, key: string, n: number): Promise<Attempt> {
  return postBooking(server, practice, slotId, key, PATIENTS[n % PATIENTS.length]!);
}

/** Waits until every booking is in one of `terminal`; answers the rows. */
async function settled(practice: Practice, ids: string[], terminal: string[], capMs = 300_000) {
  const rows = () =>
    practice.db
      .selectFrom('bookings')
      .select(['id', 'state', 'failure_code', 'ehr_slot_id', 'ehr_booking_ref'])
      .where('id', 'in', ids)
      .execute();
  try {
    await until(
      `${ids.length} bookings terminal`,
      async () => (await rows()).every((b) => terminal.includes(b.state)),
      capMs,
    );
  } catch (error) {
    const left = (await rows()).filter((b) => !terminal.includes(b.state));
    const commands = await practice.db
      .selectFrom('outbox_commands')
      .select(['booking_id', 'state', 'attempts', 'last_error_code', 'last_error'])
      .where(
        'booking_id',
        'in',
        left.map((b) => b.id),
      )
      .execute();
    const made = practice.sandbox.practiceServer
      .appointments()
      .filter((a) => left.some((b) => b.id === a.externalRef))
      .map((a) => ({ id: a.id, externalRef: a.externalRef, statusHistory: a.statusHistory }));
    throw new Error(`${(error as Error).message}; not terminal: ${JSON.stringify({ left, commands, made })}`);
  }
  return rows();
}

function tests(): void {
  t.test(
    'the HS1 Exact sandbox fails 20 % of calls (errors, hangs, drops, lost answers): every booking ends terminal, none written twice',
    async (t) => {
      const practice = await hs1Practice(t);
      const { sandbox } = practice;
      // A shorter lease than the default 60 s: a call that hangs is given up after ¾ of it (22.5 s),
      // not 45 s. Not EMIS's 8 s: the wait for HS1's budget (30 calls a minute, a token every 2 s)
      // counts in the call's time, and 4 writes in flight of 2 calls each starve in 6 s (every
      // attempt ends "aborted due to timeout": docs/reliability.md).
      const server = await serve(practice.databaseUrl, {
        SLOTBRIDGE_WRITE_LEASE_SECONDS: process.env.PROOF_HS1_LEASE_SECONDS ?? '30',
      });
      const slots = await pickSlots(server, practice, 40, 2);
      sandbox.calls.length = 0;
      sandbox.faults.chaos({ rate: 0.2, seed: 9 });

      const started = Date.now();
      const attempts = await pool(
        slots.map((slot, n) => () => book(server, practice, slot.id, `proof-hs1-${n}`, n)),
        8,
      );
      t.same(
        countBy(attempts, (a) => String(a.status)),
        { 201: 40 },
        'all 40 accepted (the accept does not call the EHR)',
      );
      const ids = attempts.map((a) => a.body.id!);
      // A booking whose retries ran out not knowing whether Exact wrote it awaits reconciliation
      // until the diary settles it: wait for that too.
      // HS1's 30 calls a minute are shared by the writes, their retries and the diary reads: the
      // cap is generous (the far window is read every 5 minutes).
      const rows = await settled(practice, ids, ['confirmed', 'failed', 'cancelled_in_ehr'], 900_000);
      const terminalSeconds = (Date.now() - started) / 1000;
      sandbox.faults.clear();

      const calls = sandbox.calls;
      const faults = countBy(
        calls.filter((c) => c.fault),
        (c) => c.fault!,
      );
      const failedShare = calls.filter((c) => c.fault).length / calls.length;
      const writeFaults = Object.fromEntries(
        ['CreateAppointment', 'ConfirmAppointment'].map((operation) => [
          operation,
          countBy(
            calls.filter((c) => c.operation === operation),
            (c) => c.fault ?? 'none',
          ),
        ]),
      );
      const outcomes = countBy(rows, (b) =>
        b.state === 'confirmed' ? b.state : `${b.state} ${b.failure_code}`,
      );
      const commands = await practice.db
        .selectFrom('outbox_commands')
        .select(['booking_id', 'attempts', 'state', 'last_error'])
        .where('booking_id', 'in', ids)
        .execute();
      // Commands whose retries ran out, and what became of their bookings (the diary settled them).
      const ranOut = commands
        .filter((c) => c.state === 'failed')
        .map((c) => `${rows.find((b) => b.id === c.booking_id)?.state} after ${c.last_error}`);
      t.comment(
        `${calls.length} sandbox calls, ${(failedShare * 100).toFixed(1)} % faulted: ${JSON.stringify(faults)}; ` +
          `writes ${JSON.stringify(writeFaults)}; outcomes ${JSON.stringify(outcomes)}; ` +
          `attempts per command ${JSON.stringify(countBy(commands, (c) => String(c.attempts)))}; ` +
          `retries ran out ${JSON.stringify(countBy(ranOut, (r) => r))}; ` +
          `all terminal ${terminalSeconds.toFixed(1)} s after the first booking was sent`,
      );
      t.ok(failedShare > 0.1 && failedShare < 0.3, 'about a fifth of the calls failed');
      for (const kind of ['error', 'hang', 'drop', 'lost-answer'])
        t.ok((faults[kind] ?? 0) > 0, `faults of kind ${kind} were played`);
      t.ok(
        rows.every((b) => b.state === 'confirmed' || b.failure_code),
        'every booking ended confirmed, or failed or cancelled with a code',
      );
      t.ok(
        commands.every((c) => c.state === 'done' || c.state === 'failed'),
        'no command left pending',
      );

      // Every appointment CreateAppointment inserted, lost answers included (a replay of an
      // externalRef is answered the same appointment and not logged).
      const created = sandbox.practiceServer.appointmentsCreated;
      const perTime = countBy(created, (a) => `${a.providerId} ${a.date} ${a.startTime}`);
      const perBooking = countBy(created, (a) => a.externalRef);
      t.ok(
        Object.values(perTime).every((n) => n === 1),
        `no time written twice in the sandbox (${created.length} written)`,
      );
      t.ok(
        Object.values(perBooking).every((n) => n === 1),
        'no booking written twice in the sandbox',
      );
      for (const booking of rows.filter((b) => b.state === 'confirmed')) {
        const made = created.filter((a) => a.externalRef === booking.id);
        const appointment = made[0] && sandbox.practiceServer.appointment(made[0].appointmentId);
        t.ok(
          made.length === 1 &&
            appointment?.status === 'Confirmed' &&
            booking.ehr_booking_ref === appointment.id,
          `confirmed booking ${booking.id} is booked once in the sandbox, Confirmed, as ${booking.ehr_booking_ref} ` +
            `(${made.length} made, ${appointment?.id} ${appointment?.status})`,
        );
      }
      // A write whose answer was lost, then failures until the retries ran out: the booking
      // awaited reconciliation and the diary settled it, so none says failed or cancelled while
      // its appointment stands in Exact.
      const orphans = rows.filter((b) => {
        if (b.state === 'confirmed') return false;
        return created.some(
          (a) =>
            a.externalRef === b.id &&
            sandbox.practiceServer.appointment(a.appointmentId)?.status !== 'Cancelled',
        );
      });
      t.same(
        orphans.map((b) => `${b.id} ${b.state}`),
        [],
        'no booking said failed or cancelled left an appointment in the sandbox',
      );
    },
  );
}
