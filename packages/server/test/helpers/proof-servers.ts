/**
 * The real server processes the write-back proofs start, and what they send them: `cli.ts serve`
 * from the sources on a free port and a shared test database, offered slots picked so each can be
 * booked, bookings posted over HTTP, a bounded pool of requests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEncryptionKey } from '@slotbridge/core/testing';
import { freePort } from '../../src/embedded-postgres.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const ADMIN_KEY = 'proof-admin-key-0123456789abcdef';

/** The practice a proof's requests go to. */
export interface ProofPractice {
  key: string;
  practiceId: string;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a condition, up to a generous cap (a failure to get there, not a timing claim). */
export async function until(what: string, condition: () => boolean | Promise<boolean>, capMs = 300_000) {
  const deadline = Date.now() + capMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(200);
  }
}

export interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<unknown>;
}

/** `cli.ts serve` from the sources on a free port, on the test database. */
export async function serve(databaseUrl: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import=tsx', 'packages/server/src/cli.ts', 'serve'],
    {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        SLOTBRIDGE_ENCRYPTION_KEY: testEncryptionKey.toString('hex'),
        SLOTBRIDGE_ADMIN_KEY: ADMIN_KEY,
        SLOTBRIDGE_BOOKINGS_PER_MINUTE: '0',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let gone = false;
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    }),
  );
  const server: Server = { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
  running.add(server);
  void exited.then(() => running.delete(server));
  const { url } = server;
  await until(`GET /healthz on port ${port}`, async () => {
    if (gone) throw new Error(`the server exited before answering:\n${output}`);
    try {
      return (await fetch(`${url}/healthz`)).status === 200;
    } catch {
      return false;
    }
  });
  return server;
}

/** The server processes running; a proof's teardown kills them before dropping its database. */
const running = new Set<Server>();

export async function killAll(): Promise<void> {
  for (const server of [...running]) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

export interface OfferedSlot {
  id: string;
  start: string;
  end: string;
  practitioner: { id: string };
}

/**
 * `count` offered slots from `daysAhead` days on, no two of one practitioner overlapping (so each
 * can be booked).
 */
export async function pickSlots(
  server: Server,
  practice: ProofPractice,
  count: number,
  daysAhead = 1,
): Promise<OfferedSlot[]> {
  const offered: OfferedSlot[] = [];
  let next: string | null =
    `/v1/practices/${practice.practiceId}/slots?from=${new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10)}&limit=1000`;
  while (next) {
    const page = (await (
      await fetch(`${server.url}${next}`, { headers: { authorization: `Bearer ${practice.key}` } })
    ).json()) as { data: OfferedSlot[]; next: string | null };
    offered.push(...page.data);
    next = page.next ? page.next.replace(/^https?:\/\/[^/]+/, '') : null;
  }
  const picked: OfferedSlot[] = [];
  for (const slot of offered) {
    const overlaps = picked.some(
      (p) =>
        p.practitioner.id === slot.practitioner.id &&
        Date.parse(p.start) < Date.parse(slot.end) &&
        Date.parse(slot.start) < Date.parse(p.end),
    );
    if (!overlaps) picked.push(slot);
    if (picked.length === count) break;
  }
  if (picked.length < count) throw new Error(`only ${picked.length} bookable slots offered`);
  return picked;
}

export interface Attempt {
  status: number;
  contentType: string;
  body: { id?: string; code?: string; state?: string };
}

/** POST …/bookings for `patient`, with its own Idempotency-Key. */
export async function postBooking(
  server: Server,
  practice: ProofPractice,
  slotId: string,
  idempotencyKey: string,
  patient: { firstName: string; lastName: string; dateOfBirth: string },
): Promise<Attempt> {
  const response = await fetch(`${server.url}/v1/practices/${practice.practiceId}/bookings`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${practice.key}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ slotId, patient, reason: 'Proof' }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Attempt['body'],
  };
}

/** Runs `jobs` with at most `width` in flight. */
export async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
