/**
 * Frozen. Practice keys: an API key for one practice, for its practice manager.
 * - `api_keys.practice_id`: the practice a practice key reaches (null: a partner key or the
 *   admin key); the key goes with its practice. A practice key also names its partner.
 * - an index on it, for the cascade when a practice is deleted.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('practice_id', 'uuid', (c) => c.references('practices.id').onDelete('cascade'))
    .execute();
  await db.schema
    .alterTable('api_keys')
    .addCheckConstraint('api_keys_practice_partner_chk', sql`practice_id is null or partner_id is not null`)
    .execute();
  await db.schema
    .createIndex('api_keys_practice_idx')
    .on('api_keys')
    .column('practice_id')
    .where(sql.ref('practice_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_keys_practice_idx').execute();
  await db.schema.alterTable('api_keys').dropConstraint('api_keys_practice_partner_chk').execute();
  await db.schema.alterTable('api_keys').dropColumn('practice_id').execute();
}
