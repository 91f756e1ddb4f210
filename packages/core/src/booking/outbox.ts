/**
 * The outbox: a command to write a booking change to the EHR, stored in the same transaction as
 * the change. The outbox is the write-back queue itself: a notification wakes the workers when
 * the transaction commits, and a worker claims the command with a lease (write-back.ts).
 */
import { sql, type Transaction } from 'kysely';
import { DateTime } from 'luxon';
import { Channel } from '../coordination.ts';
import type { Database } from '../db/schema.ts';
import { refreshPayload } from '../sync/scheduler.ts';

export async function enqueueBookingWrite(
  trx: Transaction<Database>,
  practiceId: string,
  bookingId: string,
  kind: 'book' | 'cancel',
): Promise<void> {
  await trx
    .insertInto('outbox_commands')
    .values({ practice_id: practiceId, booking_id: bookingId, kind, last_error_code: null, last_error: null })
    .execute();
  await sql`select pg_notify(${Channel.outbox}, ${practiceId})`.execute(trx);
}

/**
 * Asks the scheduler that owns the practice to read the practitioner's local day around `at`
 * again, at once (after a booking, a cancellation or an EHR refusal). Sent when `trx` commits.
 */
export async function requestDayRefresh(
  trx: Transaction<Database>,
  practice: { id: string; time_zone: string },
  ehrPractitionerId: string | null,
  at: Date,
): Promise<void> {
  const day = DateTime.fromJSDate(at, { zone: practice.time_zone }).startOf('day');
  const payload = refreshPayload(
    practice.id,
    ehrPractitionerId,
    day.toJSDate(),
    day.plus({ days: 1 }).toJSDate(),
  );
  await sql`select pg_notify(${Channel.refresh}, ${payload})`.execute(trx);
}
