/**
 * Frozen. The engine at fleet scale:
 * - outbox commands are the write-back queue: a worker claims one with a lease, calls the EHR
 *   with no transaction open and records the outcome; a lapsed lease makes it claimable again;
 * - `sync_workers`: each process running the sync scheduler publishes, every few seconds, when it
 *   last read each practice it owns (so an unchanged sync writes nothing per practice);
 * - a practice may lower its EHR call budget below the plugin's;
 * - the unused incremental-sync cursor is gone.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('outbox_commands')
    .addColumn('available_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('lease_owner', 'text')
    .execute();
  await db.schema
    .createIndex('outbox_pending_idx')
    .on('outbox_commands')
    .columns(['available_at', 'id'])
    .where(sql.ref('state'), '=', 'pending')
    .execute();
  await db.schema
    .createTable('sync_workers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // { practiceId: [nearCheckedMs, farCheckedMs, nextDueMs, callsLastMinute, budgetPerMinute] }
    .addColumn('practices', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema
    .alterTable('practices')
    .addColumn('ehr_calls_per_minute', 'integer', (c) => c.check(sql`ehr_calls_per_minute > 0`))
    .execute();
  await db.schema.alterTable('connections').dropColumn('sync_cursor').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('connections').addColumn('sync_cursor', 'text').execute();
  await db.schema.alterTable('practices').dropColumn('ehr_calls_per_minute').execute();
  await db.schema.dropTable('sync_workers').execute();
  await db.schema.dropIndex('outbox_pending_idx').execute();
  await db.schema
    .alterTable('outbox_commands')
    .dropColumn('available_at')
    .dropColumn('lease_until')
    .dropColumn('lease_owner')
    .execute();
}
