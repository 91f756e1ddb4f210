/**
 * One read of one practice's diary over a window: fetch the active slot types, diff with what is
 * stored, and write only the changes in one transaction. The scheduler reads the near window
 * often and the rest rarely; a manual or start-up sync reads the whole horizon.
 *
 * An unchanged read writes nothing: when the EHR answers exactly what it answered last time
 * (same fingerprint) the database is not even read, and a run is recorded only when it changed
 * something or failed (manual and start-up runs are always recorded). Each practice keeps its
 * latest RUN_HISTORY runs.
 */
import { createHash } from 'node:crypto';
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import { type Static, Type } from 'typebox';
import { enqueueBookingWrite } from '../booking/outbox.ts';
import type { Connections } from '../connections.ts';
import type { Db } from '../db/database.ts';
import type { Database, Practice, SyncRun, SyncRunsTable, SyncTrigger } from '../db/schema.ts';
import type { CallPriority } from '../ehr-calls.ts';
import type { EhrSlot, EhrSlotStatus, HookLogger } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, EhrError, SlotbridgeError } from '../errors.ts';
import { unregisteredSlotTypeId } from '../mappings.ts';
import { offersChanged } from '../offers/answer-cache.ts';
import { refreshOffers } from '../offers/offers.ts';
import type { Practices } from '../practices.ts';
import { addDays, addLocalDays } from '../time.ts';
import { DateTime } from '../view-schemas.ts';
import { recordAvailabilityChanged, recordBookingEvent } from '../webhooks/events.ts';
import { diffSlots, STORED_SLOT_COLUMNS, type StoredSlot } from './diff-slots.ts';
import { SessionMemo } from './session-memo.ts';

/** A sync run as the API answers it (component `SyncRun`). */
export const SyncRunViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    practiceId: Type.String({ format: 'uuid' }),
    trigger: Type.Union(
      [
        Type.Literal('manual'),
        Type.Literal('startup'),
        Type.Literal('near'),
        Type.Literal('far'),
        Type.Literal('refresh'),
      ],
      {
        description:
          "manual and startup read the whole horizon; the scheduler reads the near window (today + 48 h), the far rest of the horizon, or refreshes a practitioner's day after a booking",
      },
    ),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    window: Type.Object({
      from: Type.String({ format: 'date-time' }),
      to: Type.String({ format: 'date-time' }),
    }),
    counts: Type.Object({
      fetched: Type.Integer(),
      inserted: Type.Integer(),
      updated: Type.Integer(),
      deleted: Type.Integer(),
      unchanged: Type.Integer(),
      bookingsChanged: Type.Integer({ description: 'Our bookings found cancelled or reconciled in the EHR' }),
    }),
    error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    startedAt: DateTime('Start'),
    finishedAt: DateTime('End'),
  },
  { $id: 'SyncRun' },
);
export type SyncRunView = Static<typeof SyncRunViewSchema>;

export function syncRunView(run: SyncRun): SyncRunView {
  return {
    id: run.id,
    practiceId: run.practice_id,
    trigger: run.trigger,
    status: run.status,
    window: { from: run.window_from.toISOString(), to: run.window_to.toISOString() },
    counts: {
      fetched: run.fetched,
      inserted: run.inserted,
      updated: run.updated,
      deleted: run.deleted,
      unchanged: run.unchanged,
      bookingsChanged: run.bookings_changed,
    },
    error: run.error_code ? { code: run.error_code, message: run.error_message ?? '' } : null,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at.toISOString(),
  };
}

const INSERT_CHUNK = 500;
/** No read trusts a session read in full longer ago than this: older memo entries are dropped. */
export const SESSION_MEMO_MAX_MS = 30 * 60_000;
/** Runs kept per practice. */
export const RUN_HISTORY = 200;

/** A window of the diary to read: [from, to), optionally only some practitioners' slots. */
export interface SyncReadWindow {
  from: Date;
  to: Date;
  ehrPractitionerIds?: string[];
}

export interface SyncReadOptions {
  /** 'always' (manual, start-up) or only when the read changed something or failed. */
  record: 'always' | 'when-changed';
  /** The fingerprint of the previous read of this same window: equal means nothing changed. */
  previousFingerprint?: string | null;
  signal?: AbortSignal;
  /** The EHR call budget serves 'high' reads (near window, refresh) before 'low' ones. */
  priority?: CallPriority;
  /**
   * A session read in full within this many ms whose digest the EHR reports unchanged is not
   * read again: its stored slots stand (SessionMemo). Absent: every slot is read.
   */
  trustSessionsForMs?: number;
}

export interface SyncReadOutcome {
  status: 'succeeded' | 'failed';
  /**
   * The EHR was asked (the practice has active slot types). A read of nothing proves nothing
   * about the connection, so only an asked read makes it healthy again.
   */
  askedEhr: boolean;
  /** Slots or bookings were written. */
  changed: boolean;
  /** Of what the EHR answered; null when the read failed. */
  fingerprint: string | null;
  error: { code: string; message: string; kind: string | null } | null;
  /** The recorded run, when one was recorded. */
  run: SyncRun | null;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * A digest of a read's answer: two equal fingerprints mean the EHR said the same. Sessions the
 * plugin named unchanged count by their digest.
 */
export function fingerprintOf(
  slots: EhrSlot[],
  slotTypeIds: string[],
  unchangedSessions: ReadonlyMap<string, string> = new Map(),
): string {
  const hash = createHash('sha256').update(slotTypeIds.join(','));
  for (const id of [...unchangedSessions.keys()].sort()) hash.update(`|${id}=${unchangedSessions.get(id)}`);
  const sorted = [...slots].sort((a, b) =>
    a.ehrSlotId < b.ehrSlotId ? -1 : a.ehrSlotId > b.ehrSlotId ? 1 : 0,
  );
  for (const s of sorted) {
    hash.update(
      `|${s.ehrSlotId},${s.ehrSessionId},${s.ehrPractitionerId},${s.ehrLocationId},${s.ehrSlotTypeId},${s.startAt.getTime()},${s.endAt.getTime()},${s.status},${s.ehrStatus}`,
    );
  }
  return hash.digest('base64url');
}

/** A stored slot as the EHR last said it. */
function ehrSlotOf(row: StoredSlot): EhrSlot {
  return {
    ehrSlotId: row.ehr_slot_id,
    ehrSessionId: row.ehr_session_id,
    ehrPractitionerId: row.ehr_practitioner_id,
    ehrLocationId: row.ehr_location_id,
    ehrSlotTypeId: row.ehr_slot_type_id,
    startAt: row.start_at,
    endAt: row.end_at,
    status: row.status as EhrSlotStatus,
    ehrStatus: row.ehr_status,
  };
}

/** What one read of a window brought back from the plugin. */
interface WindowRead {
  slots: EhrSlot[];
  slotTypeIds: string[];
  /** Digests of the sessions lying wholly inside the window (SlotFetchResult.sessionDigests). */
  digests: Record<string, string>;
  /** Sessions whose slots were not read: unchanged, by digest (id → digest). */
  unchanged: Map<string, string>;
}

function slotColumns(slot: EhrSlot) {
  return {
    ehr_session_id: slot.ehrSessionId,
    ehr_practitioner_id: slot.ehrPractitionerId,
    ehr_location_id: slot.ehrLocationId,
    ehr_slot_type_id: slot.ehrSlotTypeId,
    start_at: slot.startAt,
    end_at: slot.endAt,
    status: slot.status,
    ehr_status: slot.ehrStatus,
  };
}

export class SlotSync {
  /** What this process last read of each practice's sessions. */
  readonly sessions = new SessionMemo();

  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly practices: Practices,
    private readonly connections: Connections,
    private readonly log: HookLogger,
    private readonly now: () => Date,
  ) {}

  /** The practice's publishing horizon, in days. */
  horizonDays(practice: Practice): Promise<number> {
    return this.practices.horizonDays(practice);
  }

  /** Reads the whole publishing horizon now and records the run (manual and start-up syncs). */
  async run(practice: Practice, trigger: SyncTrigger, signal?: AbortSignal): Promise<SyncRun> {
    const from = this.now();
    const to = addLocalDays(from, await this.practices.horizonDays(practice), practice.time_zone);
    const outcome = await this.read(practice, trigger, { from, to }, { record: 'always', signal });
    return outcome.run!;
  }

  /**
   * Reads one window of the practice's diary and writes only what changed. The connection's
   * health follows (Connections.readSucceeded / readFailed).
   */
  async read(
    practice: Practice,
    trigger: SyncTrigger,
    window: SyncReadWindow,
    options: SyncReadOptions,
  ): Promise<SyncReadOutcome> {
    const outcome = await this.readOnce(practice, trigger, window, options);
    if (outcome.status === 'succeeded' && outcome.askedEhr) {
      await this.connections.readSucceeded(practice, outcome.finishedAt);
    }
    return outcome;
  }

  private async readOnce(
    practice: Practice,
    trigger: SyncTrigger,
    window: SyncReadWindow,
    options: SyncReadOptions,
  ): Promise<SyncReadOutcome> {
    const startedAt = this.now();
    const { from, to } = window;
    const counts = { fetched: 0, inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
    let read: WindowRead;
    let fingerprint: string;
    try {
      read = await this.fetchWindow(practice, window, startedAt, options);
      fingerprint = fingerprintOf(read.slots, read.slotTypeIds, read.unchanged);
    } catch (error) {
      // Cut short by shutdown: the practice's EHR did nothing wrong, so nothing is recorded.
      if (options.signal?.aborted) {
        const message = error instanceof Error ? error.message : String(error);
        const aborted = { code: CoreErrorCode.SYNC_FAILED, message, kind: null };
        return {
          status: 'failed',
          askedEhr: false,
          changed: false,
          fingerprint: null,
          error: aborted,
          run: null,
          startedAt,
          finishedAt: this.now(),
        };
      }
      return this.recordFailure(practice, trigger, from, to, startedAt, error);
    }
    let fetched = read.slots;
    counts.fetched = fetched.length;
    if (options.record === 'when-changed' && fingerprint === options.previousFingerprint) {
      this.rememberSessions(practice, window, read, startedAt);
      return {
        status: 'succeeded',
        askedEhr: read.slotTypeIds.length > 0,
        changed: false,
        fingerprint,
        error: null,
        run: null,
        startedAt,
        finishedAt: this.now(),
      };
    }

    try {
      return await this.db.transaction().execute(async (trx) => {
        // One sync at a time per practice, whichever process runs it.
        await sql`select pg_advisory_xact_lock(hashtextextended(${practice.id}, 0))`.execute(trx);
        let storedQuery = trx
          .selectFrom('slots')
          .select(STORED_SLOT_COLUMNS)
          .where('practice_id', '=', practice.id)
          .where('start_at', '>=', from)
          .where('start_at', '<', to);
        if (window.ehrPractitionerIds) {
          storedQuery = storedQuery.where('ehr_practitioner_id', 'in', window.ehrPractitionerIds);
        }
        const stored = await storedQuery.execute();
        if (read.unchanged.size > 0) {
          // The slots of unchanged sessions stand as stored.
          fetched = fetched.concat(
            stored
              .filter((row) => row.ehr_session_id !== null && read.unchanged.has(row.ehr_session_id))
              .map(ehrSlotOf),
          );
          counts.fetched = fetched.length;
        }
        const diff = diffSlots(stored, fetched);
        const changedAt = this.now();
        const written: string[] = diff.updates.map((u) => u.id);
        for (let i = 0; i < diff.inserts.length; i += INSERT_CHUNK) {
          const rows = await trx
            .insertInto('slots')
            .values(
              diff.inserts.slice(i, i + INSERT_CHUNK).map((slot) => ({
                practice_id: practice.id,
                ehr_slot_id: slot.ehrSlotId,
                ...slotColumns(slot),
                created_at: changedAt,
                updated_at: changedAt,
              })),
            )
            // A slot that moved into the window from outside it is an update, not a new row.
            .onConflict((oc) =>
              oc.columns(['practice_id', 'ehr_slot_id']).doUpdateSet((eb) => ({
                ehr_session_id: eb.ref('excluded.ehr_session_id'),
                ehr_practitioner_id: eb.ref('excluded.ehr_practitioner_id'),
                ehr_location_id: eb.ref('excluded.ehr_location_id'),
                ehr_slot_type_id: eb.ref('excluded.ehr_slot_type_id'),
                start_at: eb.ref('excluded.start_at'),
                end_at: eb.ref('excluded.end_at'),
                status: eb.ref('excluded.status'),
                ehr_status: eb.ref('excluded.ehr_status'),
                updated_at: changedAt,
              })),
            )
            .returning('id')
            .execute();
          for (const row of rows) written.push(row.id);
        }
        for (const { id, slot } of diff.updates) {
          await trx
            .updateTable('slots')
            .set({ ...slotColumns(slot), updated_at: changedAt })
            .where('id', '=', id)
            .execute();
        }
        if (diff.deletes.length > 0) await trx.deleteFrom('slots').where('id', 'in', diff.deletes).execute();
        const changedWindow = changedSlotsWindow(diff, stored);
        if (changedWindow)
          await recordAvailabilityChanged(trx, practice, changedWindow.from, changedWindow.to);
        // The offer rules of the set-up are decided again for the slots written; the others'
        // verdicts stand (a mapping change refreshes them all). A whole-horizon read refreshes
        // every slot of the window, which mends any verdict left behind.
        await refreshOffers(
          trx,
          { ehr: this.ehr, connections: this.connections },
          practice,
          options.record === 'always' ? { from, to } : { from, to, slotIds: written },
        );
        counts.inserted = diff.inserts.length;
        counts.updated = diff.updates.length;
        counts.deleted = diff.deletes.length;
        counts.unchanged = diff.unchanged;
        const bookingsChanged = await this.followBookings(trx, practice, fetched, window, startedAt);
        const changed = counts.inserted + counts.updated + counts.deleted + bookingsChanged > 0;
        if (changed) await offersChanged(trx, practice.id);
        // Under the practice's lock, so the memo follows the order in which reads were stored.
        this.rememberSessions(practice, window, read, startedAt);
        const finishedAt = this.now();
        if (!changed && options.record === 'when-changed') {
          return {
            status: 'succeeded' as const,
            askedEhr: read.slotTypeIds.length > 0,
            changed,
            fingerprint,
            error: null,
            run: null,
            startedAt,
            finishedAt,
          };
        }
        // Only a read of the whole horizon vouches for every stored slot; a window's read leaves
        // the practice's freshness to the scheduler's published read times (SyncState).
        const wholeHorizon = trigger === 'manual' || trigger === 'startup';
        await trx
          .updateTable('connections')
          .set({
            last_sync_at: finishedAt,
            ...(wholeHorizon && { last_good_sync_at: finishedAt }),
          })
          .where('practice_id', '=', practice.id)
          .execute();
        const run = await this.insertRun(trx, {
          practice_id: practice.id,
          trigger,
          status: 'succeeded',
          window_from: from,
          window_to: to,
          ...counts,
          bookings_changed: bookingsChanged,
          error_code: null,
          error_message: null,
          started_at: startedAt,
          finished_at: finishedAt,
        });
        this.log.info({ practiceId: practice.id, trigger, ...counts, bookingsChanged }, 'sync succeeded');
        return {
          status: 'succeeded' as const,
          askedEhr: read.slotTypeIds.length > 0,
          changed,
          fingerprint,
          error: null,
          run,
          startedAt,
          finishedAt,
        };
      });
    } catch (error) {
      // The memo may vouch for slots this transaction did not store.
      this.sessions.forget(practice.id);
      throw error;
    }
  }

  /** Remembers the sessions a stored read vouches for (SessionMemo). */
  private rememberSessions(
    practice: Practice,
    window: SyncReadWindow,
    read: WindowRead,
    startedAt: Date,
  ): void {
    if (window.ehrPractitionerIds) {
      // Some practitioners' slots only: no session is vouched for whole, and what the memo
      // said of the sessions read no longer matches what is stored.
      const touched = new Set([
        ...Object.keys(read.digests),
        ...read.slots.map((slot) => slot.ehrSessionId ?? ''),
      ]);
      this.sessions.drop(practice.id, touched);
      return;
    }
    if (Object.keys(read.digests).length === 0) return;
    this.sessions.record(
      practice.id,
      read.slotTypeIds,
      { startedAt: startedAt.getTime(), digests: read.digests, unchanged: new Set(read.unchanged.keys()) },
      startedAt.getTime() - SESSION_MEMO_MAX_MS,
    );
  }

  /** Records a run and keeps only the practice's latest RUN_HISTORY. */
  private async insertRun(db: Kysely<Database>, values: Insertable<SyncRunsTable>): Promise<SyncRun> {
    const run = await db.insertInto('sync_runs').values(values).returningAll().executeTakeFirstOrThrow();
    await db
      .deleteFrom('sync_runs')
      .where('practice_id', '=', values.practice_id)
      .where(
        'started_at',
        '<',
        db
          .selectFrom('sync_runs')
          .select('started_at')
          .where('practice_id', '=', values.practice_id)
          .orderBy('started_at', 'desc')
          .offset(RUN_HISTORY - 1)
          .limit(1),
      )
      .execute();
    return run;
  }

  /**
   * What the EHR diary says about our own bookings: one confirmed here whose slot is free
   * again was cancelled in the EHR; one awaiting reconciliation whose held slot the practice
   * has booked is reconciled, and one whose hold the practice released is cancelled. Only
   * bookings last changed before this fetch started are judged, so a write that landed while
   * the EHR was being read is never mistaken for a cancellation.
   */
  private async followBookings(
    trx: Transaction<Database>,
    practice: Practice,
    fetched: EhrSlot[],
    window: SyncReadWindow,
    fetchStartedAt: Date,
  ): Promise<number> {
    let query = trx
      .selectFrom('bookings')
      .select(['id', 'state', 'ehr_slot_id', 'ehr_slot_type_id', 'ehr_booking_ref'])
      .where('practice_id', '=', practice.id)
      .where('state', 'in', ['confirmed', 'needs_reconciliation'])
      .where('start_at', '>=', window.from)
      .where('start_at', '<', window.to)
      .where('updated_at', '<', fetchStartedAt);
    if (window.ehrPractitionerIds)
      query = query.where('ehr_practitioner_id', 'in', window.ehrPractitionerIds);
    const bookings = await query.execute();
    if (bookings.length === 0) return 0;
    const slots = new Map(fetched.map((slot) => [slot.ehrSlotId, slot]));
    const unregistered = await unregisteredSlotTypeId(trx, practice.id);
    const { listsBookedSlots = false } = await this.ehr.capabilities(practice.ehr);
    const active = new Set(
      (
        await trx
          .selectFrom('active_slot_types')
          .select('ehr_slot_type_id')
          .where('practice_id', '=', practice.id)
          .execute()
      ).map((r) => r.ehr_slot_type_id),
    );
    const now = this.now();
    let changed = 0;
    for (const booking of bookings) {
      const slot = slots.get(booking.ehr_slot_id);
      let next: { state: 'confirmed' | 'cancelled_in_ehr'; at: 'confirmed_at' | 'cancelled_at' } | null =
        null;
      if (!slot) {
        // Gone from a diary that lists booked slots too, while its type is still read: the
        // appointment was cancelled (or its session removed) in the EHR.
        if (booking.state === 'confirmed' && listsBookedSlots && active.has(booking.ehr_slot_type_id)) {
          next = { state: 'cancelled_in_ehr', at: 'cancelled_at' };
        }
      } else if (booking.state === 'confirmed' && slot.status === 'free') {
        next = { state: 'cancelled_in_ehr', at: 'cancelled_at' };
      } else if (
        booking.state === 'needs_reconciliation' &&
        slot.status === 'booked' &&
        booking.ehr_booking_ref === null
      ) {
        // Its write-back ran out of retries not knowing whether the EHR wrote it, and the slot is
        // booked now: send the book command once more. The plugin finds its own booking (the
        // kit proves a repeated book answers the same booking), which gives the EHR's reference
        // and completes the write (HS1 Exact's confirmation); a slot another patient holds is
        // refused as taken.
        const queued = await trx
          .selectFrom('outbox_commands')
          .select('id')
          .where('booking_id', '=', booking.id)
          .where('state', '=', 'pending')
          .executeTakeFirst();
        if (!queued) {
          await enqueueBookingWrite(trx, practice.id, booking.id, 'book');
          changed += 1;
        }
        continue;
      } else if (booking.state === 'needs_reconciliation' && slot.status === 'booked') {
        next = { state: 'confirmed', at: 'confirmed_at' };
      } else if (
        booking.state === 'needs_reconciliation' &&
        slot.status === 'free' &&
        slot.ehrSlotTypeId !== unregistered
      ) {
        next = { state: 'cancelled_in_ehr', at: 'cancelled_at' };
      }
      if (!next) continue;
      const changedBooking = await trx
        .updateTable('bookings')
        .set({ state: next.state, [next.at]: now, updated_at: now })
        .where('id', '=', booking.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordBookingEvent(
        trx,
        next.state === 'confirmed' ? 'booking.confirmed' : 'booking.cancelled_in_ehr',
        changedBooking,
        practice,
      );
      this.log.info(
        { practiceId: practice.id, bookingId: booking.id, state: next.state },
        'booking changed in the EHR',
      );
      changed += 1;
    }
    return changed;
  }

  /** Reads the window in calls no longer than the plugin's maxFetchWindowDays. */
  private async fetchWindow(
    practice: Practice,
    window: SyncReadWindow,
    startedAt: Date,
    options: SyncReadOptions,
  ): Promise<WindowRead> {
    const { signal, priority = 'high' } = options;
    const slotTypeIds = (
      await this.db
        .selectFrom('active_slot_types')
        .select('ehr_slot_type_id')
        .where('practice_id', '=', practice.id)
        .orderBy('ehr_slot_type_id')
        .execute()
    ).map((r) => r.ehr_slot_type_id);
    const digests: Record<string, string> = {};
    const unchanged = new Map<string, string>();
    if (slotTypeIds.length === 0) return { slots: [], slotTypeIds, digests, unchanged };
    const ctx = await this.connections.context(practice, { signal });
    const { maxFetchWindowDays } = await this.ehr.capabilities(practice.ehr);
    const active = new Set(slotTypeIds);
    const practitioners = window.ehrPractitionerIds ? new Set(window.ehrPractitionerIds) : null;
    const known =
      options.trustSessionsForMs === undefined
        ? undefined
        : this.sessions.known(practice.id, slotTypeIds, startedAt.getTime() - options.trustSessionsForMs);
    const slots: EhrSlot[] = [];
    for (let start = window.from; start < window.to; start = addDays(start, maxFetchWindowDays)) {
      const end = new Date(Math.min(addDays(start, maxFetchWindowDays).getTime(), window.to.getTime()));
      const result = await this.ehr.fetchSlots(
        practice.ehr,
        ctx,
        {
          from: start,
          to: end,
          slotTypeIds,
          ...(window.ehrPractitionerIds && { ehrPractitionerIds: window.ehrPractitionerIds }),
          ...(known && known.size > 0 && { knownSessions: known }),
        },
        priority,
      );
      Object.assign(digests, result.sessionDigests);
      for (const sessionId of result.unchangedSessions ?? []) {
        const digest = known?.get(sessionId);
        // Keeping slots the core never stored would keep nothing, and lose the session's.
        if (digest === undefined || result.sessionDigests?.[sessionId] !== digest) {
          throw new SlotbridgeError(
            CoreErrorCode.SYNC_FAILED,
            'internal',
            `The ${practice.ehr} plugin named session ${sessionId} unchanged, but it was not among the sessions known to it with that digest`,
          );
        }
        unchanged.set(sessionId, digest);
      }
      for (const slot of result.slots) {
        // The core holds the plugin to its contract: only active types, only inside the window,
        // only the practitioners asked for.
        if (!active.has(slot.ehrSlotTypeId) || slot.startAt < start || slot.startAt >= end) continue;
        if (practitioners && (slot.ehrPractitionerId === null || !practitioners.has(slot.ehrPractitionerId)))
          continue;
        slots.push(slot);
      }
    }
    return { slots, slotTypeIds, digests, unchanged };
  }

  private async recordFailure(
    practice: Practice,
    trigger: SyncTrigger,
    from: Date,
    to: Date,
    startedAt: Date,
    error: unknown,
  ): Promise<SyncReadOutcome> {
    const code = error instanceof SlotbridgeError ? error.code : CoreErrorCode.SYNC_FAILED;
    const message = error instanceof Error ? error.message : String(error);
    const kind = error instanceof EhrError ? error.kind : null;
    const fix = error instanceof SlotbridgeError ? (error.fix ?? null) : null;
    this.log.warn({ practiceId: practice.id, trigger, code, message }, 'sync failed');
    // Credentials or access refused: the set-up checks say which step the practice must redo.
    const checks = kind === 'auth_failed' ? await this.connections.recheck(practice) : null;
    const finishedAt = this.now();
    const run = await this.db.transaction().execute(async (trx) => {
      await this.connections.readFailed(trx, practice, { code, message, kind, fix }, finishedAt, checks);
      return this.insertRun(trx, {
        practice_id: practice.id,
        trigger,
        status: 'failed',
        window_from: from,
        window_to: to,
        fetched: 0,
        inserted: 0,
        updated: 0,
        deleted: 0,
        unchanged: 0,
        error_code: code,
        error_message: message,
        started_at: startedAt,
        finished_at: finishedAt,
      });
    });
    return {
      status: 'failed',
      askedEhr: false,
      changed: false,
      fingerprint: null,
      error: { code, message, kind },
      run,
      startedAt,
      finishedAt,
    };
  }
}

/** From the earliest start to the latest end of the slots a read added, changed or removed; null when none. */
function changedSlotsWindow(
  diff: { inserts: EhrSlot[]; updates: { id: string; slot: EhrSlot }[]; deletes: string[] },
  stored: StoredSlot[],
): { from: Date; to: Date } | null {
  const gone = new Set(diff.deletes);
  const spans = [
    ...diff.inserts.map((slot) => [slot.startAt, slot.endAt] as const),
    ...diff.updates.map(({ slot }) => [slot.startAt, slot.endAt] as const),
    ...stored.filter((row) => gone.has(row.id)).map((row) => [row.start_at, row.end_at] as const),
  ];
  // An update may move a slot: its old time changed too.
  const updated = new Set(diff.updates.map((u) => u.id));
  for (const row of stored) if (updated.has(row.id)) spans.push([row.start_at, row.end_at] as const);
  if (spans.length === 0) return null;
  let from = spans[0]![0];
  let to = spans[0]![1];
  for (const [start, end] of spans) {
    if (start < from) from = start;
    if (end > to) to = end;
  }
  return { from, to };
}
