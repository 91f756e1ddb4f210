/**
 * Test support, exported as `@slotbridge/core/testing`: an isolated real PostgreSQL database
 * per test file, and a core wired to it. The database server comes from
 * SLOTBRIDGE_TEST_DATABASE_URL, which `npm test` sets (embedded PostgreSQL by default).
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, migrateToLatest, migrations, openDatabase } from '../db/database.ts';
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

/** The name of the migrated template for the current migrations: their names and code, hashed. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const [name, migration] of Object.entries(migrations)) {
    hash.update(
      `${name}\n${String(migration.up)}\n${String((migration as { down?: unknown }).down ?? '')}\n`,
    );
  }
  return `sb_template_${hash.digest('hex').slice(0, 16)}`;
}

/** Templates of other migration sets are dropped once they are this old (they may still be in use). */
const STALE_TEMPLATE_MS = 60 * 60_000;

/**
 * Makes sure the server has a migrated template database for the current migrations. Test files
 * run in parallel: an advisory lock lets one build it while the others wait. It is built under
 * another name and renamed when complete, and takes no connections, so it can always be cloned.
 */
async function ensureTemplate(admin: pg.Client, base: URL, template: string): Promise<void> {
  const exists = async () =>
    (await admin.query('select 1 from pg_database where datname = $1', [template])).rowCount === 1;
  if (await exists()) return;
  await admin.query("select pg_advisory_lock(hashtext('slotbridge test template'))");
  try {
    if (await exists()) return;
    const building = `${template}_building_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${building}`);
    const url = new URL(base.toString());
    url.pathname = `/${building}`;
    const db = openDatabase({ connectionString: url.toString(), max: 1 });
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      await admin.query(`drop database if exists ${building} with (force)`);
      throw error;
    }
    await db.destroy();
    await admin.query(`alter database ${building} rename to ${template}`);
    await admin.query(`alter database ${template} with is_template true allow_connections false`);
    await admin.query(`comment on database ${template} is 'slotbridge test template, built ${Date.now()}'`);
    // Templates of other migration sets (a migration edited since), once no run can still use them.
    const others = await admin.query<{ datname: string; comment: string | null }>(
      "select datname, shobj_description(oid, 'pg_database') as comment from pg_database where datname like 'sb\\_template\\_%' and datname <> $1",
      [template],
    );
    for (const { datname, comment } of others.rows) {
      const built = Number(/built (\d+)/.exec(comment ?? '')?.[1] ?? 0);
      if (Date.now() - built < STALE_TEMPLATE_MS) continue;
      await admin.query(`alter database ${datname} with is_template false`);
      await admin.query(`drop database if exists ${datname} with (force)`);
    }
  } finally {
    await admin.query("select pg_advisory_unlock(hashtext('slotbridge test template'))");
  }
}

/**
 * A new database on the test server: migrated (a clone of the template database of the current
 * migrations, built once per server), or empty with `migrate: false`.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const base = new URL(serverUrl());
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    if (options.migrate === false) {
      await admin.query(`create database ${name}`);
    } else {
      const template = templateName();
      for (let attempt = 1; ; attempt++) {
        await ensureTemplate(admin, base, template);
        try {
          await admin.query(`create database ${name} template ${template}`);
          break;
        } catch (error) {
          // Dropped by another run between the check and the clone: build it again, once.
          if ((error as { code?: string }).code !== '3D000' || attempt > 1) throw error;
        }
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  const db = openDatabase({ connectionString, max: 5 });
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
  type EhrErrorTable,
  ehrConformanceSuite,
  nextClockChanges,
  type PlacedSlot,
} from './conformance.ts';

export { hookContext, type LogEntry } from './hook-context.ts';
