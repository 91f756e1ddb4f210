/**
 * How fresh each practice's stored diary is: the one place every reader (availability's stale
 * rule, diagnostics, the connection view) asks "when was this practice last read whole from its
 * EHR, and when is the next read due?".
 *
 * The scheduler that owns a practice keeps these times in memory (an unchanged read writes
 * nothing) and publishes them every few seconds in its `sync_workers` row; a whole-horizon run
 * that is recorded (manual, start-up) writes them on the connection. A reader takes the newest
 * of the three: this process's scheduler, the published rows (cached for a second or two), the
 * connection.
 */
import type { Db } from '../db/database.ts';
import type { PublishedPracticeState } from '../db/schema.ts';
import type { SyncScheduler } from './scheduler.ts';

export interface PracticeSyncState {
  /** The older of the last good reads of the near window and of the rest of the horizon. */
  lastGoodSyncAt: Date | null;
  /** When the last recorded run (one that changed something, failed, or was asked for) finished. */
  lastSyncAt: Date | null;
  /** When the next background read of the near window is due; null when no scheduler owns it. */
  nextSyncDueBy: Date | null;
  /** EHR calls of the last minute, in the process that reads the practice's diary. */
  ehrCallsLastMinute: number | null;
  /** The practice's EHR call budget a minute, as that process applies it. */
  ehrCallsPerMinute: number | null;
}

/** Published times and a connection's recorded runs are re-read at most this often. */
interface ConnectionTimes {
  last_sync_at: Date | null;
  last_good_sync_at: Date | null;
}

const PUBLISHED_TTL_MS = 2_000;

/** When the whole horizon was last read, as published: the older of the near and far reads. */
function wholeReadAt([near, far]: PublishedPracticeState): number {
  return near > 0 && far > 0 ? Math.min(near, far) : 0;
}

export class SyncState {
  #scheduler: SyncScheduler | null = null;
  #published = new Map<string, PublishedPracticeState>();
  #publishedAt = 0;
  #loading: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  /** This process's scheduler: its times are fresher than what it last published. */
  attach(scheduler: SyncScheduler | null): void {
    this.#scheduler = scheduler;
  }

  async of(practiceId: string): Promise<PracticeSyncState> {
    const [row] = await Promise.all([this.#connection(practiceId), this.#loadPublished()]);
    let lastGood = row?.last_good_sync_at?.getTime() ?? 0;
    let nextDue: number | null = null;
    let calls: number | null = null;
    let budget: number | null = null;
    const published = this.#published.get(practiceId);
    if (published) {
      const [, , due, lastMinute, perMinute] = published;
      lastGood = Math.max(lastGood, wholeReadAt(published));
      nextDue = due;
      calls = lastMinute;
      budget = perMinute;
    }
    const local = this.#scheduler?.stateOf(practiceId);
    if (local) {
      if (local.lastGoodSyncAt) lastGood = Math.max(lastGood, local.lastGoodSyncAt.getTime());
      nextDue = local.nextSyncDueBy.getTime();
      calls = local.ehrCallsLastMinute;
      budget = local.ehrCallsPerMinute;
    }
    return {
      lastGoodSyncAt: lastGood > 0 ? new Date(lastGood) : null,
      lastSyncAt: row?.last_sync_at ?? null,
      nextSyncDueBy: nextDue !== null ? new Date(nextDue) : null,
      ehrCallsLastMinute: calls,
      ehrCallsPerMinute: budget,
    };
  }

  /**
   * The read times this process holds in memory (its scheduler's, the published ones), without
   * the connection's row, when they already make the practice fresh: the last good read after
   * `freshAfter` (epoch ms). `of` takes the newest of these and the row, so its answer is then at
   * least as new, and fresh too. Otherwise null: ask `of`. (The booking accept: the stale rule is
   * all it needs of these times, and it passes either way.)
   */
  async freshInMemory(
    practiceId: string,
    freshAfter: number,
  ): Promise<{ lastGoodSyncAt: Date; nextSyncDueBy: Date | null } | null> {
    await this.#loadPublished();
    let lastGood = 0;
    let nextDue: number | null = null;
    const published = this.#published.get(practiceId);
    if (published) {
      lastGood = wholeReadAt(published);
      nextDue = published[2];
    }
    const local = this.#scheduler?.stateOf(practiceId);
    if (local) {
      if (local.lastGoodSyncAt) lastGood = Math.max(lastGood, local.lastGoodSyncAt.getTime());
      nextDue = local.nextSyncDueBy.getTime();
    }
    if (lastGood <= freshAfter) return null;
    return { lastGoodSyncAt: new Date(lastGood), nextSyncDueBy: nextDue !== null ? new Date(nextDue) : null };
  }

  /** The connection's recorded times (a whole-horizon run, a change, a failure). */
  #connection(practiceId: string): Promise<ConnectionTimes | undefined> {
    return this.db
      .selectFrom('connections')
      .select(['last_sync_at', 'last_good_sync_at'])
      .where('practice_id', '=', practiceId)
      .executeTakeFirst();
  }

  #loadPublished(): Promise<void> {
    if (Date.now() - this.#publishedAt < PUBLISHED_TTL_MS) return Promise.resolve();
    this.#loading ??= this.db
      .selectFrom('sync_workers')
      .select('practices')
      .orderBy('heartbeat_at')
      .execute()
      .then((rows) => {
        const merged = new Map<string, PublishedPracticeState>();
        // Newer rows last. A practice that moved between processes keeps the freshest read times
        // either owner knows (its new owner may not have read it yet), and its newest owner's rest.
        for (const row of rows) {
          for (const [id, state] of Object.entries(row.practices)) {
            const before = merged.get(id);
            merged.set(
              id,
              before && wholeReadAt(before) > wholeReadAt(state)
                ? ([before[0], before[1], ...state.slice(2)] as PublishedPracticeState)
                : state,
            );
          }
        }
        this.#published = merged;
        this.#publishedAt = Date.now();
      })
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }
}
