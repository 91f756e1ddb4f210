/**
 * The bench's measurements, each bounded in time. Every figure is taken over HTTP as a partner
 * would see it; the database is read directly only to time bookings (their own timestamps) and
 * to count rows written.
 */
import type pg from 'pg';
import type { Api, SlotPage, SlotView } from './lib/api.ts';
import { allSlots } from './lib/api.ts';
import { isQueueTable, isRequestTable, tableWrites, writesBetween } from './lib/database.ts';
import { type LoadResult, load } from './lib/load.ts';
import { Gate, mapConcurrently, median, min, percentile, sleep } from './lib/stats.ts';
import type { FleetPracticeRef } from './setup.ts';

type Log = (line: string) => void;

// ---- the fleet's control surface ------------------------------------------------------------------

export interface FleetChangeAnswer {
  cdbNumber: string;
  change: 'booked' | 'freed';
  slotId: number;
  startAt: string;
  at: number;
  freeAtStart: number;
}

export interface FleetStatsAnswer {
  practices: number;
  calls: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  sessionReads: { near: number; far: number };
  bookings: number;
}

export async function fleetStats(fleetUrl: string): Promise<FleetStatsAnswer> {
  const response = await fetch(`${fleetUrl}/_fleet/stats`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as FleetStatsAnswer;
}

const totalCalls = (stats: FleetStatsAnswer) => Object.values(stats.calls).reduce((a, b) => a + b, 0);

/** Reads of a window = GetAppointmentSessions calls ÷ active slot types (one call per type per read). */
/** A read of a window (≤ 90 days) makes one GetAppointmentSessions call, for every slot type. */
const readsOf = (stats: FleetStatsAnswer) => stats.calls.GetAppointmentSessions ?? 0;

// ---- freshness ------------------------------------------------------------------------------------

export interface FreshnessOptions {
  label: string;
  count: number;
  /** The window the changed slots start in, hours from now. */
  fromHours: number;
  toHours: number;
  /** Between two changes. */
  spacingMs: number;
  pollMs: number;
  /** Give up on a change this long after it was made. */
  capMs: number;
  /** Which practice the i-th change is made at. */
  practiceOf: (i: number) => FleetPracticeRef;
}

export interface FreshnessResult {
  label: string;
  /** Seconds from each change in the sandbox until `GET …/slots` showed it. */
  seen: number[];
  unseen: number;
  /** Practices where no slot fitted the change (none free or booked by reception in the window). */
  noSlot: number;
  capSeconds: number;
}

export async function measureFreshness(
  api: Api,
  fleetUrl: string,
  options: FreshnessOptions,
  gate = new Gate(16),
): Promise<FreshnessResult> {
  const seen: number[] = [];
  let unseen = 0;
  let noSlot = 0;
  const watches: Promise<void>[] = [];
  for (let i = 0; i < options.count; i++) {
    if (i > 0) await sleep(options.spacingMs);
    const practice = options.practiceOf(i);
    const response = await fetch(`${fleetUrl}/_fleet/practices/${practice.cdbNumber}/change`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fromHours: options.fromHours, toHours: options.toHours, kind: 'either' }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404) {
      noSlot += 1;
      continue;
    }
    if (!response.ok) throw new Error(`fleet change → ${response.status} ${await response.text()}`);
    const change = (await response.json()) as FleetChangeAnswer;
    const from = new Date(change.startAt);
    // A search answers the slots wholly inside its window: ask for two hours and count those
    // starting at that minute.
    const query = new URLSearchParams({
      from: from.toISOString(),
      to: new Date(from.getTime() + 2 * 3_600_000).toISOString(),
    });
    const path = `/v1/practices/${practice.id}/slots?${query}`;
    watches.push(
      (async () => {
        while (Date.now() - change.at < options.capMs) {
          const shown = await gate
            .run(() => api.request<SlotPage>('GET', path, { timeoutMs: 30_000 }))
            .then((page) => page.data.filter((slot) => Date.parse(slot.start) === from.getTime()).length)
            .catch(() => -1);
          if (shown === change.freeAtStart) {
            seen.push((Date.now() - change.at) / 1000);
            return;
          }
          await sleep(options.pollMs);
        }
        unseen += 1;
      })(),
    );
  }
  await Promise.all(watches);
  return { label: options.label, seen, unseen, noSlot, capSeconds: options.capMs / 1000 };
}

/** p99 of the changes, counting each one never seen as the cap (so the figure is a lower bound). */
export function freshnessP99(result: FreshnessResult): { p99: number; lowerBound: boolean } {
  const all = [...result.seen, ...Array(result.unseen).fill(result.capSeconds)];
  return {
    p99: percentile(all, 99),
    lowerBound: result.unseen > 0 && percentile(all, 99) >= result.capSeconds,
  };
}

// ---- reads ----------------------------------------------------------------------------------------

export interface ReadsResult {
  bytes: number;
  slots: number;
  paginated: boolean;
  real: LoadResult[];
  ceiling: LoadResult[];
}

/** Puts the real answer's bytes on the ceiling server; answers its size and slot count. */
export async function captureAnswer(
  api: Api,
  ceilingUrl: string,
  name: string,
  path: string,
): Promise<{ bytes: number; slots: number; paginated: boolean }> {
  const answer = await api.raw(path);
  if (answer.status !== 200)
    throw new Error(`GET ${path} → ${answer.status} ${answer.body.toString().slice(0, 300)}`);
  const parsed = JSON.parse(answer.body.toString()) as SlotPage;
  const put = await fetch(`${ceilingUrl}/bytes/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: answer.body,
  });
  if (put.status !== 204) throw new Error(`ceiling PUT /bytes/${name} → ${put.status}`);
  return { bytes: answer.body.length, slots: parsed.data.length, paginated: Boolean(parsed.next) };
}

/** The real route and its same-bytes ceiling, alternated `reps` times. */
export async function measureReads(
  options: {
    realUrl: string;
    ceilingUrl: string;
    key: string;
    connections: number;
    seconds: number;
    reps: number;
  },
  log: Log,
): Promise<{ real: LoadResult[]; ceiling: LoadResult[] }> {
  const real: LoadResult[] = [];
  const ceiling: LoadResult[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    const c = await load({
      url: options.ceilingUrl,
      connections: options.connections,
      seconds: options.seconds,
    });
    const r = await load({
      url: options.realUrl,
      connections: options.connections,
      seconds: options.seconds,
      headers: { authorization: `Bearer ${options.key}` },
    });
    ceiling.push(c);
    real.push(r);
    log(
      `    rep ${rep + 1}: ceiling ${c.okPerSecond.toFixed(0)} req/s (p99 ${c.p99} ms), slotbridge ${r.okPerSecond.toFixed(0)} req/s (p99 ${r.p99} ms${r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''})`,
    );
  }
  return { real, ceiling };
}

export const summary = (runs: LoadResult[], pick: (run: LoadResult) => number) => ({
  min: min(runs.map(pick)),
  median: median(runs.map(pick)),
});

// ---- rows written by unchanged syncs ------------------------------------------------------------------

export interface UnchangedWritesResult {
  seconds: number;
  reads: number;
  ehrCalls: number;
  ours: { table: string; inserted: number; updated: number; deleted: number; total: number }[];
  queue: { table: string; inserted: number; updated: number; deleted: number; total: number }[];
  /** Written for earlier API requests (keys' last use), not by the syncs. */
  requests: { table: string; inserted: number; updated: number; deleted: number; total: number }[];
}

/** pg_stat_user_tables deltas over a period in which nothing changes in the sandbox and nobody calls the API. */
export async function measureUnchangedWrites(
  pool: pg.Pool,
  fleetUrl: string,
  seconds: number,
): Promise<UnchangedWritesResult> {
  const before = await tableWrites(pool);
  const fleetBefore = await fleetStats(fleetUrl);
  const started = Date.now();
  await sleep(seconds * 1000);
  const fleetAfter = await fleetStats(fleetUrl);
  const elapsed = (Date.now() - started) / 1000;
  await sleep(1_500); // busy backends flush once a second
  const after = await tableWrites(pool);
  const writes = writesBetween(before, after).filter((w) => !w.table.startsWith('bench_ceiling.'));
  return {
    seconds: elapsed,
    reads: readsOf(fleetAfter) - readsOf(fleetBefore),
    ehrCalls: totalCalls(fleetAfter) - totalCalls(fleetBefore),
    ours: writes.filter((w) => !isQueueTable(w.table) && !isRequestTable(w.table)),
    queue: writes.filter((w) => isQueueTable(w.table)),
    requests: writes.filter((w) => isRequestTable(w.table)),
  };
}

// ---- bookings -----------------------------------------------------------------------------------------

/** Free slots per practice over the next `days`, for booking; each slot handed out once. */
export class SlotPool {
  readonly #byPractice = new Map<string, string[]>();
  #order: string[] = [];
  #turn = 0;

  static async fill(
    api: Api,
    practices: FleetPracticeRef[],
    days: number,
    concurrency: number,
  ): Promise<SlotPool> {
    const pool = new SlotPool();
    const from = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const to = new Date(Date.now() + days * 86_400_000).toISOString();
    await mapConcurrently(practices, concurrency, async (practice) => {
      const slots: SlotView[] = await allSlots(api, practice.id, { from, to }).catch(() => []);
      // Spread over the window, not the first hours only.
      pool.#byPractice.set(
        practice.id,
        slots.map((slot) => slot.id).sort(() => Math.random() - 0.5),
      );
    });
    pool.#order = practices.map((p) => p.id).filter((id) => (pool.#byPractice.get(id)?.length ?? 0) > 0);
    return pool;
  }

  get size(): number {
    let size = 0;
    for (const slots of this.#byPractice.values()) size += slots.length;
    return size;
  }

  /** `count` slots of one practice, taken out of the pool. */
  take(practiceId: string, count: number): string[] {
    return this.#byPractice.get(practiceId)?.splice(0, count) ?? [];
  }

  /** The next slot, practices in turn; null when the pool is empty. */
  next(): { practiceId: string; slotId: string } | null {
    for (let tries = 0; tries < this.#order.length; tries++) {
      const practiceId = this.#order[this.#turn++ % this.#order.length]!;
      const slotId = this.#byPractice.get(practiceId)?.pop();
      if (slotId) return { practiceId, slotId };
    }
    return null;
  }
}

let bookingCounter = 0;

/** A booking request body for `slotId`, its patient and reason unique to it. */
export function bookingBody(slotId: string): { body: string; token: string } {
  bookingCounter += 1;
  const token = `bench-${process.pid}-${bookingCounter}`;
  return {
    token,
    body: JSON.stringify({
      slotId,
      patient: { firstName: 'Bench', lastName: `Patient${bookingCounter}`, dateOfBirth: '1980-01-01' },
      reason: token,
    }),
  };
}

const TERMINAL = new Set(['confirmed', 'needs_reconciliation', 'failed', 'cancelled', 'cancelled_in_ehr']);

export interface BurstResult {
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  acceptSeconds: number;
  terminal: number;
  confirmed: number;
  byState: Record<string, number>;
  /** accept → confirmed, seconds (database timestamps). */
  confirmSeconds: number[];
  waitedSeconds: number;
}

/** `perPractice` bookings at each practice, all sent at once (64 at a time); waits until every one is terminal. */
export async function measureBurst(
  api: Api,
  pool: pg.Pool,
  slotPool: SlotPool,
  practices: FleetPracticeRef[],
  perPractice: number,
  capMs: number,
  log: Log,
): Promise<BurstResult> {
  const requests = practices.flatMap((practice) =>
    slotPool.take(practice.id, perPractice).map((slotId) => ({ practiceId: practice.id, slotId })),
  );
  const ids: string[] = [];
  const refused: Record<string, number> = {};
  const started = Date.now();
  await mapConcurrently(requests, 64, async ({ practiceId, slotId }) => {
    const { body, token } = bookingBody(slotId);
    try {
      const booking = await api.request<{ id: string }>('POST', `/v1/practices/${practiceId}/bookings`, {
        body: JSON.parse(body),
        headers: { 'idempotency-key': token },
      });
      ids.push(booking.id);
    } catch (error) {
      const status = String((error as { status?: number }).status ?? 'error');
      refused[status] = (refused[status] ?? 0) + 1;
    }
  });
  const acceptSeconds = (Date.now() - started) / 1000;
  log(
    `    ${ids.length}/${requests.length} accepted in ${acceptSeconds.toFixed(1)} s; waiting for the write-backs`,
  );
  let rows: { state: string; created_at: Date; confirmed_at: Date | null }[] = [];
  while (true) {
    ({ rows } = await pool.query(
      'SELECT state, created_at, confirmed_at FROM bookings WHERE id = ANY($1::uuid[])',
      [ids],
    ));
    if (rows.every((row) => TERMINAL.has(row.state)) || Date.now() - started > capMs) break;
    await sleep(500);
  }
  const byState: Record<string, number> = {};
  for (const row of rows) byState[row.state] = (byState[row.state] ?? 0) + 1;
  const confirmSeconds = rows
    .filter((row) => row.confirmed_at)
    .map((row) => (row.confirmed_at!.getTime() - row.created_at.getTime()) / 1000);
  return {
    sent: requests.length,
    accepted: ids.length,
    refused,
    acceptSeconds,
    terminal: rows.filter((row) => TERMINAL.has(row.state)).length,
    confirmed: byState.confirmed ?? 0,
    byState,
    confirmSeconds,
    waitedSeconds: (Date.now() - started) / 1000,
  };
}

/** POST …/bookings at full speed and the one-INSERT ceiling, alternated `reps` times. */
export async function measureBookings(
  options: {
    serverUrl: string;
    ceilingUrl: string;
    key: string;
    slotPool: SlotPool;
    connections: number;
    seconds: number;
    reps: number;
  },
  log: Log,
): Promise<{ real: LoadResult[]; ceiling: LoadResult[]; exhausted: boolean }> {
  const real: LoadResult[] = [];
  const ceiling: LoadResult[] = [];
  let exhausted = false;
  const bookingRequest = (
    request: Parameters<NonNullable<Parameters<typeof load>[0]['setupRequest']>>[0],
  ) => {
    const slot = options.slotPool.next();
    if (!slot) exhausted = true;
    const { body, token } = bookingBody(slot?.slotId ?? '00000000-0000-4000-8000-000000000000');
    return {
      ...request,
      method: 'POST' as const,
      path: `/v1/practices/${slot?.practiceId ?? '00000000-0000-4000-8000-000000000000'}/bookings`,
      headers: {
        authorization: `Bearer ${options.key}`,
        'content-type': 'application/json',
        'idempotency-key': token,
      },
      body,
    };
  };
  const insertRequest = (request: Parameters<typeof bookingRequest>[0]) => {
    const { body } = bookingBody('00000000-0000-4000-8000-000000000000');
    return {
      ...request,
      method: 'POST' as const,
      path: '/insert',
      headers: { 'content-type': 'application/json' },
      body,
    };
  };
  for (let rep = 0; rep < options.reps; rep++) {
    const c = await load({
      url: options.ceilingUrl,
      connections: options.connections,
      seconds: options.seconds,
      method: 'POST',
      setupRequest: insertRequest,
    });
    const r = await load({
      url: options.serverUrl,
      connections: options.connections,
      seconds: options.seconds,
      method: 'POST',
      setupRequest: bookingRequest,
    });
    ceiling.push(c);
    real.push(r);
    log(
      `    rep ${rep + 1}: one-INSERT ceiling ${c.okPerSecond.toFixed(0)}/s (p99 ${c.p99} ms), bookings accepted ${r.okPerSecond.toFixed(0)}/s (p99 ${r.p99} ms; answers ${JSON.stringify(r.statusCodes)}${r.errors ? `, ${r.errors} errors` : ''})`,
    );
  }
  return { real, ceiling, exhausted };
}

export interface DoubledResult {
  /** Live bookings of ours sharing one EHR slot (database). */
  databaseDoubled: number;
  /** EHR slots BookAppointment accepted twice, and bookings written to two slots (sandbox). */
  sandboxSlotTwice: number;
  sandboxBookingTwice: number;
  /** Confirmed in our database with no booking in the sandbox, and booked in the sandbox but not confirmed here. */
  confirmedNotInSandbox: number;
  inSandboxNotConfirmed: number;
  pending: number;
}

/** After the write-backs had time to drain (bounded): is any booking doubled, here or in the EHR? */
export async function checkDoubled(pool: pg.Pool, fleetUrl: string, drainMs: number): Promise<DoubledResult> {
  const started = Date.now();
  let pending = 0;
  while (true) {
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM bookings WHERE state IN ('pending', 'cancelling')",
    );
    pending = Number(rows[0]?.n ?? 0);
    if (pending === 0 || Date.now() - started > drainMs) break;
    await sleep(1_000);
  }
  const { rows: doubled } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM (
       SELECT practice_id, ehr_slot_id FROM bookings
        WHERE state IN ('pending', 'confirmed', 'needs_reconciliation', 'cancelling')
        GROUP BY practice_id, ehr_slot_id HAVING count(*) > 1) d`,
  );
  const { rows: confirmed } = await pool.query<{ ehr_booking_ref: string | null; ods_code: string }>(
    `SELECT b.ehr_booking_ref, p.ods_code FROM bookings b JOIN practices p ON p.id = b.practice_id
      WHERE b.state = 'confirmed'`,
  );
  const response = await fetch(`${fleetUrl}/_fleet/bookings`, { signal: AbortSignal.timeout(60_000) });
  const { bookings } = (await response.json()) as {
    bookings: { cdbNumber: string; slotId: number; reason: string }[];
  };
  const slotCount = new Map<string, number>();
  const reasonCount = new Map<string, number>();
  for (const booking of bookings) {
    const slot = `${booking.cdbNumber}:${booking.slotId}`;
    slotCount.set(slot, (slotCount.get(slot) ?? 0) + 1);
    reasonCount.set(booking.reason, (reasonCount.get(booking.reason) ?? 0) + 1);
  }
  // A confirmed booking's reference is "<slotId>:<patientNumber>"; its practice's ODS code is Y<cdb>.
  const confirmedSlots = new Set(
    confirmed.map((row) => `${row.ods_code.slice(1)}:${(row.ehr_booking_ref ?? '').split(':')[0]}`),
  );
  const sandboxSlots = new Set(slotCount.keys());
  return {
    databaseDoubled: Number(doubled[0]?.n ?? 0),
    sandboxSlotTwice: [...slotCount.values()].filter((n) => n > 1).length,
    sandboxBookingTwice: [...reasonCount.values()].filter((n) => n > 1).length,
    confirmedNotInSandbox: [...confirmedSlots].filter((slot) => !sandboxSlots.has(slot)).length,
    inSandboxNotConfirmed: [...sandboxSlots].filter((slot) => !confirmedSlots.has(slot)).length,
    pending,
  };
}

// ---- two workers against one ------------------------------------------------------------------------

/**
 * Near-window reads per second at the fleet over `seconds` (after `warmupSeconds`): one read is
 * one GetAppointmentSessions call over at most 3 days. Also all EHR calls.
 */
export async function readsPerSecond(
  fleetUrl: string,
  warmupSeconds: number,
  seconds: number,
): Promise<{ nearReadsPerSecond: number; callsPerSecond: number }> {
  await sleep(warmupSeconds * 1000);
  const before = await fleetStats(fleetUrl);
  const started = Date.now();
  await sleep(seconds * 1000);
  const after = await fleetStats(fleetUrl);
  const elapsed = (Date.now() - started) / 1000;
  return {
    nearReadsPerSecond: (after.sessionReads.near - before.sessionReads.near) / elapsed,
    callsPerSecond: (totalCalls(after) - totalCalls(before)) / elapsed,
  };
}
