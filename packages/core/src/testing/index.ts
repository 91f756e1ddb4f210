/**
 * Test support, exported as `@slotbridge/core/testing`: an isolated real PostgreSQL database
 * per test file, and a core wired to it. The database server comes from
 * SLOTBRIDGE_TEST_DATABASE_URL, which `npm test` sets (embedded PostgreSQL by default).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, migrateToLatest, openDatabase } from '../db/database.ts';
import type { HookLogger } from '../ehr-plugin.ts';
import { Slotbridge, type SlotbridgeOptions } from '../slotbridge.ts';

export interface TestDatabase {
  db: Db;
  connectionString: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export const silentLog: HookLogger = { debug() {}, info() {}, warn() {}, error() {} };

export const testEncryptionKey = Buffer.alloc(32, 7);

function serverUrl(): string {
  const url = process.env.SLOTBRIDGE_TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'SLOTBRIDGE_TEST_DATABASE_URL is not set. Run the tests with `npm test` (it starts an embedded PostgreSQL), or set it to a PostgreSQL server URL whose user may create databases.',
    );
  }
  return url;
}

/** A new, empty, migrated database on the test server. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const base = new URL(serverUrl());
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  const db = openDatabase({ connectionString, max: 5 });
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    db,
    connectionString,
    async drop() {
      await db.destroy();
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A core on a fresh test database. Close it with `close()`, which also drops the database. */
export async function createTestSlotbridge(
  options: Partial<Omit<SlotbridgeOptions, 'db' | 'connectionString'>> = {},
): Promise<{ slotbridge: Slotbridge; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const slotbridge = await Slotbridge.create({
    db: database.db,
    connectionString: database.connectionString,
    encryptionKey: testEncryptionKey,
    log: silentLog,
    pollingIntervalSeconds: 0.5,
    ...options,
  });
  return {
    slotbridge,
    database,
    async close() {
      await slotbridge.close();
      await database.drop();
    },
  };
}

export { createMemoryEhr, type MemoryEhr } from './memory-ehr.ts';

/** Puts entries straight into a practice's EHR catalogue, as a discover would (test fixture). */
export async function insertCatalogue(
  db: Db,
  practiceId: string,
  entries: { kind: 'practitioner' | 'location' | 'slot_type'; ehrId: string; name: string }[],
): Promise<void> {
  await db
    .insertInto('ehr_catalogue')
    .values(entries.map((e) => ({ practice_id: practiceId, kind: e.kind, ehr_id: e.ehrId, name: e.name })))
    .execute();
}

export {
  type ConformanceSandbox,
  type ConformanceSubject,
  ehrConformanceSuite,
} from './conformance.ts';

export { hookContext, type LogEntry } from './hook-context.ts';
