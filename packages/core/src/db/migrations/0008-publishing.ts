/**
 * Frozen. SMART Scheduling Links publishing (docs/publishing.md):
 * - `practice_publishing`: a practice's opt-in and what its published resources carry (the
 *   booking deep link's template, the booking phone, the Location's contact points, address and
 *   service type). No row, or `enabled` false: nothing of the practice is published.
 * - `published_files`: per practice and resource type (Location, Schedule, Slot), a hash of what
 *   was last served and when it last changed, so `_since` can list only what changed.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('practice_publishing')
    .addColumn('practice_id', 'uuid', (c) => c.primaryKey().references('practices.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('booking_link_template', 'text')
    .addColumn('booking_phone', 'text')
    .addColumn('phone', 'text')
    .addColumn('website', 'text')
    .addColumn('address', 'jsonb')
    .addColumn('service_type', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('practice_publishing_enabled_idx')
    .on('practice_publishing')
    .column('practice_id')
    .where(sql.ref('enabled'), '=', true)
    .execute();
  await db.schema
    .createTable('published_files')
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('published_files_pkey', ['practice_id', 'kind'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('published_files').execute();
  await db.schema.dropTable('practice_publishing').execute();
}
