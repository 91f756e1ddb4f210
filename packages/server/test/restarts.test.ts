/**
 * Restart after any crash (docs/reliability.md, "Restarts"): the real CLI with its embedded
 * PostgreSQL, as child processes on free ports (never 5432).
 *
 * Slow (each start is a real PostgreSQL, `npm start` may build first) and independent of the test
 * database: CI's second pass against 127.0.0.1:5432 skips it (SLOTBRIDGE_TEST_SKIP_SLOW=1), so it
 * runs once per `.ci/run`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import t, { type Test } from 'tap';
import { freePort, startEmbeddedPostgres } from '../src/embedded-postgres.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const isRoot = process.getuid?.() === 0;

if (process.env.SLOTBRIDGE_TEST_SKIP_SLOW) {
  t.plan(0, 'slow proofs that start their own PostgreSQL ran in the first pass');
} else {
  // Generous: a start may replay WAL, and `npm start` compiles when the sources changed.
  t.setTimeout(15 * 60_000);
  tests();
}

/** Live (not zombie) processes whose working directory is the data folder: a postmaster's. */
function postgresOn(pgdata: string): { pid: number; ppid: number }[] {
  let wanted: string;
  try {
    wanted = realpathSync(pgdata);
  } catch {
    return [];
  }
  const found: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== wanted) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && state !== 'X') found.push({ pid: Number(entry), ppid: Number(ppid) });
    } catch {}
  }
  return found;
}

/** The postmasters on the folder: processes on it whose parent is not on it. */
function postmasters(pgdata: string): number[] {
  const procs = postgresOn(pgdata);
  const pids = new Set(procs.map((p) => p.pid));
  return procs.filter((p) => !pids.has(p.ppid)).map((p) => p.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a condition, up to a generous cap (a failure to get there, not a timing claim). */
async function until(what: string, condition: () => boolean | Promise<boolean>, capMs = 300_000) {
  const deadline = Date.now() + capMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(200);
  }
}

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** A child process in its own process group (so a test can kill the whole group). */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv, port: number): Started {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, port, output: () => output, exited };
}

/** The CLI from the sources, as the suite runs them (no tsx wrapper process: node --import tsx). */
async function serve(dataDir: string): Promise<Started> {
  return launch(
    process.execPath,
    ['--conditions=development', '--import=tsx', 'packages/server/src/cli.ts', 'serve'],
    { SLOTBRIDGE_DATA_DIR: dataDir },
    await freePort(),
  );
}

async function healthy(started: Started): Promise<void> {
  let gone = false;
  void started.exited.then(() => {
    gone = true;
  });
  await until(`GET /healthz on port ${started.port}`, async () => {
    if (gone) throw new Error(`the server exited before answering:\n${started.output()}`);
    try {
      return (await fetch(`http://127.0.0.1:${started.port}/healthz`)).status === 200;
    } catch {
      return false;
    }
  });
}

function postmasterPid(pgdata: string): number {
  return Number.parseInt(readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
}

/** A private folder (mode 700), as `mktemp -d` makes, removed after the test with whatever ran in it. */
async function privateFolder(t: Test, pgdataOf: () => string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotbridge-restarts-'));
  await chmod(dir, 0o700);
  t.teardown(async () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }
    for (const pgdata of pgdataOf()) {
      for (const pid of postmasters(pgdata)) process.kill(pid, 'SIGINT');
      await until('no postgres left on the test folder', () => postgresOn(pgdata).length === 0).catch(
        () => {},
      );
      // As root, a data folder in a private tree keeps its cluster outside, behind a link.
      const real = existsSync(pgdata) ? realpathSync(pgdata) : pgdata;
      if (!real.startsWith(dir)) await rm(path.dirname(real), { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

function tests(): void {
  t.test(
    'kill -9 of the server, then of its process group: the next start stops the PostgreSQL left behind and answers; SIGTERM, even mid-start, leaves no PostgreSQL',
    async (t) => {
      let dataDir = '';
      const dir = await privateFolder(t, () => [path.join(dataDir, 'pgdata')]);
      // The data folder in a private folder (mode 700): as root the postgres user cannot enter it.
      dataDir = path.join(dir, 'data');
      const pgdata = path.join(dataDir, 'pgdata');

      const first = await serve(dataDir);
      await healthy(first);
      const firstPostmaster = postmasterPid(pgdata);
      first.child.kill('SIGKILL');
      await first.exited;
      t.ok(alive(firstPostmaster), 'kill -9 of the server leaves its PostgreSQL running');

      const second = await serve(dataDir);
      await healthy(second);
      t.pass('a new start on the same data folder answers /healthz');
      t.notOk(alive(firstPostmaster), 'the PostgreSQL left behind was stopped');
      const secondPostmaster = postmasterPid(pgdata);
      t.same(postmasters(pgdata), [secondPostmaster], 'one PostgreSQL on the folder: the new one');

      process.kill(-second.child.pid!, 'SIGKILL'); // the whole process group
      await second.exited;
      const third = await serve(dataDir);
      await healthy(third);
      t.pass('after kill -9 of the process group, a new start answers /healthz');
      t.notOk(alive(secondPostmaster), 'the PostgreSQL left behind was stopped');
      t.same(postmasters(pgdata), [postmasterPid(pgdata)], 'one PostgreSQL on the folder');

      third.child.kill('SIGTERM');
      t.same(await third.exited, { code: 0, signal: null }, 'SIGTERM: the server exits cleanly');
      t.same(postgresOn(pgdata), [], 'and no PostgreSQL process is left on the folder');
      t.notOk(existsSync(path.join(pgdata, 'postmaster.pid')), 'PostgreSQL shut down (no postmaster.pid)');

      // SIGTERM while start-up is under way (PostgreSQL up, the server not yet listening, or just).
      const fourth = await serve(dataDir);
      await until('the embedded PostgreSQL to start', () => postmasters(pgdata).length > 0);
      fourth.child.kill('SIGTERM');
      const stopped = await fourth.exited;
      t.equal(stopped.signal, null, `SIGTERM mid-start: exits by itself (code ${stopped.code})`);
      t.same(postgresOn(pgdata), [], 'SIGTERM mid-start leaves no PostgreSQL on the folder');
    },
  );

  t.test('SIGTERM to `npm start` stops the server and its PostgreSQL, and npm waits for them', async (t) => {
    let dataDir = '';
    const dir = await privateFolder(t, () => [path.join(dataDir, 'pgdata')]);
    dataDir = path.join(dir, 'data');
    const pgdata = path.join(dataDir, 'pgdata');
    const npm = launch('npm', ['start'], { SLOTBRIDGE_DATA_DIR: dataDir }, await freePort());
    await healthy(npm);
    t.ok(postmasters(pgdata).length === 1, 'the demo runs on its embedded PostgreSQL');
    npm.child.kill('SIGTERM');
    const exit = await npm.exited;
    t.same(exit, { code: 0, signal: null }, 'npm exits 0 once the server has stopped');
    t.same(postgresOn(pgdata), [], 'no PostgreSQL process is left on the folder');
    let groupLeft = true;
    try {
      process.kill(-npm.child.pid!, 0);
    } catch {
      groupLeft = false;
    }
    t.notOk(groupLeft, 'no process of the `npm start` process group is left (run.mjs, the server)');
  });

  t.test(
    'as root, PostgreSQL binaries and data in a private folder (mode 700, like a clone under /root): it starts, keeps its data, and stops',
    { skip: isRoot ? false : 'PostgreSQL runs as the postgres user only under root' },
    async (t) => {
      let dataDir = '';
      const dir = await privateFolder(t, () => [path.join(dataDir, 'pgdata')]);
      dataDir = path.join(dir, 'data');
      // What a clone in a private folder has: the binaries under its node_modules.
      const packaged = (await startProbe()).binaries;
      const binariesDir = path.join(dir, 'node_modules', 'native');
      await cp(packaged, binariesDir, { recursive: true, verbatimSymlinks: true });

      const premise = await new Promise<string>((resolve) => {
        const probe = spawn(path.join(binariesDir, 'bin', 'initdb'), ['--version'], {
          ...postgresAccount(),
        });
        probe.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? 'error'));
        probe.on('exit', () => resolve('ran'));
      });
      t.equal(premise, 'EACCES', 'the postgres user cannot run binaries inside the private folder');

      const first = await startEmbeddedPostgres({ dataDir, binariesDir });
      let copy = first.binaries;
      t.teardown(() => rm(copy, { recursive: true, force: true }));
      t.notOk(first.binaries.startsWith(dir), `PostgreSQL runs from a reachable copy (${first.binaries})`);
      t.notOk(
        first.home.startsWith(dir),
        `its data lives where the postgres user can reach it (${first.home})`,
      );
      t.equal(
        realpathSync(path.join(dataDir, 'pgdata')),
        path.join(first.home, 'pgdata'),
        'the data folder links to it',
      );
      await query(first.connectionString, 'create table kept (v text); insert into kept values ($1)', [
        'yes',
      ]);
      await first.stop();

      const second = await startEmbeddedPostgres({ dataDir, binariesDir });
      copy = second.binaries;
      t.equal(second.home, first.home, 'the same cluster at the next start');
      t.same(await query(second.connectionString, 'select v from kept'), [{ v: 'yes' }], 'its data kept');
      await second.stop();
      t.same(postgresOn(path.join(second.home, 'pgdata')), [], 'stopped');
    },
  );
}

/** The packaged binaries' folder, from a throwaway ephemeral start. */
async function startProbe() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotbridge-probe-'));
  const probe = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
  await probe.stop();
  await rm(dir, { recursive: true, force: true });
  return probe;
}

function postgresAccount(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = (line ?? '').split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function query(connectionString: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const statements = sql.split(';').map((s) => s.trim());
    let rows: unknown[] = [];
    for (const statement of statements) {
      rows = (await client.query(statement, statement.includes('$1') ? values : [])).rows;
    }
    return rows;
  } finally {
    await client.end();
  }
}
