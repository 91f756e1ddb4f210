/**
 * Frozen. A connection's health follows its reads (connection-health.ts):
 * - `degraded`: reads are failing but not for long (healthy → degraded → failing);
 * - `sync_failures`: failed reads in a row since the last good one;
 * - `last_sync_fix`: what the practice should do about the last failure, in its words (from the
 *   plugin's error table).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('connections').dropConstraint('connections_status_chk').execute();
  await db.schema
    .alterTable('connections')
    .addColumn('sync_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_sync_fix', 'text')
    .execute();
  await db.schema
    .alterTable('connections')
    .addCheckConstraint(
      'connections_status_chk',
      sql`status in ('unchecked', 'healthy', 'degraded', 'failing')`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.updateTable('connections').set({ status: 'failing' }).where('status', '=', 'degraded').execute();
  await db.schema.alterTable('connections').dropConstraint('connections_status_chk').execute();
  await db.schema.alterTable('connections').dropColumn('sync_failures').dropColumn('last_sync_fix').execute();
  await db.schema
    .alterTable('connections')
    .addCheckConstraint('connections_status_chk', sql`status in ('unchecked', 'healthy', 'failing')`)
    .execute();
}
