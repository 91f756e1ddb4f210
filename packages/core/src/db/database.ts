/** Opening the database and running the migrations. */
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/0001-initial.ts';
import * as reconciliation from './migrations/0002-reconciliation-and-reschedule.ts';
import * as engine from './migrations/0003-engine.ts';
import * as offers from './migrations/0004-offers.ts';
import * as connectionHealth from './migrations/0005-connection-health.ts';
import * as bookingVersion from './migrations/0006-booking-version.ts';
import * as webhooks from './migrations/0007-webhooks.ts';
import * as publishing from './migrations/0008-publishing.ts';
import * as listsAndKeys from './migrations/0009-lists-and-keys.ts';
import * as practiceKeys from './migrations/0010-practice-keys.ts';
import { preparingPool } from './prepared.ts';
import type { Database } from './schema.ts';

// timestamptz as Date, bigint counts as numbers (counts here never exceed 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type Db = Kysely<Database>;

export interface OpenDatabaseOptions {
  connectionString: string;
  /** Pool size; defaults to 10. */
  max?: number;
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Statements marked by prepared() are sent as named prepared statements (prepared.ts).
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
}

/**
 * Migrations in order. Add new ones at the end; never edit or reorder. (Exported for the test
 * support, which keeps a migrated template database per migration set.)
 */
export const migrations = {
  '0001-initial': initial,
  '0002-reconciliation-and-reschedule': reconciliation,
  '0003-engine': engine,
  '0004-offers': offers,
  '0005-connection-health': connectionHealth,
  '0006-booking-version': bookingVersion,
  '0007-webhooks': webhooks,
  '0008-publishing': publishing,
  '0009-lists-and-keys': listsAndKeys,
  '0010-practice-keys': practiceKeys,
};

export interface MigrationOutcome {
  applied: string[];
  error?: unknown;
}

/** Brings the schema up to date. Returns what it applied; throws when a migration failed. */
export async function migrateToLatest(db: Db): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error) throw error;
  return { applied };
}
