/**
 * Write-back: outbox commands carried out against the EHR, `concurrency` at a time per process
 * and at most PER_PRACTICE at a time per practice, so a burst at one practice cannot starve the
 * others. Three steps, and no transaction is open while the EHR is called:
 *
 * 1. claim: a command that is pending, due and not leased gets a lease (owner, expiry) and an
 *    attempt, in one statement;
 * 2. call the EHR (each plugin makes a repeated write harmless: it checks the EHR first);
 * 3. record the outcome in a second transaction, only while the lease is still ours.
 *
 * A command whose lease lapsed (its process died mid-write) is claimable again: the same claim
 * is the relay. This file alone decides retries: transient failures are retried with exponential
 * back-off up to BOOKING_WRITE_RETRY_LIMIT times.
 */
import { randomUUID } from 'node:crypto';
import { type Selectable, sql, type Transaction } from 'kysely';
import type { Connections } from '../connections.ts';
import { Channel, type PgCoordinator } from '../coordination.ts';
import type { Db } from '../db/database.ts';
import type { Booking, Database, OutboxCommandsTable, Practice } from '../db/schema.ts';
import type { BookingWriteCommand, BookingWriteResult, EhrSlotRef, HookLogger } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, EhrError, SlotbridgeError } from '../errors.ts';
import { unregisteredSlotTypeId } from '../mappings.ts';
import { offersChanged } from '../offers/answer-cache.ts';
import type { SecretBox } from '../secret-box.ts';
import { recordBookingEvent } from '../webhooks/events.ts';
import type { SealedBookingDetails } from './bookings.ts';
import { enqueueBookingWrite, requestDayRefresh } from './outbox.ts';

/** Retries after the first attempt of a transient failure. */
export const BOOKING_WRITE_RETRY_LIMIT = 5;
/** Commands of one practice in flight at once, across all processes. */
export const PER_PRACTICE = 4;
/**
 * How long a claimed command is ours by default (SLOTBRIDGE_WRITE_LEASE_SECONDS): a command whose
 * worker died mid-write is taken over this long after its claim.
 */
export const DEFAULT_WRITE_LEASE_SECONDS = 60;
/** The EHR call is aborted well before the lease lapses: after 45 s, or ¾ of a shorter lease. */
const CALL_TIMEOUT_MS = 45_000;

export function callTimeoutMs(leaseSeconds: number): number {
  return Math.min(CALL_TIMEOUT_MS, Math.floor(leaseSeconds * 750));
}
/** Looks for due retries and lapsed leases this often (new commands wake workers at once). */
const SWEEP_MS = 1_000;

export type WriteBackOutcome =
  | 'confirmed'
  | 'held'
  | 'cancelled'
  | 'failed'
  | 'retry'
  | 'lost'
  /** Retries ran out not knowing whether the EHR wrote it: the diary settles it. */
  | 'unknown';

type Command = Selectable<OutboxCommandsTable>;

/** Told of each outcome with the seconds since the booking was accepted (the metrics). */
export type WriteBackObserver = (
  written: { plugin: string; kind: 'book' | 'cancel'; outcome: Exclude<WriteBackOutcome, 'lost'> },
  secondsSinceAccept: number,
) => void;

/** Seconds before retry `attempt` (1-based): 2, 4, 8, 16, 32. */
export function retryDelaySeconds(attempt: number): number {
  return 2 ** Math.min(attempt, 10);
}

export class WriteBack {
  readonly owner = randomUUID();
  readonly #inFlight = new Set<Promise<unknown>>();
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
    private readonly secrets: SecretBox,
    private readonly log: HookLogger,
    private readonly concurrency: number,
    private readonly observe?: WriteBackObserver,
    private readonly leaseSeconds: number = DEFAULT_WRITE_LEASE_SECONDS,
  ) {}

  /** Starts claiming: at once on each new command's notification, and every second. */
  start(coordinator: PgCoordinator): void {
    coordinator.on(Channel.outbox, () => this.wake());
    this.#timer = setInterval(() => this.wake(), SWEEP_MS);
    this.#timer.unref();
    this.wake();
  }

  /** Stops claiming and waits for the writes in flight to be recorded. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#inFlight]);
  }

  wake(): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#pump()
      .catch((error) => this.log.warn({ err: String(error) }, 'claiming write-backs failed'))
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #pump(): Promise<void> {
    while (!this.#stopping) {
      const free = this.concurrency - this.#inFlight.size;
      if (free <= 0) return;
      const claimed = await this.claim(free);
      for (const command of claimed) {
        const running: Promise<unknown> = this.execute(command)
          .catch((error) =>
            this.log.error({ err: String(error), commandId: command.id }, 'write-back crashed'),
          )
          .finally(() => {
            this.#inFlight.delete(running);
            this.wake();
          });
        this.#inFlight.add(running);
      }
      if (claimed.length < free) return;
    }
  }

  /**
   * Claims up to `limit` due commands with a lease, at most PER_PRACTICE per practice in flight.
   * Only commands of practices whose EHR plugin this process has loaded: a process without it
   * (the plugin taken off its list, or not yet on it in a rolling deploy) leaves them pending for
   * one that has it, rather than failing bookings it cannot write.
   */
  async claim(limit: number): Promise<Command[]> {
    const ehrIds = this.ehr.list().map((plugin) => plugin.id);
    if (ehrIds.length === 0) return [];
    const { rows } = await sql<Command>`
      with busy as (
        select practice_id, count(*)::int as n from outbox_commands
         where state = 'pending' and lease_until > now() group by practice_id
      ), ready as (
        select o.id, o.practice_id, o.available_at,
               row_number() over (partition by o.practice_id order by o.available_at, o.id) as rn
          from outbox_commands o join practices p on p.id = o.practice_id
         where o.state = 'pending' and o.available_at <= now()
           and (o.lease_until is null or o.lease_until <= now())
           and p.ehr = any(${ehrIds})
      )
      update outbox_commands o
         set lease_until = now() + make_interval(secs => ${this.leaseSeconds}),
             lease_owner = ${this.owner}, attempts = o.attempts + 1, updated_at = now()
        from (select r.id from ready r left join busy b using (practice_id)
               where r.rn + coalesce(b.n, 0) <= ${PER_PRACTICE}
               order by r.available_at, r.id limit ${limit}) c
       where o.id = c.id and o.state = 'pending' and (o.lease_until is null or o.lease_until <= now())
      returning o.*`.execute(this.db);
    return rows;
  }

  /** Carries out one claimed command: the EHR call outside any transaction, then the outcome. */
  async execute(command: Command): Promise<WriteBackOutcome> {
    const booking = await this.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', command.booking_id)
      .executeTakeFirstOrThrow();
    const practice = await this.db
      .selectFrom('practices')
      .selectAll()
      .where('id', '=', booking.practice_id)
      .executeTakeFirstOrThrow();
    const logFields = {
      practiceId: practice.id,
      bookingId: booking.id,
      kind: command.kind,
      attempts: command.attempts,
    };
    let result: BookingWriteResult;
    try {
      const writeCommand = await this.writeCommand(command, booking, practice);
      const ctx = await this.connections.context(practice, {
        signal: AbortSignal.timeout(callTimeoutMs(this.leaseSeconds)),
      });
      result = await this.ehr.writeBooking(practice.ehr, ctx, writeCommand);
    } catch (error) {
      return this.recordFailure(command, booking, practice, error, logFields);
    }
    return this.recordSuccess(command, booking, practice, result, logFields);
  }

  private async writeCommand(
    command: Command,
    booking: Booking,
    practice: Practice,
  ): Promise<BookingWriteCommand> {
    const sealed = this.secrets.open<SealedBookingDetails & { cancelReason?: string | null }>(
      booking.patient_ciphertext,
    );
    const slot: EhrSlotRef = {
      ehrSlotId: booking.ehr_slot_id,
      ehrSessionId: booking.ehr_session_id,
      ehrPractitionerId: booking.ehr_practitioner_id,
      ehrLocationId: booking.ehr_location_id,
      ehrSlotTypeId: booking.ehr_slot_type_id,
      startAt: booking.start_at,
      endAt: booking.end_at,
    };
    if (command.kind === 'cancel') {
      return {
        kind: 'cancel',
        bookingId: booking.id,
        slot,
        ehrBookingRef: booking.ehr_booking_ref ?? '',
        patient: sealed.patient,
        reason: sealed.cancelReason ?? null,
      };
    }
    const target = booking.appointment_type_id
      ? await this.db
          .selectFrom('appointment_type_mappings')
          .select('ehr_slot_type_id')
          .where('appointment_type_id', '=', booking.appointment_type_id)
          .executeTakeFirst()
      : undefined;
    return {
      kind: 'book',
      bookingId: booking.id,
      slot,
      targetEhrSlotTypeId: target?.ehr_slot_type_id ?? null,
      patient: sealed.patient,
      reason: sealed.reason,
      note: sealed.note,
      unregisteredSlotTypeId: await unregisteredSlotTypeId(this.db, practice.id),
    };
  }

  /**
   * Marks the command done (or pending again, or failed) only while its lease is still ours;
   * false when another worker took it over after our lease lapsed (it will record its own).
   */
  private async settle(
    trx: Transaction<Database>,
    command: Command,
    values: {
      state: 'done' | 'pending' | 'failed';
      error?: { code: string; message: string };
      retryAt?: Date;
    },
  ): Promise<boolean> {
    const now = new Date();
    const row = await trx
      .updateTable('outbox_commands')
      .set({
        state: values.state,
        lease_until: null,
        lease_owner: null,
        updated_at: now,
        last_error_code: values.error?.code ?? null,
        last_error: values.error?.message ?? null,
        ...(values.state === 'done' && { done_at: now }),
        ...(values.retryAt && { available_at: values.retryAt }),
      })
      .where('id', '=', command.id)
      .where('state', '=', 'pending')
      .where('lease_owner', '=', this.owner)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  private async recordSuccess(
    command: Command,
    booking: Booking,
    practice: Practice,
    result: BookingWriteResult,
    logFields: Record<string, unknown>,
  ): Promise<WriteBackOutcome> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      if (!(await this.settle(trx, command, { state: 'done' }))) return 'lost' as const;
      const now = new Date();
      if (command.kind === 'book' && result.heldForReconciliation) {
        // The EHR could not match the patient: the slot is held for the practice to book them in.
        const held = await trx
          .updateTable('bookings')
          .set({ state: 'needs_reconciliation', ehr_booking_ref: result.ehrBookingRef, updated_at: now })
          .where('id', '=', booking.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordBookingEvent(trx, 'booking.needs_reconciliation', held, practice);
      } else if (command.kind === 'book') {
        const confirmed = await trx
          .updateTable('bookings')
          .set({
            state: 'confirmed',
            ehr_booking_ref: result.ehrBookingRef,
            confirmed_at: now,
            updated_at: now,
          })
          .where('id', '=', booking.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        // A move's new booking tells the move (the old booking's cancellation follows).
        await recordBookingEvent(
          trx,
          booking.replaces_booking_id ? 'booking.rescheduled' : 'booking.confirmed',
          confirmed,
          practice,
          booking.replaces_booking_id ? { previousBookingId: booking.replaces_booking_id } : {},
        );
        if (booking.slot_id) await this.setSlotStatus(trx, booking.slot_id, 'booked');
      } else {
        const cancelled = await trx
          .updateTable('bookings')
          .set({ state: 'cancelled', cancelled_at: now, updated_at: now })
          .where('id', '=', booking.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordBookingEvent(trx, 'booking.cancelled', cancelled, practice);
        if (booking.slot_id) await this.setSlotStatus(trx, booking.slot_id, 'free');
      }
      if (command.kind === 'book' && booking.replaces_booking_id) {
        // Reschedule: the new slot is held, so the old booking can now be released.
        const released = await trx
          .updateTable('bookings')
          .set({ state: 'cancelling', updated_at: now })
          .where('id', '=', booking.replaces_booking_id)
          .where('state', 'in', ['confirmed', 'needs_reconciliation'])
          .returning('id')
          .executeTakeFirst();
        if (released) await enqueueBookingWrite(trx, practice.id, released.id, 'cancel');
      }
      await requestDayRefresh(trx, practice, booking.ehr_practitioner_id, booking.start_at);
      await offersChanged(trx, practice.id);
      return command.kind === 'cancel'
        ? ('cancelled' as const)
        : result.heldForReconciliation
          ? ('held' as const)
          : ('confirmed' as const);
    });
    if (outcome === 'lost') {
      this.log.warn(
        logFields,
        'write-back lease lapsed before the outcome was recorded; another worker has it',
      );
      return outcome;
    }
    this.log.info(logFields, 'booking written to the EHR');
    this.observe?.(
      { plugin: practice.ehr, kind: command.kind, outcome },
      (Date.now() - booking.created_at.getTime()) / 1000,
    );
    return outcome;
  }

  private async recordFailure(
    command: Command,
    booking: Booking,
    practice: Practice,
    error: unknown,
    logFields: Record<string, unknown>,
  ): Promise<WriteBackOutcome> {
    const code = error instanceof SlotbridgeError ? error.code : CoreErrorCode.WRITE_BACK_FAILED;
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(error instanceof SlotbridgeError) || (error instanceof EhrError && error.retryable);
    const retriesUsed = command.attempts - 1;
    const outcome = await this.db.transaction().execute(async (trx) => {
      if (retryable && retriesUsed < BOOKING_WRITE_RETRY_LIMIT) {
        const retryAt = new Date(Date.now() + retryDelaySeconds(command.attempts) * 1000);
        const ours = await this.settle(trx, command, { state: 'pending', error: { code, message }, retryAt });
        return ours ? ('retry' as const) : ('lost' as const);
      }
      if (!(await this.settle(trx, command, { state: 'failed', error: { code, message } })))
        return 'lost' as const;
      if (command.kind === 'book' && retryable) {
        // The retries ran out on failures that do not say whether the EHR made the appointment
        // (a timeout, a dropped connection, an answer lost after the write landed). Saying
        // "failed" could leave the patient an appointment they were told they do not have; the
        // booking keeps its slot and awaits the diary, which settles it: the next read of that
        // day finds the slot booked (confirmed) or free (cancelled), or the practice resolves it.
        const unknown = await trx
          .updateTable('bookings')
          .set({
            state: 'needs_reconciliation',
            failure_code: code,
            failure_reason:
              `Whether the EHR made the appointment is not known after ${command.attempts} attempts (${message}); ` +
              'the next read of the diary settles it (a booked slot: the booking is written once more, which finds it), or the practice checks the diary and resolves it.',
            updated_at: new Date(),
          })
          .where('id', '=', booking.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordBookingEvent(trx, 'booking.needs_reconciliation', unknown, practice);
        await requestDayRefresh(trx, practice, booking.ehr_practitioner_id, booking.start_at);
        return 'unknown' as const;
      }
      const reason = retryable
        ? `The EHR could not be reached after ${command.attempts} attempts: ${message}`
        : message;
      const settled = await trx
        .updateTable('bookings')
        .set({
          // A failed cancellation leaves the appointment standing in the EHR: the booking stays confirmed.
          state: command.kind === 'book' ? 'failed' : 'confirmed',
          failure_code: code,
          failure_reason: command.kind === 'book' ? reason : `Cancellation failed: ${reason}`,
          updated_at: new Date(),
        })
        .where('id', '=', booking.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (command.kind === 'book') await recordBookingEvent(trx, 'booking.failed', settled, practice);
      // A failed booking no longer holds its slot.
      await offersChanged(trx, practice.id);
      if (error instanceof EhrError && error.kind === 'slot_taken' && booking.slot_id) {
        // The EHR says the slot is taken: stop offering it now, and read that day again at once.
        await this.setSlotStatus(trx, booking.slot_id, 'booked');
        await requestDayRefresh(trx, practice, booking.ehr_practitioner_id, booking.start_at);
      }
      return 'failed' as const;
    });
    if (outcome === 'lost') return outcome;
    this.log.warn(
      { ...logFields, code },
      outcome === 'retry'
        ? 'EHR write failed; will retry'
        : outcome === 'unknown'
          ? 'EHR write outcome unknown; the diary settles it'
          : 'EHR write failed for good',
    );
    this.observe?.(
      { plugin: practice.ehr, kind: command.kind, outcome },
      (Date.now() - booking.created_at.getTime()) / 1000,
    );
    return outcome;
  }

  private async setSlotStatus(
    trx: Transaction<Database>,
    slotId: string,
    status: 'booked' | 'free',
  ): Promise<void> {
    await trx.updateTable('slots').set({ status, updated_at: new Date() }).where('id', '=', slotId).execute();
  }
}
