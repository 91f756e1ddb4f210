import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import t from 'tap';
import { BOOKING_WRITE_RETRY_LIMIT, retryDelaySeconds } from '../src/booking/write-back.ts';
import { Slotbridge } from '../src/slotbridge.ts';
import { silentLog, testEncryptionKey } from '../src/testing/index.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

async function stateOf(slotbridge: Slotbridge, id: string): Promise<string> {
  const row = await slotbridge.db
    .selectFrom('bookings')
    .select('state')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.state;
}

t.test('retries back off 2, 4, 8, 16, 32 seconds, five times', async (t) => {
  t.same([1, 2, 3, 4, 5].map(retryDelaySeconds), [2, 4, 8, 16, 32]);
  t.equal(BOOKING_WRITE_RETRY_LIMIT, 5);
});

t.test(
  'a write whose process died mid-call is taken over when its lease lapses, and written once',
  async (t) => {
    const setup = await memoryPractice();
    t.teardown(setup.close);
    const { slotbridge, memory, practice, caller } = setup;
    memory.slots.push(...tomorrowSlots(2));
    await slotbridge.sync.run(practice, 'manual');
    const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
    const { booking } = await slotbridge.bookings.create(caller, practice, 'lease-1', {
      slotId: slot!.id,
      patient,
    });

    // "Process one" claims the command and dies before recording anything.
    const [claimed] = await slotbridge.writeBack.claim(10);
    t.match(claimed, { booking_id: booking.id, attempts: 1, lease_owner: slotbridge.writeBack.owner });
    t.same(await slotbridge.writeBack.claim(10), [], 'a leased command is nobody else’s');
    // ...having written to the EHR: the answer was lost with the process.
    memory.booked.set(slot!.ehrSlotId, booking.id);
    await sql`update outbox_commands set lease_until = now() - interval '1 second'`.execute(slotbridge.db);

    // "Process two" starts: its first claim finds the lapsed lease, the repeated write is harmless.
    const two = await Slotbridge.create({
      db: slotbridge.db,
      connectionString: setup.connectionString,
      encryptionKey: testEncryptionKey,
      log: silentLog,
    });
    two.ehr.register(memory.definition);
    await two.startWorkers();
    t.teardown(() => two.close());
    for (let i = 0; i < 50 && (await stateOf(slotbridge, booking.id)) !== 'confirmed'; i++) await sleep(100);
    t.equal(await stateOf(slotbridge, booking.id), 'confirmed');
    const command = await slotbridge.db.selectFrom('outbox_commands').selectAll().executeTakeFirstOrThrow();
    t.match(command, { state: 'done', attempts: 2, lease_owner: null });
    t.equal(memory.booked.get(slot!.ehrSlotId), booking.id, 'one appointment in the EHR diary');

    // Process one comes back to life and finishes its call: its lease is gone, so it records nothing.
    t.equal(await slotbridge.writeBack.execute(claimed!), 'lost');
    t.match(await slotbridge.db.selectFrom('outbox_commands').selectAll().executeTakeFirstOrThrow(), {
      state: 'done',
      attempts: 2,
    });
  },
);

t.test('a burst at one practice takes at most 4 write slots, leaving the rest for others', async (t) => {
  const setup = await memoryPractice({ engine: { writeConcurrency: 8 } });
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller } = setup;
  memory.slots.push(...tomorrowSlots(12));
  await slotbridge.sync.run(practice, 'manual');
  const slots = await slotbridge.availability.offered(slotbridge.db, practice);
  for (const [i, slot] of slots.slice(0, 10).entries()) {
    await slotbridge.bookings.create(caller, practice, `burst-${i}`, { slotId: slot.id, patient });
  }
  const claimed = await slotbridge.writeBack.claim(8);
  t.equal(claimed.length, 4, 'at most 4 commands of one practice are in flight');
  t.ok(claimed.every((c) => c.practice_id === practice.id));
});

t.test('the EHR refusing a booking as "slot taken" takes the slot off offer at once', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller } = setup;
  memory.slots.push(...tomorrowSlots(2));
  await slotbridge.sync.run(practice, 'manual');
  const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
  // Reception booked it after our last sync.
  memory.booked.set(slot!.ehrSlotId, 'reception');
  const { booking } = await slotbridge.bookings.create(caller, practice, 'taken-1', {
    slotId: slot!.id,
    patient,
  });
  const [claimed] = await slotbridge.writeBack.claim(1);
  t.equal(await slotbridge.writeBack.execute(claimed!), 'failed');
  t.match(
    await slotbridge.db.selectFrom('bookings').selectAll().where('id', '=', booking.id).executeTakeFirst(),
    {
      state: 'failed',
      failure_code: 'MEM_ERR_SLOT_TAKEN',
    },
  );
  t.notOk(
    (await slotbridge.availability.offered(slotbridge.db, practice)).some((s) => s.id === slot!.id),
    'not offered again before the next sync',
  );
  await t.rejects(
    slotbridge.bookings.create(caller, practice, 'taken-2', { slotId: slot!.id, patient }),
    { code: 'SB_ERR_SLOT_TAKEN' },
    'and a second attempt is refused here, not sent to the EHR',
  );
});

t.test(
  'retries running out on transient failures: awaiting reconciliation, never "failed"; the diary settles it',
  async (t) => {
    for (const landed of [true, false]) {
      await t.test(landed ? 'the write had landed: confirmed' : 'it had not: cancelled', async (t) => {
        const setup = await memoryPractice();
        t.teardown(setup.close);
        const { slotbridge, memory, practice, caller } = setup;
        memory.slots.push(...tomorrowSlots(2));
        await slotbridge.sync.run(practice, 'manual');
        const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
        const { booking } = await slotbridge.bookings.create(caller, practice, `unknown-${landed}`, {
          slotId: slot!.id,
          patient,
        });
        memory.failNext('write', 'transient', BOOKING_WRITE_RETRY_LIMIT + 1);
        const outcomes: string[] = [];
        for (let attempt = 0; attempt <= BOOKING_WRITE_RETRY_LIMIT; attempt++) {
          // Each retry is due at once, not after its back-off.
          await sql`update outbox_commands set available_at = now()`.execute(slotbridge.db);
          const [claimed] = await slotbridge.writeBack.claim(1);
          outcomes.push(await slotbridge.writeBack.execute(claimed!));
        }
        t.same(outcomes, [...Array(BOOKING_WRITE_RETRY_LIMIT).fill('retry'), 'unknown']);
        t.match(
          await slotbridge.db
            .selectFrom('bookings')
            .selectAll()
            .where('id', '=', booking.id)
            .executeTakeFirst(),
          {
            state: 'needs_reconciliation',
            failure_code: 'MEM_ERR_TRANSIENT',
            failure_reason: /^Whether the EHR made the appointment is not known after 6 attempts/,
            ehr_booking_ref: null,
          },
        );
        t.notOk(
          (await slotbridge.availability.offered(slotbridge.db, practice)).some((s) => s.id === slot!.id),
          'the booking keeps its slot',
        );
        // The last attempt landed in the EHR and its answer was lost, or nothing landed.
        if (landed) memory.booked.set(slot!.ehrSlotId, booking.id);
        await slotbridge.sync.run(practice, 'manual');
        if (landed) {
          // The slot is booked: the book command goes once more, finds its own booking, and so
          // records the EHR's reference.
          t.equal(await stateOf(slotbridge, booking.id), 'needs_reconciliation');
          const [again] = await slotbridge.writeBack.claim(1);
          t.match(again, { booking_id: booking.id, kind: 'book' });
          t.equal(await slotbridge.writeBack.execute(again!), 'confirmed');
          t.equal(memory.calls.write, BOOKING_WRITE_RETRY_LIMIT + 2, 'one write more');
          await slotbridge.sync.run(practice, 'manual');
          t.same(await slotbridge.writeBack.claim(1), [], 'and no other');
        }
        t.equal(await stateOf(slotbridge, booking.id), landed ? 'confirmed' : 'cancelled_in_ehr');
        if (landed) {
          t.match(
            await slotbridge.db
              .selectFrom('bookings')
              .selectAll()
              .where('id', '=', booking.id)
              .executeTakeFirst(),
            { ehr_booking_ref: /./ },
            "with the EHR's reference",
          );
        }
      });
    }
  },
);

t.test(
  'a process without the practice’s EHR plugin leaves its write-backs pending for one that has it',
  async (t) => {
    const setup = await memoryPractice();
    t.teardown(setup.close);
    const { slotbridge, memory, practice, caller } = setup;
    memory.slots.push(...tomorrowSlots(1));
    await slotbridge.sync.run(practice, 'manual');
    const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
    const { booking } = await slotbridge.bookings.create(caller, practice, 'unlisted-1', {
      slotId: slot!.id,
      patient,
    });
    // A process whose plugin list no longer names this EHR: it loads another.
    const other = await Slotbridge.create({
      db: slotbridge.db,
      connectionString: setup.connectionString,
      encryptionKey: testEncryptionKey,
      log: silentLog,
    });
    t.teardown(() => other.close());
    other.ehr.register({ ...memory.definition, id: 'another-ehr' });
    t.same(await other.writeBack.claim(10), [], 'nothing claimed');
    t.equal(await stateOf(slotbridge, booking.id), 'pending', 'the booking is not failed');
    const [claimed] = await slotbridge.writeBack.claim(10);
    t.match(claimed, { booking_id: booking.id, attempts: 1 }, 'a process with the plugin takes it');
  },
);
