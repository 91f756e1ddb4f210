/**
 * The bench's PostgreSQL: the server at SLOTBRIDGE_TEST_DATABASE_URL (its user must be able to
 * create databases) or an embedded one started for the run, and on it a fresh database that is
 * dropped at the end. Also the two things the bench reads straight from the database: how many
 * rows each table has had written (pg_stat_user_tables), and the bookings' states.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../packages/server/src/embedded-postgres.ts';

export interface BenchDatabase {
  /** postgres:// URL of the fresh database. */
  url: string;
  /** `embedded PostgreSQL 18.x` or `PostgreSQL 16.x at 127.0.0.1:5432`. */
  description: string;
  pool: pg.Pool;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function startDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let adminUrl = process.env.SLOTBRIDGE_TEST_DATABASE_URL;
  let stopEmbedded = async () => {};
  let where: string;
  if (adminUrl) {
    where = `at ${new URL(adminUrl).host}`;
    log(`PostgreSQL ${where} (SLOTBRIDGE_TEST_DATABASE_URL), a fresh database on it`);
  } else {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slotbridge-bench-'));
    log(`starting an embedded PostgreSQL in ${dataDir}`);
    const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    adminUrl = embedded.adminConnectionString;
    where = 'embedded';
    stopEmbedded = async () => {
      try {
        await embedded.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    };
  }
  const name = `slotbridge_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    const version = rows[0]?.server_version.split(' ')[0] ?? '?';
    await admin.end();
    const url = withDatabase(adminUrl, name);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    return {
      url,
      description: `PostgreSQL ${version} ${where}`,
      pool,
      async close() {
        await pool.end().catch(() => undefined);
        const dropper = new pg.Client({ connectionString: adminUrl });
        try {
          await dropper.connect();
          await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } catch (error) {
          log(`could not drop the bench database ${name}: ${(error as Error).message}`);
        } finally {
          await dropper.end().catch(() => undefined);
          await stopEmbedded();
        }
      },
    };
  } catch (error) {
    await admin.end().catch(() => undefined);
    await stopEmbedded();
    throw error;
  }
}

/** Rows inserted, updated and deleted in each table since the statistics began. */
export type TableWrites = Map<string, { schema: string; inserted: number; updated: number; deleted: number }>;

export async function tableWrites(pool: pg.Pool): Promise<TableWrites> {
  // Statistics reach the shared view when a backend flushes them (PostgreSQL 15+: at most once a
  // second while busy, within 10 s once idle); the caller leaves time for that.
  const { rows } = await pool.query<{
    schemaname: string;
    relname: string;
    ins: string;
    upd: string;
    del: string;
  }>(
    `SELECT schemaname, relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del
       FROM pg_stat_user_tables`,
  );
  return new Map(
    rows.map((row) => [
      `${row.schemaname}.${row.relname}`,
      {
        schema: row.schemaname,
        inserted: Number(row.ins),
        updated: Number(row.upd),
        deleted: Number(row.del),
      },
    ]),
  );
}

/** What was written between two snapshots, table by table (tables with no writes left out). */
export function writesBetween(
  before: TableWrites,
  after: TableWrites,
): { table: string; schema: string; inserted: number; updated: number; deleted: number; total: number }[] {
  const changes = [];
  for (const [table, now] of after) {
    const then = before.get(table) ?? { inserted: 0, updated: 0, deleted: 0 };
    const inserted = now.inserted - then.inserted;
    const updated = now.updated - then.updated;
    const deleted = now.deleted - then.deleted;
    const total = inserted + updated + deleted;
    if (total > 0) changes.push({ table, schema: now.schema, inserted, updated, deleted, total });
  }
  return changes.sort((a, b) => b.total - a.total);
}

/**
 * The job queue's and the scheduler's own tables, reported apart from ours: any outside the
 * public schema (a queue library's schema), and in it the scheduler's worker heartbeats and the
 * outbox that queues write-backs.
 */
const QUEUE_TABLE = /^public\.(sync_workers|outbox_commands|.*(queue|job|lease|lock|heartbeat|schedule).*)$/;

export const isQueueTable = (table: string): boolean =>
  !table.startsWith('public.') || QUEUE_TABLE.test(table);

/**
 * Tables written by the API, not by a sync: the keys' `last_used_at`, which authentication
 * records lazily (at most once a minute, off the request path), so it can land in a quiet window
 * after the requests that caused it.
 */
export const isRequestTable = (table: string): boolean => table === 'public.api_keys';
