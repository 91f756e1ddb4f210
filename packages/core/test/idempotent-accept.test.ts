/**
 * Issue #9 (5), the accept's side: a retry of a booking request that waited for the slot's lock
 * while its first attempt committed is answered that booking, even when the slot row changed
 * meanwhile — as the write-back does when the EHR confirms the first attempt (it marks the slot
 * booked) — not 409 "slot taken".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import type { Slotbridge } from '../src/slotbridge.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

/** Until `n` lock requests wait (the slot row's queue). */
async function waiters(slotbridge: Slotbridge, n: number): Promise<void> {
  for (let i = 0; ; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks where not granted`.execute(slotbridge.db);
    if (rows[0]!.n >= n) return;
    if (i > 1000) throw new Error(`never ${n} waiting`);
    await sleep(10);
  }
}

t.test('a retry queued behind its first attempt and a change of the slot answers the booking', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller, connectionString } = setup;
  memory.slots.push(...tomorrowSlots(1));
  await slotbridge.sync.run(practice, 'manual');
  const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);

  // Another transaction holds the slot row, so each request below queues for it in turn.
  const holder = new pg.Client({ connectionString });
  const marker = new pg.Client({ connectionString });
  await holder.connect();
  await marker.connect();
  t.teardown(() => Promise.all([holder.end(), marker.end()]));
  await holder.query('begin');
  await holder.query('select id from slots where id = $1 for update', [slot!.id]);

  const request = () =>
    slotbridge.bookings.create(caller, practice, 'queued-key-1', { slotId: slot!.id, patient });
  const first = request();
  first.catch(() => {});
  await waiters(slotbridge, 1);
  // The write-back marks the slot booked once the EHR confirmed the first attempt: it queues next…
  const marked = marker.query(`update slots set status = 'booked', ehr_status = 'Booked' where id = $1`, [
    slot!.id,
  ]);
  await waiters(slotbridge, 2);
  // …and the retry, whose read began before the first attempt committed, after it.
  const retry = request();
  retry.catch(() => {});
  await waiters(slotbridge, 3);
  await holder.query('commit');

  const made = await first;
  await marked;
  const again = await retry;
  t.equal(made.created, true, 'the first attempt made the booking');
  t.equal(again.created, false, 'the retry is answered it (200), not refused as "slot taken"');
  t.equal(again.booking.id, made.booking.id);
  const rows = await slotbridge.db.selectFrom('bookings').select('id').execute();
  t.equal(rows.length, 1, 'one booking');
});
