/**
 * Frozen. What the offer rules decided for each slot when a sync or a mapping last changed
 * (offers/offers.ts refreshOffers), so `GET …/slots` is an index range read:
 * - the mapping mapSlotType chose (feature, appointment type, --DISABLED--), for every slot;
 * - `offered`: every rule decided on change passes; `offer_refused_by`: the first that fails;
 * - the names the answer shows (appointment type, practitioner, location), copied, and the
 *   slot as `/slots` answers it (JSON, in the practice's time zone);
 * - a partial index over the offered slots by start, and one over live bookings by end, which
 *   is how the read and the accept find the bookings that hold a slot.
 * Existing slots start as not offered until their practice's next sync or mapping change.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('slots')
    .addColumn('offer_feature', 'text')
    .addColumn('offer_appointment_type_id', 'uuid')
    .addColumn('offer_disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('offered', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('offer_refused_by', 'text')
    .addColumn('offer_appointment_type_name', 'text')
    .addColumn('offer_practitioner_id', 'uuid')
    .addColumn('offer_practitioner_name', 'text')
    .addColumn('offer_location_id', 'uuid')
    .addColumn('offer_location_name', 'text')
    .addColumn('offer_json', 'text')
    .execute();
  await db.schema
    .createIndex('slots_offered_idx')
    .on('slots')
    .columns(['practice_id', 'start_at', 'id'])
    .where(sql<boolean>`offered`)
    .execute();
  await db.schema
    .createIndex('bookings_live_end_idx')
    .on('bookings')
    .columns(['practice_id', 'end_at'])
    .where(sql.ref('state'), 'in', sql`('pending', 'confirmed', 'needs_reconciliation', 'cancelling')`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bookings_live_end_idx').execute();
  await db.schema.dropIndex('slots_offered_idx').execute();
  await db.schema
    .alterTable('slots')
    .dropColumn('offer_feature')
    .dropColumn('offer_appointment_type_id')
    .dropColumn('offer_disabled')
    .dropColumn('offered')
    .dropColumn('offer_refused_by')
    .dropColumn('offer_appointment_type_name')
    .dropColumn('offer_practitioner_id')
    .dropColumn('offer_practitioner_name')
    .dropColumn('offer_location_id')
    .dropColumn('offer_location_name')
    .dropColumn('offer_json')
    .execute();
}
