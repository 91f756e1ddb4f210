/**
 * Bookings: the slot row is locked, the booking and its outbox command are stored in one
 * transaction together with the write-back job, and the answer comes at once (`pending`). The
 * job writes to the EHR with retries (write-back.ts). A unique index allows one live booking per
 * slot, so two requests racing for a slot can never both win.
 */
import { createHmac } from 'node:crypto';
import { type Insertable, type Kysely, type QueryResult, sql, type Transaction } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from '../audit.ts';
import {
  type Availability,
  BOOKABLE_SLOT_COLUMNS,
  type BookableSlotRow,
  type OfferedSlot,
} from '../availability.ts';
import type { Caller } from '../caller.ts';
import { Channel } from '../coordination.ts';
import type { Db } from '../db/database.ts';
import { preparedStatement } from '../db/prepared.ts';
import type { Booking, BookingsTable, Database, Practice } from '../db/schema.ts';
import type { PatientDetails } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import {
  ConflictError,
  CoreErrorCode,
  NotFoundError,
  PreconditionFailedError,
  SlotbridgeError,
  UnprocessableError,
} from '../errors.ts';
import { LIVE_BOOKING_STATES, type OfferMoment } from '../offers/offer-rules.ts';
import { aroundSlot } from '../offers/offers.ts';
import type { SecretBox } from '../secret-box.ts';
import { instantToLocalIso } from '../time.ts';
import { DateTime, NullableDateTime } from '../view-schemas.ts';
import { recordBookingEvent } from '../webhooks/events.ts';
import { enqueueBookingWrite } from './outbox.ts';

/** Every state a booking can be in (the API documents each). */
export const BOOKING_STATES = [
  'pending',
  'confirmed',
  'needs_reconciliation',
  'failed',
  'cancelling',
  'cancelled',
  'cancelled_in_ehr',
] as const satisfies readonly Booking['state'][];

export interface CreateBookingInput {
  slotId: string;
  /** When given, must be the appointment type the slot is offered as. */
  appointmentTypeId?: string;
  patient: PatientDetails;
  /** The reason for the appointment, written to the EHR. Treated as patient data. */
  reason?: string;
  note?: string;
}

/** What is sealed in bookings.patient_ciphertext. */
export interface SealedBookingDetails {
  patient: PatientDetails;
  reason: string;
  note: string | null;
}

/** A booking as the API answers it (component `Booking`). Patient details are never returned. */
export const BookingViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    practiceId: Type.String({ format: 'uuid' }),
    // An enum, not a union of literals mapped from the array: that union's static type is never.
    state: Type.Enum(BOOKING_STATES, {
      description:
        'pending: being written to the EHR; confirmed: in the EHR diary; needs_reconciliation: the EHR could not match the patient, so the slot is held with the unregistered-patient slot type until the practice books them in (GET …/reconciliation); failed: not booked (see failure); cancelling / cancelled; cancelled_in_ehr: the practice cancelled it in the EHR',
    }),
    slot: Type.Object({
      id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'null once the slot left the diary',
      }),
      ehrSlotId: Type.String({
        description: "The slot's id in the EHR, to find the appointment in the practice's diary",
      }),
      start: Type.String({ format: 'date-time' }),
      end: Type.String({ format: 'date-time' }),
    }),
    appointmentTypeId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    failure: Type.Union([Type.Object({ code: Type.String(), reason: Type.String() }), Type.Null()]),
    replacesBookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'Reschedule: the booking this one replaces; it is released once this one is confirmed',
    }),
    version: Type.Integer({
      minimum: 1,
      description: 'Goes up by one with every change of the booking; its ETag is W/"<version>"',
    }),
    createdAt: DateTime('When it was requested'),
    updatedAt: DateTime('When it last changed'),
    confirmedAt: NullableDateTime('When the EHR accepted it'),
    cancelledAt: NullableDateTime('When it was cancelled'),
  },
  { $id: 'Booking', description: 'A booking. Patient details are never returned.' },
);
export type BookingView = Static<typeof BookingViewSchema>;

/**
 * The booking's entity tag: its version, weak (`W/"3"`) as GP Connect writes it (docs/gp-connect.md,
 * "Versions"). Answered as `ETag` with every booking; `If-Match` on a cancel or a move compares it.
 */
export function bookingETag(booking: Pick<Booking, 'version'>): string {
  return `W/"${booking.version}"`;
}

/**
 * Does an `If-Match` header hold for this version? `*` holds for any booking; otherwise one of the
 * listed entity tags must carry the version (`W/"3"` or `"3"`: the version is compared, weak or
 * not, as GP Connect and FHIR do). Anything else, e.g. a tag that is not quoted, does not hold.
 */
export function ifMatchHolds(header: string, version: number): boolean {
  if (header.trim() === '*') return true;
  return [...header.matchAll(/(?:W\/)?"([^"]*)"/g)].some((tag) => tag[1] === String(version));
}

/** Refuses a change whose `If-Match` names another version of the booking (412); none given: no condition. */
function assertVersion(booking: Booking, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatchHolds(ifMatch, booking.version)) return;
  throw new PreconditionFailedError(
    CoreErrorCode.BOOKING_VERSION_MISMATCH,
    `Booking ${booking.id} has changed: it is at ${bookingETag(booking)} (${booking.state}), not ${ifMatch}`,
    {
      fix: 'GET the booking, check that the change still makes sense in its current state, and send it again with If-Match set to its ETag.',
      details: { etag: bookingETag(booking) },
    },
  );
}

/** Refuses to change a booking whose appointment has started (GP Connect: past appointments are not managed). */
function assertNotStarted(booking: Booking, now: Date, change: 'cancelled' | 'moved'): void {
  if (booking.start_at > now) return;
  throw new UnprocessableError(
    CoreErrorCode.BOOKING_IN_PAST,
    `Booking ${booking.id} started at ${booking.start_at.toISOString()}: an appointment that has started cannot be ${change}`,
    { fix: 'Nothing can be changed online any more; the practice records what happened in its EHR.' },
  );
}

export function bookingView(booking: Booking, timeZone: string): BookingView {
  return {
    id: booking.id,
    practiceId: booking.practice_id,
    state: booking.state,
    slot: {
      id: booking.slot_id,
      ehrSlotId: booking.ehr_slot_id,
      start: instantToLocalIso(booking.start_at, timeZone),
      end: instantToLocalIso(booking.end_at, timeZone),
    },
    appointmentTypeId: booking.appointment_type_id,
    failure: booking.failure_code
      ? { code: booking.failure_code, reason: booking.failure_reason ?? '' }
      : null,
    replacesBookingId: booking.replaces_booking_id,
    version: booking.version,
    createdAt: booking.created_at.toISOString(),
    updatedAt: booking.updated_at.toISOString(),
    confirmedAt: booking.confirmed_at?.toISOString() ?? null,
    cancelledAt: booking.cancelled_at?.toISOString() ?? null,
  };
}

export interface CreateBookingOutcome {
  booking: Booking;
  /** false when the Idempotency-Key replayed an earlier identical request. */
  created: boolean;
}

export class Bookings {
  readonly #fingerprintKey: Buffer;

  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly availability: Availability,
    private readonly secrets: SecretBox,
    fingerprintKey: Buffer,
  ) {
    this.#fingerprintKey = fingerprintKey;
  }

  async get(practice: Practice, bookingId: string): Promise<Booking> {
    return this.bookingAt(this.db, practice, bookingId, false);
  }

  /** The practice's booking, locked for the rest of the transaction when `lock`; 404 otherwise. */
  private async bookingAt(
    db: Kysely<Database>,
    practice: Practice,
    bookingId: string,
    lock: boolean,
  ): Promise<Booking> {
    let query = db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', bookingId)
      .where('practice_id', '=', practice.id);
    if (lock) query = query.forUpdate();
    const booking = await query.executeTakeFirst();
    if (!booking) {
      throw new NotFoundError(CoreErrorCode.BOOKING_NOT_FOUND, `No booking ${bookingId} at this practice`);
    }
    return booking;
  }

  async create(
    caller: Caller,
    practice: Practice,
    idempotencyKey: string,
    input: CreateBookingInput,
  ): Promise<CreateBookingOutcome> {
    const fingerprint = createHmac('sha256', this.#fingerprintKey)
      .update(JSON.stringify(input))
      .digest('hex');
    // An earlier request with this key is found by the statement that locks the slot (insert).
    return this.once(practice, idempotencyKey, fingerprint, input.slotId, (trx, moment) =>
      this.insert(trx, moment, caller, practice, idempotencyKey, fingerprint, input, null, (offered) => ({
        patient: input.patient,
        reason: input.reason ?? offered.appointmentType.name,
        note: input.note ?? null,
      })),
    );
  }

  /**
   * Moves a confirmed booking to another slot: the new slot is booked first, and the old one
   * is released only once the new one is written to the EHR. If the new write fails, the old
   * booking stands. Answers the new booking (pending).
   */
  async reschedule(
    caller: Caller,
    practice: Practice,
    bookingId: string,
    idempotencyKey: string,
    input: { slotId: string },
    /** The `If-Match` header: the old booking must be at this version. */
    ifMatch?: string,
  ): Promise<CreateBookingOutcome> {
    const capabilities = await this.ehr.capabilities(practice.ehr);
    const plugin = this.ehr.get(practice.ehr);
    if (!capabilities.cancel) {
      throw new ConflictError(
        CoreErrorCode.RESCHEDULE_UNSUPPORTED,
        `Online rescheduling is not supported for ${plugin.name}; the practice moves the appointment in ${plugin.name}`,
        { fix: 'Ask the patient to contact the practice; the change reaches us at the next sync.' },
      );
    }
    const fingerprint = createHmac('sha256', this.#fingerprintKey)
      .update(JSON.stringify({ reschedule: bookingId, slotId: input.slotId }))
      .digest('hex');
    const replay = await this.replay(practice, idempotencyKey, fingerprint);
    if (replay) return { booking: replay, created: false };
    return this.once(practice, idempotencyKey, fingerprint, input.slotId, async (trx, moment) => {
      const old = await this.bookingAt(trx, practice, bookingId, true);
      assertVersion(old, ifMatch);
      assertNotStarted(old, moment.now, 'moved');
      if (old.state !== 'confirmed') {
        throw new ConflictError(
          CoreErrorCode.BOOKING_NOT_RESCHEDULABLE,
          `Booking ${bookingId} is ${old.state}; only a confirmed booking can be moved`,
          {
            fix:
              old.state === 'pending'
                ? 'Wait until it is confirmed, then move it.'
                : 'Book a new slot instead.',
          },
        );
      }
      const moving = await trx
        .selectFrom('bookings')
        .select('id')
        .where('replaces_booking_id', '=', old.id)
        .where('state', 'in', LIVE_BOOKING_STATES)
        .executeTakeFirst();
      if (moving) {
        throw new ConflictError(
          CoreErrorCode.BOOKING_NOT_RESCHEDULABLE,
          `Booking ${bookingId} is already being moved (to booking ${moving.id})`,
          { fix: 'Wait for that move to finish; GET the new booking to follow it.' },
        );
      }
      const details = this.secrets.open<SealedBookingDetails>(old.patient_ciphertext);
      return this.insert(trx, moment, caller, practice, idempotencyKey, fingerprint, input, old.id, () => ({
        patient: details.patient,
        reason: details.reason,
        note: details.note,
      }));
    });
  }

  /**
   * The practice says it has booked the patient into the held slot in its EHR: for EHRs whose
   * diary cannot show that (the next sync resolves it by itself where it can).
   */
  async resolveReconciliation(caller: Caller, practice: Practice, bookingId: string): Promise<Booking> {
    return this.db.transaction().execute(async (trx) => {
      const booking = await this.bookingAt(trx, practice, bookingId, true);
      if (booking.state === 'confirmed') return booking;
      if (booking.state !== 'needs_reconciliation') {
        throw new ConflictError(
          CoreErrorCode.BOOKING_NOT_IN_RECONCILIATION,
          `Booking ${bookingId} is ${booking.state}, not awaiting reconciliation`,
          { fix: 'GET /v1/practices/{practiceId}/reconciliation lists the bookings awaiting it.' },
        );
      }
      const now = new Date();
      const resolved = await trx
        .updateTable('bookings')
        .set({ state: 'confirmed', confirmed_at: now, updated_at: now })
        .where('id', '=', booking.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordBookingEvent(trx, 'booking.confirmed', resolved, practice);
      await recordAudit(trx, caller, practice.id, 'booking.reconciled', { bookingId });
      return resolved;
    });
  }

  /** Runs a booking transaction once per Idempotency-Key, turning lost races into clear answers. */
  private async once(
    practice: Practice,
    idempotencyKey: string,
    fingerprint: string,
    slotId: string,
    work: (trx: Transaction<Database>, moment: OfferMoment) => Promise<Booking>,
  ): Promise<CreateBookingOutcome> {
    // The clock, the horizon and freshness, read before the transaction holds any lock.
    const moment = await this.availability.moment(practice);
    try {
      const booking = await this.db.transaction().execute((trx) => work(trx, moment));
      return { booking, created: true };
    } catch (error) {
      // The key was used before (insert found it, or found no slot to book): answer that booking.
      if (error instanceof KeyUsedOrSlotMissing) {
        const earlier = await this.replay(practice, idempotencyKey, fingerprint);
        if (earlier) return { booking: earlier, created: false };
        throw error.otherwise ?? error;
      }
      // A request with the same key committed while this one waited for its locks: (1) read the
      // bookings before the wait, so this one went on and was refused by its own booking (the slot
      // taken, the old booking already being moved) or by the unique indexes. That request's
      // booking is the answer, as it is for any retry; a different request with the key is 422.
      const constraint = (error as { constraint?: string }).constraint;
      if (
        error instanceof SlotbridgeError ||
        constraint === 'bookings_one_live_per_slot' ||
        constraint === 'bookings_idempotency_unique'
      ) {
        const earlier = await this.replay(practice, idempotencyKey, fingerprint);
        if (earlier) return { booking: earlier, created: false };
      }
      // Lost a race: another request took the slot between our checks.
      if (constraint === 'bookings_one_live_per_slot') throw slotTaken(slotId);
      throw error;
    }
  }

  /**
   * Locks the slot (and the practitioner's time), checks it is offered, and stores the booking
   * with its outbox command, in two statements:
   *
   * 1. lock the slot row, then the practitioner's time (an advisory lock: overlapping slots of
   *    one practitioner, e.g. one time offered per booking reason, are different rows, so the slot
   *    lock alone would not serialise them), and read our live bookings around the slot and any
   *    earlier booking with this Idempotency-Key;
   * 2. insert the booking and its outbox command, wake the write-back workers (`pg_notify`, sent
   *    at commit), and read again our live bookings around the slot that (1) did not see.
   *
   * The offer rules (offers/offer-rules.ts) judge the slot in between. (1) read the bookings in the
   * same statement that waited for the locks, so it may have missed one committed meanwhile;
   * (2) is a new statement, run under the locks, so it sees every one: when it finds any, the
   * rules judge the slot again with them, and a refusal rolls the booking back.
   */
  private async insert(
    trx: Transaction<Database>,
    moment: OfferMoment,
    caller: Caller,
    practice: Practice,
    idempotencyKey: string,
    fingerprint: string,
    input: { slotId: string; appointmentTypeId?: string },
    replacesBookingId: string | null,
    detailsFor: (offered: OfferedSlot) => SealedBookingDetails,
  ): Promise<Booking> {
    const { rows } = await trx.executeQuery(
      lockSlot(trx, {
        slotId: input.slotId,
        practiceId: practice.id,
        practitionerKey: `${practice.id}:`,
        idempotencyKey,
      }),
    );
    const first = rows[0];
    if (!first || first.earlier_booking_id !== null) {
      throw new KeyUsedOrSlotMissing(
        first
          ? null
          : new NotFoundError(CoreErrorCode.SLOT_NOT_FOUND, `No slot ${input.slotId} at this practice`, {
              fix: 'Pick a slot id from GET /v1/practices/{practiceId}/slots.',
            }),
      );
    }
    const slot: BookableSlotRow = first;
    const seen = rows.flatMap((row) =>
      row.live_id === null
        ? []
        : [
            {
              id: row.live_id,
              slotId: row.live_slot_id,
              ehrPractitionerId: row.live_ehr_practitioner_id,
              startAt: row.live_start_at!,
              endAt: row.live_end_at!,
            },
          ],
    );
    // The offer rules, for this slot only: its stored verdict and our live bookings around it.
    const offered = this.offered(slot, { ...moment, liveBookings: seen }, input);
    const details = detailsFor(offered);
    const values: BookingValues = {
      practice_id: practice.id,
      slot_id: slot.id,
      appointment_type_id: offered.appointmentType.id,
      ehr_slot_id: slot.ehr_slot_id,
      ehr_session_id: slot.ehr_session_id,
      ehr_practitioner_id: slot.ehr_practitioner_id,
      ehr_location_id: slot.ehr_location_id,
      ehr_slot_type_id: slot.ehr_slot_type_id,
      start_at: slot.start_at,
      end_at: slot.end_at,
      state: 'pending',
      failure_code: null,
      failure_reason: null,
      ehr_booking_ref: null,
      patient_ciphertext: this.secrets.seal(details),
      idempotency_key: idempotencyKey,
      request_fingerprint: fingerprint,
      api_key_id: caller.apiKeyId,
      replaces_booking_id: replacesBookingId,
    };
    const seenIds = seen.map((b) => b.id);
    const {
      unseen,
      notified: _notified,
      ...booking
    } = onlyRow(await trx.executeQuery(insertBooking(trx, { ...values, seenIds })));
    if (unseen && unseen.length > 0) {
      // Booked around the slot while (1) waited for the locks: judge it again with them.
      const live = unseen.map(([slotId, ehrPractitionerId, startAt, endAt]) => ({
        slotId,
        ehrPractitionerId,
        startAt: new Date(startAt),
        endAt: new Date(endAt),
      }));
      this.offered(slot, { ...moment, liveBookings: [...seen, ...live] }, input);
    }
    return booking as Booking;
  }

  /** The slot as offered now, or the refusal to answer. */
  private offered(
    slot: BookableSlotRow,
    moment: OfferMoment,
    input: { slotId: string; appointmentTypeId?: string },
  ): OfferedSlot {
    const { offered, refusedBy } = this.availability.offerFor(slot, moment);
    if (refusedBy.some((rule) => rule.id === 'in_future')) {
      throw new UnprocessableError(
        CoreErrorCode.SLOT_IN_PAST,
        `Slot ${input.slotId} started at ${slot.start_at.toISOString()}: a slot in the past cannot be booked`,
        {
          fix: 'Offer the patient a slot from GET /v1/practices/{practiceId}/slots: only future slots are listed.',
          details: { failing: refusedBy.map((rule) => rule.id) },
        },
      );
    }
    if (refusedBy.some((rule) => rule.id === 'slot_free' || rule.id === 'not_held_by_booking')) {
      throw slotTaken(input.slotId);
    }
    if (!offered) {
      const failing = refusedBy.map((rule) => rule.id);
      throw new ConflictError(
        CoreErrorCode.SLOT_NOT_BOOKABLE,
        `Slot ${input.slotId} is not offered for booking (failing: ${failing.join(', ')})`,
        {
          fix: 'Ask GET /v1/practices/{practiceId}/slots for slots that are offered now; GET …/diagnostics/availability?date=…&slotId=… says why this one is not.',
          details: { failing },
        },
      );
    }
    if (input.appointmentTypeId && input.appointmentTypeId !== offered.appointmentType.id) {
      throw new UnprocessableError(
        CoreErrorCode.APPOINTMENT_TYPE_MISMATCH,
        `Slot ${input.slotId} is offered as appointment type ${offered.appointmentType.id}, not ${input.appointmentTypeId}`,
        {
          fix: 'Book a slot listed for the appointment type you want (filter /slots by appointmentTypeId).',
        },
      );
    }
    return offered;
  }

  async cancel(
    caller: Caller,
    practice: Practice,
    bookingId: string,
    reason: string | null,
    /** The `If-Match` header: the booking must be at this version. */
    ifMatch?: string,
  ): Promise<Booking> {
    await this.ehr.assertCanCancel(practice.ehr);
    return this.db.transaction().execute(async (trx) => {
      const booking = await this.bookingAt(trx, practice, bookingId, true);
      // Already cancelled: the answer of a retry whose first answer was lost, whatever its
      // If-Match (the change it asked for has been made: RFC 9110 §13.1.1).
      if (['cancelling', 'cancelled', 'cancelled_in_ehr'].includes(booking.state)) return booking;
      assertVersion(booking, ifMatch);
      if (booking.state !== 'confirmed' && booking.state !== 'needs_reconciliation') {
        throw new ConflictError(
          CoreErrorCode.BOOKING_NOT_CANCELLABLE,
          `Booking ${bookingId} is ${booking.state} and cannot be cancelled`,
          {
            fix:
              booking.state === 'pending'
                ? 'Wait until the booking is confirmed (it is being written to the EHR), then cancel.'
                : 'A failed booking holds no appointment; nothing needs cancelling.',
          },
        );
      }
      assertNotStarted(booking, this.availability.now(), 'cancelled');
      const sealed = this.secrets.open<SealedBookingDetails>(booking.patient_ciphertext);
      const updated = await trx
        .updateTable('bookings')
        .set({
          state: 'cancelling',
          failure_code: null,
          failure_reason: null,
          patient_ciphertext: this.secrets.seal({ ...sealed, cancelReason: reason }),
          updated_at: new Date(),
        })
        .where('id', '=', booking.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueueBookingWrite(trx, practice.id, booking.id, 'cancel');
      await recordAudit(trx, caller, practice.id, 'booking.cancel_requested', { bookingId });
      return updated;
    });
  }

  private async replay(
    practice: Practice,
    idempotencyKey: string,
    fingerprint: string,
  ): Promise<Booking | null> {
    const existing = await this.db
      .selectFrom('bookings')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    if (!existing) return null;
    if (existing.request_fingerprint !== fingerprint) {
      throw new UnprocessableError(
        CoreErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was already used for a different booking request',
        {
          fix: 'Use a new Idempotency-Key (a UUID) for each new booking; reuse one only to retry the same request.',
        },
      );
    }
    return existing;
  }
}

/** The columns of a new booking, as the accept inserts them. */
type BookingValues = Omit<Insertable<BookingsTable>, 'slot_id'> & {
  slot_id: string;
  start_at: Date;
  end_at: Date;
};

/**
 * The accept's statement (1): locks the slot, then the practitioner's time, and reads our live
 * bookings around the slot and any earlier booking with the Idempotency-Key (see insert).
 */
const lockSlot = preparedStatement(
  (
    db: Kysely<Database>,
    a: { slotId: string; practiceId: string; practitionerKey: string; idempotencyKey: string },
  ) =>
    db
      .with('slot', (db) =>
        db
          .selectFrom('slots')
          .select(BOOKABLE_SLOT_COLUMNS)
          .where('id', '=', a.slotId)
          .where('practice_id', '=', a.practiceId)
          .forUpdate(),
      )
      .with('practitioner_time', (db) =>
        db
          .selectFrom('slot')
          .select(
            sql`pg_advisory_xact_lock(hashtextextended(${a.practitionerKey} || slot.ehr_practitioner_id, 0))`.as(
              'held',
            ),
          )
          .where('slot.ehr_practitioner_id', 'is not', null),
      )
      .selectFrom('slot')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('bookings')
            .select(['id', 'slot_id', 'ehr_practitioner_id', 'start_at', 'end_at'])
            .where(
              aroundSlot(a.practiceId, {
                id: sql.ref<string>('slot.id'),
                start_at: sql.ref<Date>('slot.start_at'),
                end_at: sql.ref<Date>('slot.end_at'),
              }),
            )
            .as('live'),
        (join) => join.onTrue(),
      )
      .selectAll('slot')
      .select((eb) => [
        eb.selectFrom('practitioner_time').select(eb.fn.countAll<number>().as('n')).as('practitioner_held'),
        eb
          .selectFrom('bookings')
          .select('bookings.id')
          .where('bookings.practice_id', '=', a.practiceId)
          .where('bookings.idempotency_key', '=', a.idempotencyKey)
          .as('earlier_booking_id'),
        'live.id as live_id',
        'live.slot_id as live_slot_id',
        'live.ehr_practitioner_id as live_ehr_practitioner_id',
        'live.start_at as live_start_at',
        'live.end_at as live_end_at',
      ]),
);

/**
 * The accept's statement (2): inserts the booking and its write-back command, wakes the workers,
 * and reads our live bookings around the slot other than `seenIds` (see insert).
 */
const insertBooking = preparedStatement(
  (db: Kysely<Database>, { seenIds, ...values }: BookingValues & { seenIds: string[] }) =>
    db
      .with('booking', (db) => db.insertInto('bookings').values(values).returningAll())
      // The write-back command (as enqueueBookingWrite stores it).
      .with('command', (db) =>
        db
          .insertInto('outbox_commands')
          .columns(['practice_id', 'booking_id', 'kind'])
          .expression((eb) =>
            eb
              .selectFrom('booking')
              .select(['booking.practice_id', 'booking.id', sql.lit('book').as('kind')]),
          ),
      )
      .selectFrom('booking')
      .selectAll('booking')
      .select((eb) => [
        sql<string>`pg_notify(${Channel.outbox}, booking.practice_id::text)::text`.as('notified'),
        eb
          .selectFrom('bookings')
          .select(
            sql<
              UnseenBooking[]
            >`coalesce(json_agg(json_build_array(bookings.slot_id, bookings.ehr_practitioner_id, (extract(epoch from bookings.start_at) * 1000)::float8, (extract(epoch from bookings.end_at) * 1000)::float8)), '[]')`.as(
              'unseen',
            ),
          )
          .where(
            aroundSlot(values.practice_id, {
              id: values.slot_id,
              start_at: values.start_at,
              end_at: values.end_at,
            }),
          )
          // One array parameter, not one per id: the statement's text stays the same (prepared).
          .where(sql<boolean>`bookings.id <> all(${seenIds}::uuid[])`)
          .as('unseen'),
      ]),
);

/** A live booking of ours around a slot, as the accept's insert reads it: slot, practitioner, start and end (epoch ms). */
type UnseenBooking = [string | null, string | null, number, number];

/**
 * Thrown inside the accept's transaction (rolling it back) when a booking with the request's
 * Idempotency-Key exists, or there is no slot to book: the earlier booking is answered when there
 * is one, else `otherwise`.
 */
class KeyUsedOrSlotMissing extends Error {
  constructor(readonly otherwise: Error | null) {
    super('Idempotency-Key used before, or no such slot');
  }
}

/** The one row of a statement that always answers one (an insert returning). */
function onlyRow<R>(result: QueryResult<R>): R {
  const row = result.rows[0];
  if (row === undefined) throw new Error('The statement answered no row');
  return row;
}

function slotTaken(slotId: string): ConflictError {
  return new ConflictError(CoreErrorCode.SLOT_TAKEN, `Slot ${slotId} is already booked`, {
    fix: 'Offer the patient another slot from GET /v1/practices/{practiceId}/slots.',
  });
}
