/**
 * The one sync scheduler. Practices are shared between the processes that run workers: each
 * practice belongs to one of SHARDS shards, and each process holds about its share of the shards
 * as session advisory locks (a process that dies lets go of its shards, and the others take them
 * within seconds). A process reads the diaries of the practices in its shards:
 *
 * - the near window (now to now + 48 h), every `nearSeconds`, where patients book;
 * - the rest of the horizon, every `farSeconds`, at a lower priority for the EHR call budget;
 * - at once, a practitioner's day after a booking, a cancellation or an EHR refusal (a
 *   notification from whichever process saw it).
 *
 * Reads run `concurrency` at a time (the far ones at most half of them), each spending the
 * practice's EHR call budget. A read whose answer is what the EHR said last time writes nothing;
 * when each practice was last read is kept here and published every few seconds in one row per
 * process (`sync_workers`), where SyncState reads it.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Channel, type PgCoordinator } from '../coordination.ts';
import type { Db } from '../db/database.ts';
import type { Practice, PublishedPracticeState } from '../db/schema.ts';
import type { HookLogger } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { callsPerMinuteOf } from '../practices.ts';
import { addLocalDays, localDateOf, startOfLocalDay, startOfNextLocalDay } from '../time.ts';
import type { SlotSync, SyncReadOutcome } from './sync-practice.ts';

/** How many shards the practices are spread over. */
export const SHARDS = 64;
const MEMBER_LOCK = 0x5b0c_0001;
const SHARD_LOCK = 0x5b0c_0002;
const MAX_MEMBERS = 1024;
const TICK_MS = 200;
const REBALANCE_MS = 2_000;
const RELOAD_MS = 10_000;
const PUBLISH_MS = 5_000;
/** A published row is forgotten this long after its process stopped beating. */
const FORGET_WORKERS_AFTER = '1 hour';
/** A refresh gathers the requests of this long (a burst of bookings of one day is read once). */
const REFRESH_GATHER_MS = 500;
/**
 * How long a session read in full is trusted while its digest is unchanged (SessionMemo): a
 * change that keeps every count of a session shows within this, near and far.
 */
const TRUST_SESSIONS_MS = { near: 120_000, far: 900_000 } as const;
/** Failed reads back off up to this. */
const MAX_BACKOFF_MS = 300_000;

export interface SchedulerOptions {
  /** Reads in flight at once in this process. */
  concurrency: number;
  /** Seconds between reads of the near window. */
  nearSeconds: number;
  /** Seconds between reads of the rest of the horizon. */
  farSeconds: number;
  /** The near window, in hours from now. */
  nearWindowHours: number;
}

export type SyncWindowKind = 'near' | 'far' | 'refresh';

/** What one read cost and produced, for the metrics. */
export type SyncObserver = (
  read: { plugin: string; window: SyncWindowKind; outcome: 'changed' | 'unchanged' | 'failed' },
  seconds: number,
) => void;

interface Tier {
  dueAt: number;
  checkedAt: number;
  running: boolean;
  failures: number;
  fingerprint: string | null;
  /** The fingerprint is trusted until then; past it the read diffs against the database anyway. */
  fingerprintUntil: number;
}

interface Owned {
  practice: Practice;
  /** When this process took the practice on (ms). */
  ownedAt: number;
  near: Tier;
  far: Tier;
  /** Windows to refresh: key → window. */
  refresh: Map<string, { from: Date; to: Date; ehrPractitionerId: string | null }>;
  refreshing: boolean;
  /** The refresh waits until then, so that a burst of bookings of one day is read once. */
  refreshDueAt: number;
}

/** The payload of a refresh notification: practice, practitioner (may be empty), window. */
export function refreshPayload(
  practiceId: string,
  ehrPractitionerId: string | null,
  from: Date,
  to: Date,
): string {
  return [practiceId, ehrPractitionerId ?? '', from.toISOString(), to.toISOString()].join(' ');
}

/** The shard of a practice: from its id, so every process agrees. */
export function shardOf(practiceId: string): number {
  return Number.parseInt(practiceId.replace(/-/g, '').slice(-8), 16) % SHARDS;
}

function tier(dueAt: number): Tier {
  return { dueAt, checkedAt: 0, running: false, failures: 0, fingerprint: null, fingerprintUntil: 0 };
}

export class SyncScheduler {
  readonly workerId = randomUUID();
  readonly #owned = new Map<string, Owned>();
  readonly #shards = new Set<number>();
  #memberSlot: number | null = null;
  #running = 0;
  #runningFar = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;
  #inFlight = new Set<Promise<void>>();
  #reloading: Promise<void> | null = null;
  #reloadAgain = false;
  readonly #abort = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly coordinator: PgCoordinator,
    private readonly slotSync: SlotSync,
    private readonly ehr: EhrRegistry,
    private readonly log: HookLogger,
    private readonly options: SchedulerOptions,
    private readonly observe?: SyncObserver,
  ) {}

  async start(): Promise<void> {
    this.coordinator.on(Channel.refresh, (payload) => this.#onRefresh(payload));
    this.coordinator.on(Channel.practices, () => void this.#reload());
    this.coordinator.onSession((up) => {
      // The session's locks are gone with it: hold nothing until it is back.
      this.#memberSlot = null;
      this.#shards.clear();
      if (up) void this.#rebalance().then(() => this.#reload());
      else this.#dropUnowned();
    });
    await this.#rebalance();
    await this.#reload();
    const every = (ms: number, fn: () => unknown) => {
      const timer = setInterval(() => {
        if (!this.#stopping)
          void Promise.resolve(fn()).catch((error) => this.#warn(error, 'scheduler step failed'));
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(TICK_MS, () => this.#tick());
    every(REBALANCE_MS, async () => {
      const before = this.#shards.size;
      await this.#rebalance();
      if (this.#shards.size !== before) await this.#reload();
    });
    every(RELOAD_MS, () => this.#reload());
    every(PUBLISH_MS, () => this.#publish());
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#abort.abort(new Error('slotbridge is stopping'));
    await Promise.allSettled([...this.#inFlight]);
    await this.#publish().catch(() => {});
  }

  /** The practices this process owns now (ids). */
  get owned(): string[] {
    return [...this.#owned.keys()];
  }

  /** When each owned practice was last read whole, and when its next near read is due. */
  stateOf(practiceId: string): {
    lastGoodSyncAt: Date | null;
    nextSyncDueBy: Date;
    ehrCallsLastMinute: number;
    ehrCallsPerMinute: number;
  } | null {
    const owned = this.#owned.get(practiceId);
    if (!owned) return null;
    const { near, far } = owned;
    const checked = near.checkedAt > 0 && far.checkedAt > 0 ? Math.min(near.checkedAt, far.checkedAt) : 0;
    const budget = this.ehr.budgets.peek(practiceId);
    return {
      lastGoodSyncAt: checked > 0 ? new Date(checked) : null,
      nextSyncDueBy: new Date(near.dueAt),
      ehrCallsLastMinute: budget?.callsLastMinute ?? 0,
      ehrCallsPerMinute: budget?.perMinute ?? 0,
    };
  }

  /** Ages in seconds of the owned practices' last whole reads (never read: since taken on). */
  freshnessAges(now = Date.now()): number[] {
    return [...this.#owned.values()].map(
      (o) => (now - Math.min(o.near.checkedAt || o.ownedAt, o.far.checkedAt || o.ownedAt)) / 1000,
    );
  }

  // ---- sharing the practices ----------------------------------------------------------------

  async #rebalance(): Promise<void> {
    if (!this.coordinator.connected) return;
    if (this.#memberSlot === null) {
      for (let slot = 0; slot < MAX_MEMBERS; slot++) {
        const [row] = await this.coordinator.query<{ ok: boolean }>(
          'select pg_try_advisory_lock($1, $2) as ok',
          [MEMBER_LOCK, slot],
        );
        if (row?.ok) {
          this.#memberSlot = slot;
          break;
        }
      }
    }
    const [members] = await this.coordinator.query<{ n: number }>(
      `select count(*)::int as n from pg_locks
        where locktype = 'advisory' and granted and classid = $1 and objsubid = 2
          and database = (select oid from pg_database where datname = current_database())`,
      [MEMBER_LOCK],
    );
    const target = Math.ceil(SHARDS / Math.max(1, members?.n ?? 1));
    const held = [...this.#shards].sort((a, b) => b - a);
    while (held.length > target) {
      const shard = held.shift()!;
      await this.coordinator.query('select pg_advisory_unlock($1, $2)', [SHARD_LOCK, shard]);
      this.#shards.delete(shard);
    }
    // Start looking where this member's share would begin, so members rarely collide.
    const start = ((this.#memberSlot ?? 0) * target) % SHARDS;
    for (let i = 0; i < SHARDS && this.#shards.size < target; i++) {
      const shard = (start + i) % SHARDS;
      if (this.#shards.has(shard)) continue;
      const [row] = await this.coordinator.query<{ ok: boolean }>(
        'select pg_try_advisory_lock($1, $2) as ok',
        [SHARD_LOCK, shard],
      );
      if (row?.ok) this.#shards.add(shard);
    }
  }

  /** Loads the connected practices of the shards held; new ones are read soon, spread out. */
  #reload(): Promise<void> {
    if (this.#reloading) {
      // A practice connected while a load was reading: load once more after it.
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = this.#load().finally(() => {
      this.#reloading = null;
      if (this.#reloadAgain) {
        this.#reloadAgain = false;
        void this.#reload().catch((error) => this.#warn(error, 'loading the practices failed'));
      }
    });
    return this.#reloading;
  }

  async #load(): Promise<void> {
    const practices = await this.db
      .selectFrom('practices')
      .innerJoin('connections', 'connections.practice_id', 'practices.id')
      .selectAll('practices')
      .execute();
    const now = Date.now();
    const seen = new Set<string>();
    for (const practice of practices) {
      if (!this.#shards.has(shardOf(practice.id)) || !this.ehr.has(practice.ehr)) continue;
      seen.add(practice.id);
      this.ehr.budgets.of(practice.id, callsPerMinuteOf(practice, this.ehr.get(practice.ehr).capabilities));
      const owned = this.#owned.get(practice.id);
      if (owned) {
        owned.practice = practice;
        continue;
      }
      // Spread first reads out so a fleet does not all start in the same second.
      const spread = (seconds: number) => now + Math.random() * Math.min(seconds, 30) * 1000;
      this.#owned.set(practice.id, {
        practice,
        near: tier(spread(this.options.nearSeconds)),
        far: tier(spread(this.options.farSeconds)),
        refresh: new Map(),
        refreshing: false,
        refreshDueAt: 0,
        ownedAt: now,
      });
    }
    for (const id of this.#owned.keys()) {
      if (seen.has(id)) continue;
      // Read by another process now: its budget goes with it (a write here starts a fresh one).
      this.#owned.delete(id);
      this.ehr.budgets.forget(id);
      this.slotSync.sessions.forget(id);
    }
  }

  #dropUnowned(): void {
    for (const id of this.#owned.keys()) this.slotSync.sessions.forget(id);
    this.#owned.clear();
  }

  // ---- choosing what to read ---------------------------------------------------------------

  #tick(): void {
    const now = Date.now();
    const farLimit = Math.max(1, Math.floor(this.options.concurrency / 2));
    const candidates: { owned: Owned; kind: SyncWindowKind; urgency: number }[] = [];
    for (const owned of this.#owned.values()) {
      if (owned.refresh.size > 0 && !owned.refreshing && owned.refreshDueAt <= now)
        candidates.push({ owned, kind: 'refresh', urgency: Number.MAX_SAFE_INTEGER });
      if (!owned.near.running && owned.near.dueAt <= now) {
        candidates.push({
          owned,
          kind: 'near',
          urgency: (now - owned.near.dueAt) / (this.options.nearSeconds * 1000),
        });
      }
      if (!owned.far.running && owned.far.dueAt <= now) {
        candidates.push({
          owned,
          kind: 'far',
          urgency: (now - owned.far.dueAt) / (this.options.farSeconds * 1000),
        });
      }
    }
    if (candidates.length === 0) return;
    candidates.sort((a, b) => b.urgency - a.urgency);
    for (const { owned, kind } of candidates) {
      if (this.#running >= this.options.concurrency) return;
      if (kind === 'far' && this.#runningFar >= farLimit) continue;
      const done = this.#read(owned, kind).finally(() => this.#inFlight.delete(done));
      this.#inFlight.add(done);
    }
  }

  async #read(owned: Owned, kind: SyncWindowKind): Promise<void> {
    this.#running += 1;
    if (kind === 'far') this.#runningFar += 1;
    const practice = owned.practice;
    const started = Date.now();
    const state = kind === 'refresh' ? null : owned[kind];
    if (state) state.running = true;
    else owned.refreshing = true;
    try {
      if (kind === 'refresh') {
        const requests = [...owned.refresh.values()];
        owned.refresh.clear();
        for (const request of requests) {
          const from = new Date(Math.max(request.from.getTime(), started));
          if (from >= request.to) continue;
          const outcome = await this.slotSync.read(
            practice,
            'refresh',
            {
              from,
              to: request.to,
              ...(request.ehrPractitionerId && { ehrPractitionerIds: [request.ehrPractitionerId] }),
            },
            { record: 'when-changed', signal: this.#abort.signal },
          );
          // What the database holds may now differ from the last near/far answers: diff next time.
          if (outcome.changed) this.#forgetFingerprints(owned);
          this.#observe(practice, 'refresh', outcome, started);
        }
        return;
      }
      const window = await this.#window(practice, kind, new Date(started));
      const trusted = state!.fingerprintUntil > started ? state!.fingerprint : null;
      const outcome = await this.slotSync.read(practice, kind, window, {
        record: 'when-changed',
        previousFingerprint: trusted,
        signal: this.#abort.signal,
        priority: kind === 'far' ? 'low' : 'high',
        trustSessionsForMs: TRUST_SESSIONS_MS[kind],
      });
      this.#observe(practice, kind, outcome, started);
      const interval = (kind === 'near' ? this.options.nearSeconds : this.options.farSeconds) * 1000;
      if (outcome.status === 'succeeded') {
        state!.checkedAt = started;
        state!.failures = 0;
        state!.dueAt = started + interval;
        if (outcome.fingerprint !== trusted) {
          state!.fingerprint = outcome.fingerprint;
          state!.fingerprintUntil = started + this.options.farSeconds * 1000;
        }
      } else {
        state!.failures += 1;
        state!.fingerprint = null;
        state!.dueAt = Date.now() + Math.min(interval * 2 ** (state!.failures - 1), MAX_BACKOFF_MS);
      }
    } catch (error) {
      if (!this.#stopping) this.#warn(error, 'sync read failed');
      if (state) state.dueAt = Date.now() + this.options.nearSeconds * 1000;
    } finally {
      this.#running -= 1;
      if (kind === 'far') this.#runningFar -= 1;
      if (state) state.running = false;
      else owned.refreshing = false;
    }
  }

  /**
   * Whole local days of the practice: near from the start of today to the end of the day
   * nearWindowHours from now, far from there to the end of the horizon's last day. A session cut
   * by a window's edge is read whole at every read (SessionMemo vouches only for sessions wholly
   * inside), so edges at midnight, where no session runs, let an unchanged near window cost one
   * summary call. Past slots of today are read too: they are never offered (offer rules).
   */
  async #window(practice: Practice, kind: 'near' | 'far', now: Date): Promise<{ from: Date; to: Date }> {
    const zone = practice.time_zone;
    const horizonEnd = startOfNextLocalDay(
      addLocalDays(now, await this.slotSync.horizonDays(practice), zone),
      zone,
    );
    const nearEnd = startOfNextLocalDay(
      new Date(now.getTime() + this.options.nearWindowHours * 3_600_000),
      zone,
    );
    const split = new Date(Math.min(nearEnd.getTime(), horizonEnd.getTime()));
    if (kind === 'near') return { from: startOfLocalDay(localDateOf(now, zone), zone), to: split };
    return { from: split, to: horizonEnd };
  }

  #forgetFingerprints(owned: Owned): void {
    owned.near.fingerprint = null;
    owned.far.fingerprint = null;
  }

  #observe(practice: Practice, kind: SyncWindowKind, outcome: SyncReadOutcome, started: number): void {
    this.observe?.(
      {
        plugin: practice.ehr,
        window: kind,
        outcome: outcome.status === 'failed' ? 'failed' : outcome.changed ? 'changed' : 'unchanged',
      },
      (Date.now() - started) / 1000,
    );
  }

  #onRefresh(payload: string): void {
    const [practiceId, ehrPractitionerId, from, to] = payload.split(' ');
    const owned = practiceId ? this.#owned.get(practiceId) : undefined;
    if (!owned || !from || !to) return;
    if (owned.refresh.size === 0) owned.refreshDueAt = Date.now() + REFRESH_GATHER_MS;
    owned.refresh.set(`${ehrPractitionerId}|${from}|${to}`, {
      from: new Date(from),
      to: new Date(to),
      ehrPractitionerId: ehrPractitionerId || null,
    });
  }

  // ---- publishing --------------------------------------------------------------------------

  async #publish(): Promise<void> {
    const practices: Record<string, PublishedPracticeState> = {};
    for (const [id, owned] of this.#owned) {
      const budget = this.ehr.budgets.peek(id);
      practices[id] = [
        owned.near.checkedAt,
        owned.far.checkedAt,
        owned.near.dueAt,
        budget?.callsLastMinute ?? 0,
        budget?.perMinute ?? 0,
      ];
    }
    const json = JSON.stringify(practices);
    await this.db
      .insertInto('sync_workers')
      .values({ id: this.workerId, practices: json })
      .onConflict((oc) => oc.column('id').doUpdateSet({ practices: json, heartbeat_at: new Date() }))
      .execute();
    await this.db
      .deleteFrom('sync_workers')
      .where(sql<boolean>`heartbeat_at < now() - ${FORGET_WORKERS_AFTER}::interval`)
      .execute();
  }

  #warn(error: unknown, message: string): void {
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, message);
  }
}
