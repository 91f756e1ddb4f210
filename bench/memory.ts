/**
 * `tsx --conditions=development bench/memory.ts`: where the `serve` process's memory goes under
 * the bench's load. Starts PostgreSQL (SLOTBRIDGE_TEST_DATABASE_URL's server, else embedded), the
 * EMIS fleet and the compiled server (`packages/server/dist/cli.js serve`, built beforehand), sets
 * the practices up through the API as the bench does, then samples the server at each stage:
 * RSS and its peak (/proc), V8's heap by space and the external memory (the server's own
 * `/metrics`), its database connections (pg_stat_activity) and open sockets.
 *
 *   MEM_PRACTICES (100), MEM_HORIZON_DAYS (14), MEM_SETTLE_SECONDS (20, sampled every 5 s),
 *   MEM_NODE_ARGS (extra node flags for the server, e.g. "--max-semi-space-size=2"),
 *   MEM_SNAPSHOT=1 (a heap snapshot at each stage, in MEM_SNAPSHOT_DIR, default os.tmpdir()),
 *   MEM_OUT (write the samples as JSON there).
 * The server's own settings pass through from the environment, as in the bench.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/src/embedded-postgres.ts';
import { spawnChild, stopAllChildren } from './lib/children.ts';
import { startDatabase } from './lib/database.ts';
import { load } from './lib/load.ts';
import { median, sleep } from './lib/stats.ts';
import { bookingBody, SlotPool } from './phases.ts';
import { createPartner, setUpPractices, waitForSyncedPractices } from './setup.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PRACTICES = Number(process.env.MEM_PRACTICES ?? 100);
const HORIZON_DAYS = Number(process.env.MEM_HORIZON_DAYS ?? 14);
const SETTLE_SECONDS = Number(process.env.MEM_SETTLE_SECONDS ?? 20);
const NODE_ARGS = (process.env.MEM_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const SNAPSHOT = process.env.MEM_SNAPSHOT === '1';
/** SIGUSR2 to the server at the end of each stage without adding a flag (a preload of MEM_NODE_ARGS handles it). */
const SIGNAL = SNAPSHOT || process.env.MEM_SIGNAL === '1';
const SNAPSHOT_DIR = process.env.MEM_SNAPSHOT_DIR ?? os.tmpdir();
const STARTED = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const MiB = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

interface Sample {
  stage: string;
  at: number;
  rss: number;
  peak: number;
  /** From /proc/pid/status: RssAnon, RssFile. */
  anon: number;
  file: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  spaces: Record<string, number>;
  dbConnections: number;
  sockets: number;
}

function procStatus(pid: number): Record<string, number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const out: Record<string, number> = {};
  for (const field of ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile']) {
    out[field] = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  }
  return out;
}

function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n += 1;
    } catch {}
  }
  return n;
}

async function metricsOf(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match =
      /^(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_used_bytes\{space="(\w+)"\}) (\S+)/.exec(
        line,
      );
    if (!match) continue;
    out[match[2] ? `space.${match[2]}` : match[1]!] = Number(match[3]);
  }
  return out;
}

async function main(): Promise<void> {
  const database = await startDatabase(log);
  const samples: Sample[] = [];
  try {
    const fleet = spawnChild('fleet', {
      args: ['--conditions=development', '--import', 'tsx', path.join(ROOT, 'bench/processes/fleet.ts')],
      cwd: ROOT,
      env: { ...process.env, BENCH_FLEET_LATENCY_MS: process.env.BENCH_LATENCY_MS ?? '100' },
      echo: process.env.BENCH_ECHO === '1',
    });
    const { url: fleetUrl } = await fleet.waitForLine((line) => {
      const match = /^BENCH_READY (.*)$/.exec(line);
      return match ? (JSON.parse(match[1]!) as { url: string }) : undefined;
    }, 60_000);
    const port = await freePort();
    const adminKey = `sb_bench_admin_${randomBytes(24).toString('base64url')}`;
    const serve = spawnChild('serve', {
      args: [
        ...NODE_ARGS,
        ...(SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOT_DIR}`] : []),
        path.join(ROOT, 'packages/server/dist/cli.js'),
        'serve',
      ],
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        SLOTBRIDGE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        SLOTBRIDGE_ADMIN_KEY: adminKey,
        SLOTBRIDGE_DATA_DIR: path.join(os.tmpdir(), `slotbridge-mem-unused-${process.pid}`),
        SLOTBRIDGE_DEMO: 'false',
        SLOTBRIDGE_FAR_SYNC_SECONDS: process.env.SLOTBRIDGE_FAR_SYNC_SECONDS ?? '45',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      },
      echo: process.env.BENCH_ECHO === '1',
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (!serve.running) throw new Error(`serve exited\n${serve.tail()}`);
      if (
        await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 360) throw new Error('serve not ready');
      await sleep(250);
    }
    log(`serve pid ${serve.pid} ${NODE_ARGS.join(' ')}`);

    let snapshots = 0;
    const sample = async (stage: string) => {
      const proc = procStatus(serve.pid);
      const metrics = await metricsOf(url);
      const { rows } = await database.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      const spaces: Record<string, number> = {};
      for (const [key, value] of Object.entries(metrics))
        if (key.startsWith('space.')) spaces[key.slice(6)] = MiB(value);
      const s: Sample = {
        stage,
        at: Math.round((Date.now() - STARTED) / 1000),
        rss: Math.round(proc.VmRSS!),
        peak: Math.round(proc.VmHWM!),
        anon: Math.round(proc.RssAnon!),
        file: Math.round(proc.RssFile!),
        heapUsed: MiB(metrics.nodejs_heap_size_used_bytes ?? NaN),
        heapTotal: MiB(metrics.nodejs_heap_size_total_bytes ?? NaN),
        external: MiB(metrics.nodejs_external_memory_bytes ?? NaN),
        spaces,
        dbConnections: (rows[0]?.n ?? 0) - 4, // the probe's own pool holds up to 4
        sockets: socketCount(serve.pid),
      };
      samples.push(s);
      log(
        `  ${stage}: RSS ${s.rss} (peak ${s.peak}; anon ${s.anon}, file ${s.file}) heap ${s.heapUsed}/${s.heapTotal} external ${s.external} MiB; ` +
          `new ${spaces.new ?? '?'} old ${spaces.old ?? '?'} code ${spaces.code ?? '?'} lo ${spaces.large_object ?? '?'}; db conns ≤${s.dbConnections + 4}, sockets ${s.sockets}`,
      );
    };
    const settle = async (stage: string) => {
      for (let t = 0; t < SETTLE_SECONDS; t += 5) {
        await sleep(5_000);
        await sample(stage);
      }
      if (SIGNAL) {
        serve.process.kill('SIGUSR2');
        snapshots += 1;
        await sleep(8_000 + PRACTICES * 20);
        log(`  heap snapshot ${snapshots} (${stage}) in ${SNAPSHOT_DIR}`);
      }
    };

    await sample('started');
    const api = await createPartner(url, adminKey);
    const practices = await setUpPractices(
      api,
      (cdbNumber) => ({
        baseUrl: fleetUrl,
        applicationId: 'slotbridge-fleet',
        cdbNumber,
        username: 'Herouser',
        apiPassword: 'api-password-from-emas',
      }),
      PRACTICES,
      HORIZON_DAYS,
      50,
      log,
    );
    const synced = await waitForSyncedPractices(
      database.pool,
      PRACTICES,
      HORIZON_DAYS,
      Date.now() + Math.max(60_000, PRACTICES * 600),
    );
    log(`${PRACTICES} set up, ${synced} wholly read`);
    await settle('syncing');

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const weekEnd = new Date(Date.now() + 8 * 86_400_000).toISOString().slice(0, 10);
    for (const practice of practices.slice(0, 4)) {
      const r = await load({
        url: `${url}/v1/practices/${practice.id}/slots?from=${tomorrow}&to=${weekEnd}`,
        connections: 64,
        seconds: 3,
        headers: { authorization: `Bearer ${api.key}` },
      });
      log(`  reads: ${r.okPerSecond.toFixed(0)} req/s`);
    }
    await sample('after reads');
    await settle('after reads');

    const burst = practices.slice(0, Math.min(50, PRACTICES));
    const slotPool = await SlotPool.fill(api, burst, 7, 8);
    for (let rep = 0; rep < 2; rep++) {
      const r = await load({
        url,
        connections: 64,
        seconds: 3,
        method: 'POST',
        setupRequest: (request) => {
          const slot = slotPool.next();
          const { body, token } = bookingBody(slot?.slotId ?? '00000000-0000-4000-8000-000000000000');
          return {
            ...request,
            method: 'POST',
            path: `/v1/practices/${slot?.practiceId ?? '00000000-0000-4000-8000-000000000000'}/bookings`,
            headers: {
              authorization: `Bearer ${api.key}`,
              'content-type': 'application/json',
              'idempotency-key': token,
            },
            body,
          };
        },
      });
      log(`  bookings: ${r.okPerSecond.toFixed(0)}/s ${JSON.stringify(r.statusCodes)}`);
    }
    await sample('after bookings');
    await settle('after bookings');

    const stages = [...new Set(samples.map((s) => s.stage))];
    log('stage: RSS min/median (peak at end), heapUsed median, external median');
    for (const stage of stages) {
      const of = samples.filter((s) => s.stage === stage);
      log(
        `  ${stage.padEnd(16)} RSS ${Math.min(...of.map((s) => s.rss))}/${median(of.map((s) => s.rss))} (peak ${of.at(-1)!.peak}) heap ${median(of.map((s) => s.heapUsed))} external ${median(of.map((s) => s.external))} MiB`,
      );
    }
    if (process.env.MEM_OUT) await writeFile(process.env.MEM_OUT, JSON.stringify(samples, null, 2));
  } finally {
    await stopAllChildren();
    await database.close();
  }
}

await main();
