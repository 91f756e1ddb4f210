/**
 * How fresh each practice's stored diary is: the one place every reader (availability's stale
 * rule, diagnostics, the connection view, metrics) asks "when was this practice last read from
 * its EHR, and when is the next read due?". The scheduler that owns a practice keeps these times
 * in memory and publishes them; readers in any process see them here.
 */
import type { Db } from '../db/database.ts';

export interface PracticeSyncState {
  /** The oldest of the last good reads of the near window and of the whole horizon. */
  lastGoodSyncAt: Date | null;
  /** When the last read (good or failed) finished. */
  lastSyncAt: Date | null;
  /** When the next background read of the near window is due, if a scheduler owns the practice. */
  nextSyncDueBy: Date | null;
}

export class SyncState {
  constructor(private readonly db: Db) {}

  async of(practiceId: string): Promise<PracticeSyncState> {
    const row = await this.db
      .selectFrom('connections')
      .select(['last_sync_at', 'last_good_sync_at'])
      .where('practice_id', '=', practiceId)
      .executeTakeFirst();
    return {
      lastGoodSyncAt: row?.last_good_sync_at ?? null,
      lastSyncAt: row?.last_sync_at ?? null,
      nextSyncDueBy: null,
    };
  }
}
