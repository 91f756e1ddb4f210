/**
 * What this process last read of each practice's sessions: per session, the digest the plugin
 * gave of it (EMIS: its slot counts, times, site and holders) and when its slots were last read
 * in full. A read may then skip the slots of a session whose digest is unchanged and keep what
 * is stored (see SlotWindow.knownSessions), so an unchanged diary costs one summary call.
 *
 * A digest can miss a change that keeps every count (a cancellation and a booking in the same
 * session between two reads), so an entry vouches for its session only for a while: the reader
 * passes the age it accepts, and past it the session is read in full again.
 *
 * Kept in memory only, per process: a process that takes a practice over starts empty and reads
 * every session in full once. Entries are written under the practice's sync lock, in the same
 * transaction that stores the slots, and the practice is forgotten when that transaction fails,
 * so an entry never vouches for slots that were not stored.
 */

interface Entry {
  digest: string;
  /** When the read that stored its slots started (ms). */
  readAt: number;
}

interface PracticeMemo {
  /** The active slot types the entries were read for: another set means other stored slots. */
  slotTypes: string;
  sessions: Map<string, Entry>;
}

export class SessionMemo {
  readonly #practices = new Map<string, PracticeMemo>();

  /** Digests of the practice's sessions read in full at or after `since` (ms), for these types. */
  known(practiceId: string, slotTypeIds: string[], since: number): Map<string, string> {
    const known = new Map<string, string>();
    const memo = this.#practices.get(practiceId);
    if (!memo || memo.slotTypes !== slotTypeIds.join(',')) return known;
    for (const [sessionId, entry] of memo.sessions) {
      if (entry.readAt >= since) known.set(sessionId, entry.digest);
    }
    return known;
  }

  /**
   * Records what a read stored: sessions read in full get their digest and the read's start;
   * unchanged ones keep when they were last read in full. A read that started before the one
   * that last recorded a session stored older slots over newer: that session is forgotten.
   * Entries older than `forgetBefore` (ms) are dropped, which bounds the memo.
   */
  record(
    practiceId: string,
    slotTypeIds: string[],
    read: { startedAt: number; digests: Record<string, string>; unchanged: ReadonlySet<string> },
    forgetBefore: number,
  ): void {
    const slotTypes = slotTypeIds.join(',');
    let memo = this.#practices.get(practiceId);
    if (!memo || memo.slotTypes !== slotTypes) {
      memo = { slotTypes, sessions: new Map() };
      this.#practices.set(practiceId, memo);
    }
    for (const [sessionId, digest] of Object.entries(read.digests)) {
      const entry = memo.sessions.get(sessionId);
      if (read.unchanged.has(sessionId)) continue;
      if (entry && entry.readAt > read.startedAt) memo.sessions.delete(sessionId);
      else memo.sessions.set(sessionId, { digest, readAt: read.startedAt });
    }
    for (const [sessionId, entry] of memo.sessions) {
      if (entry.readAt < forgetBefore) memo.sessions.delete(sessionId);
    }
    if (memo.sessions.size === 0) this.#practices.delete(practiceId);
  }

  /** Forgets some sessions of a practice: their stored slots were written without a digest. */
  drop(practiceId: string, sessionIds: Iterable<string>): void {
    const memo = this.#practices.get(practiceId);
    if (!memo) return;
    for (const sessionId of sessionIds) memo.sessions.delete(sessionId);
  }

  /** Forgets a practice: read by another process now, or its last write failed. */
  forget(practiceId: string): void {
    this.#practices.delete(practiceId);
  }

  /** Sessions remembered, across practices (for tests and metrics). */
  get size(): number {
    let size = 0;
    for (const memo of this.#practices.values()) size += memo.sessions.size;
    return size;
  }
}
