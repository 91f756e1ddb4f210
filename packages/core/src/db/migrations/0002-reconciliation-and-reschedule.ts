/**
 * Frozen. Bookings may await reconciliation (the patient could not be matched and the slot is
 * held with the unregistered-patient slot type), and a booking may replace another
 * (reschedule: the new slot is held before the old is released).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').dropConstraint('bookings_state_chk').execute();
  await db.schema
    .alterTable('bookings')
    .addCheckConstraint(
      'bookings_state_chk',
      sql`state in ('pending', 'confirmed', 'needs_reconciliation', 'failed', 'cancelling', 'cancelled', 'cancelled_in_ehr')`,
    )
    .execute();
  await db.schema
    .alterTable('bookings')
    .addColumn('replaces_booking_id', 'uuid', (c) => c.references('bookings.id').onDelete('set null'))
    .execute();
  await db.schema.dropIndex('bookings_one_live_per_slot').execute();
  await db.schema
    .createIndex('bookings_one_live_per_slot')
    .on('bookings')
    .column('slot_id')
    .unique()
    .where(sql.ref('state'), 'in', sql`('pending', 'confirmed', 'needs_reconciliation', 'cancelling')`)
    .execute();
  // What a sync learnt about our own bookings: cancelled in the EHR, or reconciled there.
  await db.schema
    .alterTable('sync_runs')
    .addColumn('bookings_changed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_runs').dropColumn('bookings_changed').execute();
  await db.schema.dropIndex('bookings_one_live_per_slot').execute();
  await db.schema
    .createIndex('bookings_one_live_per_slot')
    .on('bookings')
    .column('slot_id')
    .unique()
    .where(sql.ref('state'), 'in', sql`('pending', 'confirmed', 'cancelling')`)
    .execute();
  await db.schema.alterTable('bookings').dropColumn('replaces_booking_id').execute();
  await db.schema.alterTable('bookings').dropConstraint('bookings_state_chk').execute();
  await db.schema
    .alterTable('bookings')
    .addCheckConstraint(
      'bookings_state_chk',
      sql`state in ('pending', 'confirmed', 'failed', 'cancelling', 'cancelled', 'cancelled_in_ehr')`,
    )
    .execute();
}
