/**
 * The answers of `GET …/slots`, kept for a few seconds per practice and query, and dropped the
 * moment anything that decides them changes: every transaction that changes a practice's slots,
 * offers or live bookings sends `NOTIFY slotbridge_offers` (or the outbox's notification, for a
 * new booking), and every process drops that practice's answers when it arrives. The few
 * seconds bound what time alone changes (a slot starting now, a practice going stale).
 *
 * Only a process that listens (one that started its workers, or an `api` process) keeps
 * answers; elsewhere every read goes to the database. Answers are kept as UTF-8 bytes, so a kept
 * answer is sent as it is, not encoded again for each request.
 */
import { type Kysely, sql } from 'kysely';
import { Channel, type PgCoordinator } from '../coordination.ts';
import type { Database } from '../db/schema.ts';

/** How long an answer may be served, at most, when nothing changed. */
export const ANSWER_TTL_MS = 5_000;
/** The most bytes of answers kept in one process. */
const MAX_BYTES = 32 * 1024 * 1024;

interface Entry {
  version: number;
  at: number;
  body: Buffer;
  /** The practice's partner: a kept answer is served only to that partner's keys or the admin's. */
  partnerId: string;
}

/**
 * Tells every process that the practice's offered slots may have changed: inside a transaction,
 * sent when it commits.
 */
export async function offersChanged(db: Kysely<Database>, practiceId: string): Promise<void> {
  await sql`select pg_notify(${Channel.offers}, ${practiceId})`.execute(db);
}

export class AnswerCache {
  readonly #versions = new Map<string, number>();
  readonly #answers = new Map<string, Entry>();
  #bytes = 0;
  #listening = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Keeps answers from now on, dropping a practice's on each of its change notifications. */
  listen(coordinator: PgCoordinator): void {
    const drop = (practiceId: string) => this.drop(practiceId);
    coordinator.on(Channel.offers, drop);
    // A new booking (or cancellation) wakes the write-back with the practice id: its slot is taken.
    coordinator.on(Channel.outbox, drop);
    coordinator.on(Channel.practices, drop);
    coordinator.onSession((up) => {
      // Notifications may have been missed while the session was down.
      this.#listening = up;
      this.clear();
    });
    this.#listening = true;
  }

  stop(): void {
    this.#listening = false;
    this.clear();
  }

  /**
   * The answer kept for this practice and query, if nothing changed since, it is recent, and the
   * caller may see the practice (a partner's own, or the admin key: `partnerId` null; a practice
   * key only its own practice).
   */
  get(
    practiceId: string,
    query: string,
    caller: { partnerId: string | null; practiceId: string | null },
  ): Buffer | undefined {
    if (caller.practiceId !== null && caller.practiceId !== practiceId) return undefined;
    const callerPartnerId = caller.partnerId;
    if (!this.#listening) return undefined;
    const entry = this.#answers.get(`${practiceId} ${query}`);
    if (!entry) return undefined;
    if (entry.version !== (this.#versions.get(practiceId) ?? 0) || this.now() - entry.at > ANSWER_TTL_MS) {
      this.#remove(`${practiceId} ${query}`, entry);
      return undefined;
    }
    if (callerPartnerId !== null && callerPartnerId !== entry.partnerId) return undefined;
    return entry.body;
  }

  /**
   * Keeps an answer. `version` is the practice's version read before the answer was computed,
   * so an answer computed across a change is never kept as current.
   */
  set(practice: { id: string; partner_id: string }, query: string, version: number, body: Buffer): void {
    const practiceId = practice.id;
    if (!this.#listening || version !== this.version(practiceId)) return;
    const key = `${practiceId} ${query}`;
    const previous = this.#answers.get(key);
    if (previous) this.#remove(key, previous);
    this.#answers.set(key, { version, at: this.now(), body, partnerId: practice.partner_id });
    this.#bytes += body.length;
    // Oldest first: Map keeps insertion order.
    for (const [oldKey, old] of this.#answers) {
      if (this.#bytes <= MAX_BYTES) break;
      this.#remove(oldKey, old);
    }
  }

  version(practiceId: string): number {
    return this.#versions.get(practiceId) ?? 0;
  }

  drop(practiceId: string): void {
    this.#versions.set(practiceId, this.version(practiceId) + 1);
  }

  clear(): void {
    this.#answers.clear();
    this.#bytes = 0;
  }

  #remove(key: string, entry: Entry): void {
    this.#answers.delete(key);
    this.#bytes -= entry.body.length;
  }
}
