import t from 'tap';
import { memoryPractice, memorySlot, tomorrowSlots } from './helpers/memory-practice.ts';

t.test('the first sync stores the window; a second with nothing changed writes nothing', async (t) => {
  const { slotbridge, memory, practice, close } = await memoryPractice();
  t.teardown(close);
  memory.slots.push(...tomorrowSlots(5));
  const first = await slotbridge.sync.run(practice, 'manual');
  t.match(first, { status: 'succeeded', fetched: 5, inserted: 5, updated: 0, deleted: 0, unchanged: 0 });
  const before = await slotbridge.db.selectFrom('slots').select(['id', 'updated_at']).orderBy('id').execute();

  const second = await slotbridge.sync.run(practice, 'manual');
  t.match(second, { status: 'succeeded', fetched: 5, inserted: 0, updated: 0, deleted: 0, unchanged: 5 });
  const after = await slotbridge.db.selectFrom('slots').select(['id', 'updated_at']).orderBy('id').execute();
  t.same(after, before, 'no row was touched');
});

t.test('exactly the changes are written: one booked in the EHR, one removed, one added', async (t) => {
  const { slotbridge, memory, practice, close } = await memoryPractice();
  t.teardown(close);
  memory.slots.push(...tomorrowSlots(4));
  await slotbridge.sync.run(practice, 'manual');
  const untouched = await slotbridge.db
    .selectFrom('slots')
    .select(['ehr_slot_id', 'updated_at'])
    .where('ehr_slot_id', 'in', ['s1', 's4'])
    .orderBy('ehr_slot_id')
    .execute();

  memory.slots[1] = { ...memory.slots[1]!, status: 'booked', ehrStatus: 'Booked' };
  memory.slots.splice(2, 1); // s3 deleted by reception
  memory.slots.push(memorySlot('s9', new Date(memory.slots[0]!.startAt.getTime() + 3_600_000)));
  const run = await slotbridge.sync.run(practice, 'manual');
  t.match(run, { fetched: 4, inserted: 1, updated: 1, deleted: 1, unchanged: 2 });

  const rows = await slotbridge.db
    .selectFrom('slots')
    .select(['ehr_slot_id', 'status'])
    .orderBy('ehr_slot_id')
    .execute();
  t.same(rows, [
    { ehr_slot_id: 's1', status: 'free' },
    { ehr_slot_id: 's2', status: 'booked' },
    { ehr_slot_id: 's4', status: 'free' },
    { ehr_slot_id: 's9', status: 'free' },
  ]);
  const stillUntouched = await slotbridge.db
    .selectFrom('slots')
    .select(['ehr_slot_id', 'updated_at'])
    .where('ehr_slot_id', 'in', ['s1', 's4'])
    .orderBy('ehr_slot_id')
    .execute();
  t.same(stillUntouched, untouched);
});

t.test('only active slot types are kept; a type taken off the list leaves at the next sync', async (t) => {
  const { slotbridge, memory, practice, caller, close } = await memoryPractice();
  t.teardown(close);
  memory.slots.push(
    ...tomorrowSlots(2),
    ...tomorrowSlots(2, 'n').map((s) => ({ ...s, ehrSlotTypeId: 'st2' })),
  );
  const run = await slotbridge.sync.run(practice, 'manual');
  t.match(run, { fetched: 2, inserted: 2 }, 'st2 is not active: ignored even though the diary has it');

  await slotbridge.mappings.putActiveSlotTypes(caller, practice, []);
  const emptied = await slotbridge.sync.run(practice, 'manual');
  t.match(emptied, { fetched: 0, deleted: 2 });
  t.equal(memory.calls.fetch, 1, 'with no active slot type the EHR is not even asked');
});

t.test('a failed fetch writes nothing but the run and the connection error', async (t) => {
  const { slotbridge, memory, practice, caller, close } = await memoryPractice();
  t.teardown(close);
  memory.slots.push(...tomorrowSlots(3));
  await slotbridge.sync.run(practice, 'manual');
  memory.slots.length = 0;
  memory.failNext('fetch', 'transient');
  const failed = await slotbridge.sync.run(practice, 'manual');
  t.match(failed, { status: 'failed', error_code: 'MEM_ERR_TRANSIENT', inserted: 0, deleted: 0 });
  t.equal((await slotbridge.db.selectFrom('slots').select('id').execute()).length, 3, 'slots kept');
  const connection = await slotbridge.connections.view(await slotbridge.practices.get(caller, practice.id));
  t.match(connection, {
    status: 'degraded',
    syncFailures: 1,
    lastSyncError: 'MEM_ERR_TRANSIENT: injected transient',
  });

  memory.failNext('fetch', 'auth_failed');
  await slotbridge.sync.run(practice, 'manual');
  t.equal(
    (await slotbridge.connections.view(practice)).status,
    'failing',
    'refused credentials mark it failing',
  );
});

t.test(
  'our booking whose slot vanishes: cancelled_in_ehr when the EHR lists booked slots, kept otherwise',
  async (t) => {
    for (const listsBookedSlots of [true, false]) {
      const { slotbridge, memory, practice, caller, close } = await memoryPractice({ listsBookedSlots });
      memory.slots.push(...tomorrowSlots(2));
      await slotbridge.sync.run(practice, 'manual');
      const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
      const { booking } = await slotbridge.bookings.create(caller, practice, `vanish-${listsBookedSlots}`, {
        slotId: slot!.id,
        patient: { firstName: 'A', lastName: 'B', dateOfBirth: '1990-01-01' },
      });
      const past = new Date(Date.now() - 60_000);
      await slotbridge.db
        .updateTable('bookings')
        .set({ state: 'confirmed', confirmed_at: past, updated_at: past })
        .where('id', '=', booking.id)
        .execute();
      memory.slots.splice(0, 1); // the session is removed in the EHR
      const run = await slotbridge.sync.run(practice, 'manual');
      const after = await slotbridge.bookings.get(practice, booking.id);
      if (listsBookedSlots) {
        t.equal(run.bookings_changed, 1);
        t.equal(after.state, 'cancelled_in_ehr', 'a diary listing booked slots lost it: cancelled there');
      } else {
        t.equal(run.bookings_changed, 0);
        t.equal(after.state, 'confirmed', 'a diary listing free slots only says nothing about it');
      }
      await close();
    }
  },
);
