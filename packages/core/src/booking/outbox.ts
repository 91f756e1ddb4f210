/**
 * The outbox: a command to write a booking change to the EHR, stored in the same transaction
 * as the change, with the job that carries it out. Neither exists unless the change commits.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { type JobQueue, Queue } from '../jobs.ts';

export async function enqueueBookingWrite(
  trx: Transaction<Database>,
  jobs: JobQueue,
  practiceId: string,
  bookingId: string,
  kind: 'book' | 'cancel',
): Promise<void> {
  const command = await trx
    .insertInto('outbox_commands')
    .values({ practice_id: practiceId, booking_id: bookingId, kind, last_error_code: null, last_error: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  await jobs.sendInTransaction(trx, Queue.bookingWrite, { commandId: command.id });
}
