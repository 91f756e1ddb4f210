/**
 * Frozen. Lists and keys (issue #11, part 4):
 * - `api_keys.expires_at`: a rotated key keeps working until then (the grace period), then stops;
 *   `api_keys.replaced_by`: the key that rotation issued in its place.
 * - keyset pagination indexes: a partner's keys by (created_at, id), a practice's bookings by
 *   (start_at, id) — the latter replaces the (practice_id, start_at) index it extends.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('replaced_by', 'uuid', (c) => c.references('api_keys.id').onDelete('set null'))
    .execute();
  await db.schema
    .createIndex('api_keys_partner_created_idx')
    .on('api_keys')
    .columns(['partner_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('bookings_practice_start_id_idx')
    .on('bookings')
    .columns(['practice_id', 'start_at', 'id'])
    .execute();
  await sql`drop index bookings_practice_start_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('bookings_practice_start_idx')
    .on('bookings')
    .columns(['practice_id', 'start_at'])
    .execute();
  await db.schema.dropIndex('bookings_practice_start_id_idx').execute();
  await db.schema.dropIndex('api_keys_partner_created_idx').execute();
  await db.schema.alterTable('api_keys').dropColumn('replaced_by').dropColumn('expires_at').execute();
}
