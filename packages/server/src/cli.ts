#!/usr/bin/env node
/**
 * slotbridge CLI.
 *   start    the README's first command: embedded PostgreSQL (unless DATABASE_URL), migrations,
 *            the demo practices with their in-process sandboxes, the API and the workers
 *   serve    the API and the workers, without the demo (unless SLOTBRIDGE_DEMO=true)
 *   worker   the workers only (several may share one database)
 *   api      the API only, no workers: run `worker` processes beside it (reads then scale apart
 *            from diary reads and write-backs)
 *   migrate  bring the database schema up to date and exit
 *   api-keys list|create|revoke|rotate --partner <id> …   a partner's API keys (cli-api-keys.ts)
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import {
  generateEncryptionKey,
  migrateToLatest,
  openDatabase,
  parseEncryptionKey,
  Slotbridge,
} from '@slotbridge/core';
import pino from 'pino';
import { buildApp } from './app.ts';
import { API_KEYS_USAGE, runApiKeysCommand } from './cli-api-keys.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { type Demo, startDemo } from './demo.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres.ts';
import { loggerOptions } from './logger.ts';
import { type LoadedPlugin, loadPlugins, PluginLoadError } from './plugins.ts';

const COMMANDS = ['start', 'serve', 'worker', 'api', 'migrate'] as const;
type Command = (typeof COMMANDS)[number];

/** Embedded mode only: a key generated once and kept (0600) beside the data it protects. */
async function embeddedEncryptionKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'encryption.key');
  try {
    const key = parseEncryptionKey(await readFile(file, 'utf8'));
    if (key) return key;
    throw new Error(`${file} does not hold a 32-byte key`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${generateEncryptionKey()}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return parseEncryptionKey(await readFile(file, 'utf8'))!;
  }
}

async function main(command: Command): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, { demo: command === 'start', cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // The EHR plugins, loaded and checked before anything starts (the config file or SLOTBRIDGE_PLUGINS).
  let plugins: LoadedPlugin[];
  try {
    plugins = await loadPlugins(config.plugins, {
      demo: config.demo && command !== 'migrate' && command !== 'worker',
    });
  } catch (error) {
    if (error instanceof PluginLoadError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // Before the heap grows: a smaller old generation between collections (config.ts says why).
  if (config.heapGrowingPercent > 0)
    v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  const log = pino(loggerOptions(config.logLevel));
  for (const p of plugins) log.info({ ehr: p.id, package: p.specifier }, 'EHR plugin loaded');

  // What start-up has made so far; a stop (signal or start-up error) closes whichever exist, in
  // reverse order, so the embedded PostgreSQL is stopped whenever it was started, even mid-start.
  let embedded: Promise<EmbeddedDatabase> | null = null;
  let db: ReturnType<typeof openDatabase> | null = null;
  let slotbridge: Slotbridge | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let demo: Demo | null = null;
  let stopping: Promise<void> | null = null;

  const stop = (reason: string, exitCode: number): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      // A stuck step must not keep the process (and so PostgreSQL) up: exit anyway; the exit
      // still tells PostgreSQL to stop (embedded-postgres.ts).
      const timer = setTimeout(() => {
        log.error({}, 'shutdown took longer than 15 s; exiting');
        process.exit(1);
      }, 15_000);
      timer.unref();
      // Let the start-up step under way finish (it goes no further once stopping is set).
      await startup.catch(() => {});
      let code = exitCode;
      const steps: [string, (() => Promise<unknown>) | null | false][] = [
        // Stops accepting requests, then the core (its plugin's onClose): in-flight write-backs
        // finish, and those not begun stay in the outbox for the next start.
        ['the API', app && (() => app!.close())],
        ['the workers', !app && slotbridge && (() => slotbridge!.close())], // stopped mid-start
        ['the demo sandboxes', demo && (() => demo!.close())],
        ['the database pool', db && (() => db!.destroy())],
        ['the embedded PostgreSQL', embedded && (async () => (await embedded!.catch(() => null))?.stop())],
      ];
      for (const [what, step] of steps) {
        try {
          if (step) await step();
        } catch (error) {
          log.error({ err: error }, `stopping ${what} failed`);
          code = code || 1;
        }
      }
      process.exit(code);
    })();
    return stopping;
  };
  // process.on, not once: a Ctrl+C reaches this process both from the terminal and through npm's
  // chain, and a second signal must not kill it half-way through stopping.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(signal, 0));
  }

  const startup = (async () => {
    let connectionString = config.databaseUrl;
    if (!connectionString) {
      log.info({ dataDir: config.dataDir }, 'starting the embedded PostgreSQL');
      embedded = startEmbeddedPostgres({ dataDir: config.dataDir });
      connectionString = (await embedded).connectionString;
      if (stopping) return;
    }
    db = openDatabase({ connectionString });
    const { applied } = await migrateToLatest(db);
    log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database schema up to date');
    if (command === 'migrate' || stopping) return;

    slotbridge = await Slotbridge.create({
      db,
      connectionString,
      encryptionKey: config.encryptionKey ?? (await embeddedEncryptionKey(config.dataDir)),
      log: log.child({ component: 'core' }),
      staleAfterSeconds: config.staleAfterSeconds,
      engine: config.engine,
      webhooks: config.webhooks,
    });
    if (stopping) return;
    app = await buildApp({
      slotbridge,
      ehrPlugins: plugins.map((p) => p.plugin),
      logger: loggerOptions(config.logLevel),
      metricsToken: config.metricsToken,
      limits: config.limits,
    });
    await app.ready();
    const admin = await slotbridge.apiKeys.ensureAdminKey(config.adminKey);
    if (stopping) return;

    if (command === 'worker') {
      await slotbridge.startWorkers();
      log.info({}, 'worker started');
      return;
    }

    if (config.demo) {
      for (const p of plugins.filter((p) => p.noDemo)) {
        log.info({ ehr: p.id, package: p.specifier }, `no demo practice for this plugin: ${p.noDemo}`);
      }
      demo = await startDemo(slotbridge, plugins);
    }
    if (stopping) return;
    const address = await app.listen({ port: config.port, host: config.host });
    if (stopping) return;
    if (command === 'api') await slotbridge.startAnswering();
    else await slotbridge.startWorkers();
    printBanner(address, admin, demo);
  })();

  try {
    await startup;
  } catch (error) {
    if (stopping) return; // a failure caused by the stop itself
    console.error(error);
    await stop('start-up failed', 1);
  }
  if (command === 'migrate') await stop('migrated', 0);
}

function printBanner(
  address: string,
  admin: Awaited<ReturnType<Slotbridge['apiKeys']['ensureAdminKey']>>,
  demo: Demo | null,
): void {
  const lines = [
    '',
    `slotbridge is listening on ${address}`,
    `  API docs:      ${address}/docs   (OpenAPI: ${address}/openapi.json)`,
    admin.generatedKey
      ? `  Admin key:     ${admin.generatedKey}   (shown once; keep it, or set SLOTBRIDGE_ADMIN_KEY)`
      : `  Admin key:     ${admin.source === 'environment' ? 'from SLOTBRIDGE_ADMIN_KEY' : 'printed at first start (set SLOTBRIDGE_ADMIN_KEY to choose one)'}`,
  ];
  if (demo) {
    const today = new Date().toISOString().slice(0, 10);
    lines.push(`  Demo partner key: ${demo.partnerKey}   (new at each start)`);
    for (const p of demo.practices) {
      lines.push(
        `  Demo practice: ${p.name}  id ${p.practiceId}`,
        `                 ${p.ehr} sandbox ${p.sandboxUrl}  (diary: ${p.sandboxUrl}/_sandbox/diary?date=${today})`,
        `                 sync at start: ${p.sync.status}, ${p.sync.fetched} slots read (${p.sync.inserted} new, ${p.sync.updated} changed, ${p.sync.deleted} gone)`,
        // A fictional patient of the sandbox's, to try a booking with.
        `                 book for the sandbox's patient: "patient": ${JSON.stringify(p.patient)}`,
      );
    }
    lines.push(`  Console:       ${address}/console/   (sign in with the demo partner key)`);
    if (demo.exercise) {
      const secrets = Object.entries(demo.exercise.secrets).map(([k, v]) => `${k} ${v}`);
      lines.push(
        `                 "${demo.exercise.name}" waits to be set up there: its connection fails`,
        `                 until you type the sandbox's ${secrets.join(', ')} again (docs/console.md)`,
      );
    }
    lines.push('', 'Try it: see "Try it" in README.md. Stop with Ctrl+C.');
  }
  console.log(lines.join('\n'));
}

/**
 * `api-keys …`: on the deployment's database (DATABASE_URL), or the embedded one, started for the
 * command and stopped after it (refused while a slotbridge runs on it: stop that first, or use
 * the API). Migrates first, as every command does.
 */
async function apiKeysMain(args: string[]): Promise<void> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    console.log(API_KEYS_USAGE);
    process.exit(args.length === 0 ? 2 : 0);
  }
  // Only the database matters here (no plugins, no encryption key): read as loadConfig reads it.
  const databaseUrl = process.env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    console.error('DATABASE_URL must be a postgres:// or postgresql:// URL');
    process.exit(1);
  }
  const dataDir = path.resolve(process.cwd(), process.env.SLOTBRIDGE_DATA_DIR || '.slotbridge');
  const embedded = databaseUrl ? null : await startEmbeddedPostgres({ dataDir });
  const db = openDatabase({ connectionString: databaseUrl ?? embedded!.connectionString, max: 2 });
  let code = 1;
  try {
    await migrateToLatest(db);
    code = await runApiKeysCommand(db, args, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
  process.exit(code);
}

const command = (process.argv[2] ?? 'start') as Command | 'api-keys';
if (command === 'api-keys') {
  apiKeysMain(process.argv.slice(3)).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (!COMMANDS.includes(command)) {
  console.error(`usage: slotbridge <${COMMANDS.join('|')}|api-keys>`);
  process.exit(2);
} else {
  main(command).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
