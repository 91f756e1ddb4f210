/**
 * Reads that skip unchanged sessions (SlotWindow.knownSessions, SessionMemo): the core keeps
 * the stored slots of a session the plugin names unchanged, and trusts a digest only for the
 * age the reader allows.
 */
import t, { type Test } from 'tap';
import { CoreErrorCode } from '../src/errors.ts';
import type { SyncReadOptions } from '../src/sync/sync-practice.ts';
import { memoryPractice, memorySlot, tomorrowSlots } from './helpers/memory-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

/** Two sessions tomorrow: session-1 holds s1–s3, session-2 holds n1–n3. */
async function twoSessions(t: Test, options: { listsBookedSlots?: boolean } = {}) {
  const setup = await memoryPractice({ sessionCounts: true, ...options });
  t.teardown(setup.close);
  setup.memory.slots.push(
    ...tomorrowSlots(3),
    ...tomorrowSlots(3, 'n').map((s) =>
      memorySlot(s.ehrSlotId, new Date(s.startAt.getTime() + 4 * 3_600_000), { ehrSessionId: 'session-2' }),
    ),
  );
  const from = new Date();
  const to = new Date(from.getTime() + 3 * 86_400_000);
  const read = (options: Partial<SyncReadOptions> = {}) =>
    setup.slotbridge.sync.read(
      setup.practice,
      'near',
      { from, to },
      { record: 'when-changed', trustSessionsForMs: 60_000, ...options },
    );
  const rows = () =>
    setup.slotbridge.db
      .selectFrom('slots')
      .select(['ehr_slot_id', 'status', 'updated_at'])
      .orderBy('ehr_slot_id')
      .execute();
  return { ...setup, read, rows };
}

t.test('an unchanged session is not read again, and its stored slots stand', async (t) => {
  const { memory, read, rows, slotbridge } = await twoSessions(t);
  const first = await read();
  t.match(first, { status: 'succeeded', changed: true });
  t.equal(memory.calls.sessionReads, 2, 'the first read reads every session');
  t.equal(slotbridge.sync.sessions.size, 2, 'and remembers both');
  const stored = await rows();
  t.equal(stored.length, 6);

  const second = await read();
  t.match(second, { status: 'succeeded', changed: false });
  t.equal(memory.calls.sessionReads, 2, 'neither session was read again');
  t.same(await rows(), stored, 'no slot deleted or touched: the unchanged sessions keep theirs');

  // Reception books s2: session-1's counts change, session-2's do not.
  memory.slots[1] = { ...memory.slots[1]!, status: 'booked', ehrStatus: 'Booked' };
  const third = await read();
  t.match(third, { changed: true });
  t.equal(memory.calls.sessionReads, 3, 'only the changed session was read');
  const after = await rows();
  t.same(
    after.map((r) => `${r.ehr_slot_id} ${r.status}`),
    ['n1 free', 'n2 free', 'n3 free', 's1 free', 's2 booked', 's3 free'],
  );
  t.same(
    after.filter((r) => r.ehr_slot_id.startsWith('n')),
    stored.filter((r) => r.ehr_slot_id.startsWith('n')),
    "session-2's rows untouched",
  );

  const fourth = await read();
  t.match(fourth, { changed: false });
  t.equal(memory.calls.sessionReads, 3);
});

t.test(
  'a change that keeps the counts shows once the digest is past the age the reader trusts',
  async (t) => {
    const { memory, read, rows } = await twoSessions(t);
    await read();
    // A cancellation and a booking in session-1 between two reads: same counts.
    memory.slots[0] = { ...memory.slots[0]!, status: 'booked', ehrStatus: 'Booked' };
    await read();
    memory.slots[1] = { ...memory.slots[1]!, status: 'booked', ehrStatus: 'Booked' };
    const booked = (await rows()).filter((r) => r.status === 'booked').map((r) => r.ehr_slot_id);
    t.same(booked, ['s1']);
    memory.slots[0] = { ...memory.slots[0]!, status: 'free', ehrStatus: 'Slot Available' };
    const trusted = await read();
    t.match(trusted, { changed: false }, 'within the trusted age the swap is not seen');
    const swapped = await read({ trustSessionsForMs: 0 });
    t.match(swapped, { changed: true }, 'past it the session is read whole again');
    t.same(
      (await rows()).filter((r) => r.status === 'booked').map((r) => r.ehr_slot_id),
      ['s2'],
    );
  },
);

t.test('a whole-horizon sync reads every session; a practitioner refresh forgets what it read', async (t) => {
  const { memory, read, slotbridge, practice } = await twoSessions(t);
  await read();
  t.equal(memory.calls.sessionReads, 2);
  await slotbridge.sync.run(practice, 'manual');
  t.equal(memory.calls.sessionReads, 4, 'a manual sync passes no known sessions');
  t.equal(slotbridge.sync.sessions.size, 2, 'and vouches for both');

  const from = new Date();
  await slotbridge.sync.read(
    practice,
    'refresh',
    { from, to: new Date(from.getTime() + 3 * 86_400_000), ehrPractitionerIds: ['p1'] },
    { record: 'when-changed' },
  );
  t.equal(slotbridge.sync.sessions.size, 0, "a refresh of p1's slots leaves no session vouched for");
  await read();
  t.equal(memory.calls.sessionReads, 8, 'so the next read reads both whole again');
});

t.test('another set of active slot types starts the memo afresh', async (t) => {
  const { memory, read, slotbridge, practice, caller } = await twoSessions(t);
  await read();
  await slotbridge.mappings.putActiveSlotTypes(caller, practice, ['st1', 'st2']);
  await read();
  t.equal(memory.calls.sessionReads, 4, 'every session is read again for the new types');
});

t.test('a confirmed booking in an unchanged session stays confirmed', async (t) => {
  const { memory, read, slotbridge, practice, caller } = await twoSessions(t, { listsBookedSlots: true });
  // A whole-horizon read, so that the practice is fresh and offers its slots.
  await slotbridge.sync.run(practice, 'manual');
  const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
  const { booking } = await slotbridge.bookings.create(caller, practice, 'key-memo-0001', {
    slotId: slot!.id,
    patient,
  });
  // Written back and confirmed (as the worker would), and the EHR shows it booked.
  await slotbridge.db
    .updateTable('bookings')
    .set({
      state: 'confirmed',
      confirmed_at: new Date(Date.now() - 1000),
      updated_at: new Date(Date.now() - 1000),
    })
    .where('id', '=', booking.id)
    .execute();
  const index = memory.slots.findIndex((s) => s.ehrSlotId === booking.ehr_slot_id);
  memory.slots[index] = { ...memory.slots[index]!, status: 'booked', ehrStatus: 'Booked' };
  await read();
  const reads = memory.calls.sessionReads;
  const unchanged = await read();
  t.match(unchanged, { status: 'succeeded', changed: false });
  t.equal(memory.calls.sessionReads, reads, 'the session was not read');
  const after = await slotbridge.db
    .selectFrom('bookings')
    .select('state')
    .where('id', '=', booking.id)
    .executeTakeFirstOrThrow();
  t.equal(after.state, 'confirmed', 'its slot was kept as stored, so the booking is not judged cancelled');
});

t.test('a plugin naming a session it was not told of fails the read, and nothing is deleted', async (t) => {
  const { read, rows, slotbridge } = await twoSessions(t);
  await read();
  const stored = await rows();
  slotbridge.ehr.hooks.addHook('onSlotFetch', async (_ctx, window, next) => {
    const result = await next(window);
    return { ...result, unchangedSessions: [...(result.unchangedSessions ?? []), 'session-9'] };
  });
  const outcome = await read({ trustSessionsForMs: 0 });
  t.match(outcome, { status: 'failed', error: { code: CoreErrorCode.SYNC_FAILED } });
  t.match(outcome.error?.message, /session-9/);
  t.same(await rows(), stored);
});
