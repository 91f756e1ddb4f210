import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { Booking } from '../src/db/schema.ts';
import { CoreErrorCode } from '../src/errors.ts';
import type { Slotbridge } from '../src/slotbridge.ts';
import { insertCatalogue } from '../src/testing/index.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

async function settled(slotbridge: Slotbridge, id: string, states: Booking['state'][]): Promise<Booking> {
  for (let i = 0; i < 100; i++) {
    const booking = await slotbridge.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (states.includes(booking.state)) return booking;
    await sleep(100);
  }
  throw new Error(`booking ${id} never reached ${states.join('/')}`);
}

async function readyPractice(t: Test, options: { cancel?: boolean } = {}) {
  const setup = await memoryPractice(options);
  t.teardown(setup.close);
  setup.memory.slots.push(...tomorrowSlots(3));
  await setup.slotbridge.sync.run(setup.practice, 'manual');
  const [slot] = await setup.slotbridge.availability.offered(setup.slotbridge.db, setup.practice);
  return { ...setup, slot: slot! };
}

t.test('a booking is answered pending, written back by the worker, and confirmed', async (t) => {
  const { slotbridge, memory, practice, caller, slot, appointmentTypeId } = await readyPractice(t);
  await slotbridge.startWorkers();
  const { booking, created } = await slotbridge.bookings.create(caller, practice, 'key-000001', {
    slotId: slot.id,
    patient,
  });
  t.equal(created, true);
  t.match(booking, { state: 'pending', appointment_type_id: appointmentTypeId, ehr_slot_id: 's1' });
  t.notMatch(booking.patient_ciphertext, /Alice/, 'patient details are encrypted at rest');
  const offered = await slotbridge.availability.offered(slotbridge.db, practice);
  t.notOk(
    offered.some((s) => s.id === slot.id),
    'a pending booking already takes the slot off offer',
  );

  const confirmed = await settled(slotbridge, booking.id, ['confirmed', 'failed']);
  t.match(confirmed, { state: 'confirmed', ehr_booking_ref: 'mem-s1', failure_code: null });
  t.equal(memory.booked.get('s1'), booking.id);
  const command = await slotbridge.db.selectFrom('outbox_commands').selectAll().executeTakeFirstOrThrow();
  t.match(command, { kind: 'book', state: 'done', attempts: 1 });
});

t.test('the same Idempotency-Key replays the booking; with another body it is refused', async (t) => {
  const { slotbridge, practice, caller, slot } = await readyPractice(t);
  const first = await slotbridge.bookings.create(caller, practice, 'key-000002', {
    slotId: slot.id,
    patient,
  });
  const again = await slotbridge.bookings.create(caller, practice, 'key-000002', {
    slotId: slot.id,
    patient,
  });
  t.equal(again.created, false);
  t.equal(again.booking.id, first.booking.id);
  await t.rejects(
    slotbridge.bookings.create(caller, practice, 'key-000002', {
      slotId: slot.id,
      patient: { ...patient, lastName: 'X' },
    }),
    { code: CoreErrorCode.IDEMPOTENCY_KEY_REUSED },
  );
});

t.test(
  'two requests racing for one slot: exactly one wins, the other is told the slot is taken',
  async (t) => {
    const { slotbridge, practice, caller, slot } = await readyPractice(t);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        slotbridge.bookings.create(caller, practice, `race-key-${i}`, { slotId: slot.id, patient }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.equal(won.length, 1);
    t.equal(lost.length, 7);
    for (const r of lost) t.equal(r.reason.code, CoreErrorCode.SLOT_TAKEN);
    const live = await slotbridge.db
      .selectFrom('bookings')
      .select('id')
      .where('slot_id', '=', slot.id)
      .execute();
    t.equal(live.length, 1);
  },
);

t.test(
  'transient EHR trouble is retried; a slot taken in the EHR fails the booking with the reason',
  async (t) => {
    const { slotbridge, memory, practice, caller } = await readyPractice(t);
    const [a, b] = await slotbridge.availability.offered(slotbridge.db, practice);
    await slotbridge.startWorkers();
    memory.failNext('write', 'transient');
    const retried = await slotbridge.bookings.create(caller, practice, 'key-000003', {
      slotId: a!.id,
      patient,
    });
    const confirmed = await settled(slotbridge, retried.booking.id, ['confirmed', 'failed']);
    t.equal(confirmed.state, 'confirmed');
    const command = await slotbridge.db
      .selectFrom('outbox_commands')
      .selectAll()
      .where('booking_id', '=', retried.booking.id)
      .executeTakeFirstOrThrow();
    t.match(command, { state: 'done', attempts: 2 });

    memory.booked.set(b!.ehrSlotId, 'reception'); // reception booked it before our write landed
    const taken = await slotbridge.bookings.create(caller, practice, 'key-000004', {
      slotId: b!.id,
      patient,
    });
    const failed = await settled(slotbridge, taken.booking.id, ['confirmed', 'failed']);
    t.match(failed, {
      state: 'failed',
      failure_code: 'MEM_ERR_SLOT_TAKEN',
      failure_reason: 'The slot is already booked',
    });
    t.equal(memory.calls.write, 3, 'a slot-taken answer is not retried');
  },
);

t.test('cancel: confirmed → cancelling → cancelled, and the slot is offered again', async (t) => {
  const { slotbridge, memory, practice, caller, slot } = await readyPractice(t);
  await slotbridge.startWorkers();
  const { booking } = await slotbridge.bookings.create(caller, practice, 'key-000005', {
    slotId: slot.id,
    patient,
  });
  await t.rejects(slotbridge.bookings.cancel(caller, practice, booking.id, null), {
    code: CoreErrorCode.BOOKING_NOT_CANCELLABLE,
  });
  await settled(slotbridge, booking.id, ['confirmed']);
  const cancelling = await slotbridge.bookings.cancel(caller, practice, booking.id, 'feeling better');
  t.equal(cancelling.state, 'cancelling');
  const cancelled = await settled(slotbridge, booking.id, ['cancelled']);
  t.ok(cancelled.cancelled_at);
  t.notOk(memory.booked.has('s1'));
  const offered = await slotbridge.availability.offered(slotbridge.db, practice);
  t.ok(offered.some((s) => s.id === slot.id));
});

t.test('an EHR without online cancellation refuses it, and nothing is written', async (t) => {
  const { slotbridge, practice, caller, slot } = await readyPractice(t, { cancel: false });
  const { booking } = await slotbridge.bookings.create(caller, practice, 'key-000006', {
    slotId: slot.id,
    patient,
  });
  await t.rejects(slotbridge.bookings.cancel(caller, practice, booking.id, null), {
    code: CoreErrorCode.CANCEL_UNSUPPORTED,
    message: 'Online cancellation is not supported for Memory EHR; the practice cancels in Memory EHR',
  });
  const commands = await slotbridge.db.selectFrom('outbox_commands').select('kind').execute();
  t.same(commands, [{ kind: 'book' }]);
});

t.test('one time offered as several slots (e.g. per booking reason): a booking takes them all', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller } = setup;
  const [a] = tomorrowSlots(1, 'a');
  const [b] = tomorrowSlots(1, 'b');
  const [other] = tomorrowSlots(1, 'c');
  memory.slots.push(a!, b!, { ...other!, ehrPractitionerId: 'p2' });
  await slotbridge.sync.run(practice, 'manual');
  const offered = await slotbridge.availability.offered(slotbridge.db, practice);
  t.same(offered.map((s) => s.ehrSlotId).sort(), ['a1', 'b1'], 'both variants offered (p2 is not mapped)');

  const results = await Promise.allSettled(
    offered.map((slot, i) =>
      slotbridge.bookings.create(caller, practice, `variant-key-${i}`, { slotId: slot.id, patient }),
    ),
  );
  t.equal(
    results.filter((r) => r.status === 'fulfilled').length,
    1,
    'exactly one of the racing variants wins',
  );
  const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.equal(lost?.reason.code, CoreErrorCode.SLOT_TAKEN);
  t.same(
    await slotbridge.availability.offered(slotbridge.db, practice),
    [],
    'neither variant is offered any more',
  );
});

t.test(
  'a booking made around the slot while the accept waits for the practitioner: the accept is refused',
  async (t) => {
    const setup = await memoryPractice();
    t.teardown(setup.close);
    const { slotbridge, memory, practice, caller, connectionString } = setup;
    const [a] = tomorrowSlots(1, 'a');
    const [b] = tomorrowSlots(1, 'b');
    memory.slots.push(a!, b!);
    await slotbridge.sync.run(practice, 'manual');
    const [slotA, slotB] = await slotbridge.availability.offered(slotbridge.db, practice);

    // Another transaction holds the practitioner's time, as an accept of the other slot does.
    const other = new pg.Client({ connectionString });
    await other.connect();
    t.teardown(() => other.end());
    await other.query('begin');
    await other.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${practice.id}:p1`]);
    const accepting = slotbridge.bookings.create(caller, practice, 'waits-key', {
      slotId: slotB!.id,
      patient,
    });
    accepting.catch(() => {}); // awaited below
    // The accept has locked its slot, read the bookings around it, and waits for the practitioner.
    for (let i = 0; ; i++) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(
        slotbridge.db,
      );
      if (rows[0]!.n > 0) break;
      if (i > 500) throw new Error('the accept never waited for the practitioner');
      await sleep(10);
    }
    // Meanwhile the other transaction books the overlapping slot, and commits.
    await other.query(
      `insert into bookings (practice_id, slot_id, ehr_slot_id, ehr_session_id, ehr_practitioner_id,
         ehr_location_id, ehr_slot_type_id, start_at, end_at, state, patient_ciphertext, idempotency_key,
         request_fingerprint)
       select practice_id, id, ehr_slot_id, ehr_session_id, ehr_practitioner_id, ehr_location_id,
         ehr_slot_type_id, start_at, end_at, 'pending', 'x', 'other-key', 'x'
       from slots where id = $1`,
      [slotA!.id],
    );
    await other.query('commit');

    await t.rejects(accepting, { code: CoreErrorCode.SLOT_TAKEN });
    const bookings = await slotbridge.db.selectFrom('bookings').select(['idempotency_key']).execute();
    t.same(bookings, [{ idempotency_key: 'other-key' }], 'the refused accept stored nothing');
    t.same(await slotbridge.db.selectFrom('outbox_commands').select('id').execute(), [], 'and no command');
  },
);

t.test('an unmatched patient: held for reconciliation, then resolved by the practice', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller } = setup;
  memory.unmatchedLastNames.add('Nobody');
  memory.slots.push(...tomorrowSlots(2));
  await slotbridge.sync.run(practice, 'manual');
  await slotbridge.startWorkers();
  const [first, second] = await slotbridge.availability.offered(slotbridge.db, practice);
  const unmatched = { firstName: 'No', lastName: 'Nobody', dateOfBirth: '2000-01-01' };

  // Without an unregistered-patient slot type, nothing can be held: the booking fails.
  const refused = await slotbridge.bookings.create(caller, practice, 'unmatched-1', {
    slotId: first!.id,
    patient: unmatched,
  });
  t.match(await settled(slotbridge, refused.booking.id, ['failed', 'needs_reconciliation']), {
    state: 'failed',
    failure_code: 'MEM_ERR_PATIENT_NOT_MATCHED',
  });

  await insertCatalogue(slotbridge.db, practice.id, [
    { kind: 'slot_type', ehrId: 'st9', name: 'Unregistered patient' },
  ]);
  await slotbridge.mappings.putSlotTypeFeatures(caller, practice, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: setup.appointmentTypeId },
    { ehrSlotTypeId: 'st9', feature: 'unregistered_patient', appointmentTypeId: null },
  ]);
  const held = await slotbridge.bookings.create(caller, practice, 'unmatched-2', {
    slotId: second!.id,
    patient: unmatched,
  });
  const booking = await settled(slotbridge, held.booking.id, ['failed', 'needs_reconciliation']);
  t.match(booking, { state: 'needs_reconciliation', ehr_booking_ref: `hold-${second!.ehrSlotId}` });
  t.notOk(
    (await slotbridge.availability.offered(slotbridge.db, practice)).some((s) => s.id === second!.id),
    'the held time is not offered',
  );

  const resolved = await slotbridge.bookings.resolveReconciliation(caller, practice, booking.id);
  t.match(resolved, { state: 'confirmed' });
  t.ok(resolved.confirmed_at);
  await t.rejects(slotbridge.bookings.resolveReconciliation(caller, practice, refused.booking.id), {
    code: CoreErrorCode.BOOKING_NOT_IN_RECONCILIATION,
  });
});
