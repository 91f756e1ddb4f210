/**
 * What the patient booking flow may offer, read from PostgreSQL only (never from the EHR on the
 * request path), by the one list of offer rules (offers/offer-rules.ts). The rules decided on
 * change were stored on each slot when a sync or a mapping last changed, so a read is one index
 * range over the offered slots plus our live bookings of the window; the rules decided on read
 * (free, not held by our bookings, in the future, inside the horizon, a fresh sync) are then
 * evaluated over those rows. The booking accept asks about its one slot the same way.
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database, Practice, Slot } from './db/schema.ts';
import { CoreErrorCode, InputError, UnprocessableError } from './errors.ts';
import {
  firstReadRefusal,
  horizonEnd,
  isFresh,
  type LiveBooking,
  OFFER_RULES,
  type OfferMoment,
  type OfferRule,
  offerWindow,
  type ReadCandidate,
} from './offers/offer-rules.ts';
import {
  candidateOf,
  liveBookingsBetween,
  type OfferedSlot,
  type SlotFacts,
  storedMapping,
} from './offers/offers.ts';
import type { Practices } from './practices.ts';
import { STORED_SLOT_COLUMNS } from './sync/diff-slots.ts';
import type { SyncState } from './sync/sync-state.ts';
import { instantToLocalIso, readTimeBound } from './time.ts';

export { LIVE_BOOKING_STATES } from './offers/offer-rules.ts';
export { type OfferedSlot, type SlotView, SlotViewSchema, slotView } from './offers/offers.ts';

export interface AvailabilityQuery {
  from?: Date;
  /** Only slots that end by `to` are answered (a slot lies wholly inside the window). */
  to?: Date;
  appointmentTypeId?: string;
  practitionerId?: string;
  locationId?: string;
}

/** One page of offered slots, in start order; `next` continues after it (null: the last page). */
export interface OfferedPage {
  slots: OfferedSlot[];
  next: string | null;
}

export const SLOTS_PAGE_DEFAULT = 500;
export const SLOTS_PAGE_MAX = 1000;

/** The answer to "may this slot be booked now?": the slot as offered, or every rule it fails. */
export type SlotOffer = { offered: OfferedSlot; refusedBy: [] } | { offered: null; refusedBy: OfferRule[] };

type OfferRow = SlotFacts &
  Pick<
    Slot,
    | 'offer_feature'
    | 'offer_appointment_type_id'
    | 'offer_disabled'
    | 'offer_appointment_type_name'
    | 'offer_practitioner_id'
    | 'offer_practitioner_name'
    | 'offer_location_id'
    | 'offer_location_name'
    | 'offer_json'
  >;

/** What `offerFor` reads of the slot being booked. */
export type BookableSlotRow = Omit<OfferRow, 'offer_json'> & Pick<Slot, 'offered' | 'offer_refused_by'>;

const OFFER_ROW_COLUMNS = [
  ...STORED_SLOT_COLUMNS,
  'offer_feature',
  'offer_appointment_type_id',
  'offer_disabled',
  'offer_appointment_type_name',
  'offer_practitioner_id',
  'offer_practitioner_name',
  'offer_location_id',
  'offer_location_name',
] as const satisfies readonly (keyof OfferRow)[];

/** The columns of a `BookableSlotRow`. */
export const BOOKABLE_SLOT_COLUMNS = [
  ...OFFER_ROW_COLUMNS,
  'offered',
  'offer_refused_by',
] as const satisfies readonly (keyof BookableSlotRow)[];

/** What the rules decided on read and the stored answer need. */
const ANSWER_ROW_COLUMNS = [
  'id',
  'ehr_practitioner_id',
  'start_at',
  'end_at',
  'status',
  'offer_json',
] as const satisfies readonly (keyof OfferRow)[];

/** A row as the rules decided on read see it. */
function readCandidate(
  row: Pick<OfferRow, 'id' | 'ehr_practitioner_id' | 'start_at' | 'end_at' | 'status'>,
): ReadCandidate {
  return {
    slotId: row.id,
    ehrPractitionerId: row.ehr_practitioner_id,
    startAt: row.start_at,
    endAt: row.end_at,
    status: row.status,
  };
}

function offeredSlot(row: Omit<OfferRow, 'offer_json'>): OfferedSlot {
  return {
    id: row.id,
    ehrSlotId: row.ehr_slot_id,
    ehrSessionId: row.ehr_session_id,
    ehrPractitionerId: row.ehr_practitioner_id,
    ehrLocationId: row.ehr_location_id,
    ehrSlotTypeId: row.ehr_slot_type_id,
    startAt: row.start_at,
    endAt: row.end_at,
    appointmentType: { id: row.offer_appointment_type_id!, name: row.offer_appointment_type_name! },
    practitioner: { id: row.offer_practitioner_id!, name: row.offer_practitioner_name! },
    location: { id: row.offer_location_id!, name: row.offer_location_name! },
  };
}

/** An opaque position in the start order: the start instant and id of the last slot served. */
interface Position {
  startAt: Date;
  id: string;
}

function encodeCursor(position: Position): string {
  return Buffer.from(`${position.startAt.getTime()}.${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const match = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  );
  if (!match) {
    throw new InputError(CoreErrorCode.CURSOR_INVALID, `"cursor" is not one this API gave: "${cursor}"`, {
      fix: 'Pass the "next" of the previous page unchanged, or leave "cursor" out to start from the beginning.',
    });
  }
  return { startAt: new Date(Number(match[1])), id: match[2]! };
}

export class Availability {
  constructor(
    private readonly practices: Practices,
    private readonly syncState: SyncState,
    /** The clock of the rules decided on read (and of the booking rules about the past). */
    readonly now: () => Date,
    /** How old the last good sync may be before nothing is offered (seconds). */
    readonly staleAfterSeconds: number,
  ) {}

  /** What the rules decided on read see now: the clock, the horizon, freshness and `liveBookings`. */
  async moment(practice: Practice, liveBookings: readonly LiveBooking[] = []): Promise<OfferMoment> {
    // Fresh by the times in memory: the connection's row (a round trip) cannot change the verdict.
    const now = this.now();
    const fresh = await this.syncState.freshInMemory(
      practice.id,
      now.getTime() - this.staleAfterSeconds * 1000,
    );
    if (fresh) {
      return {
        now,
        timeZone: practice.time_zone,
        horizonDays: await this.practices.horizonDays(practice),
        lastGoodSyncAt: fresh.lastGoodSyncAt,
        nextSyncDueBy: fresh.nextSyncDueBy,
        staleAfterSeconds: this.staleAfterSeconds,
        liveBookings,
      };
    }
    const [state, horizonDays] = await Promise.all([
      this.syncState.of(practice.id),
      this.practices.horizonDays(practice),
    ]);
    return {
      now: this.now(),
      timeZone: practice.time_zone,
      horizonDays,
      lastGoodSyncAt: state.lastGoodSyncAt,
      nextSyncDueBy: state.nextSyncDueBy,
      staleAfterSeconds: this.staleAfterSeconds,
      liveBookings,
    };
  }

  /**
   * The window of a slot search (`from`, `to` as the API was given them), checked against the
   * clock and the practice's publishing horizon (docs/gp-connect.md, "Searching for slots"):
   * `to` must be after `from` (default: now); `from` no earlier than the start of yesterday and
   * `to` no later than the end of the local day on which the horizon ends, in the practice's
   * time zone. A refusal names the limit; nothing is cut short silently.
   */
  async searchWindow(
    practice: Practice,
    text: { from?: string | undefined; to?: string | undefined },
  ): Promise<{ from?: Date; to?: Date }> {
    const zone = practice.time_zone;
    const from = readTimeBound('from', text.from, zone);
    const to = readTimeBound('to', text.to, zone);
    const now = this.now();
    if (to && to <= (from ?? now)) {
      throw new UnprocessableError(
        CoreErrorCode.WINDOW_REVERSED,
        from
          ? `"to" (${text.to}) must be after "from" (${text.from})`
          : `"to" (${text.to}) must be after "from", which is now (${instantToLocalIso(now, zone)}) when left out`,
        {
          fix: 'Swap the two values, or widen the window; a window is [from, to), so a date as "to" ends the day before it.',
        },
      );
    }
    const earliest = DateTime.fromJSDate(now, { zone }).minus({ days: 1 }).startOf('day').toJSDate();
    if (from && from < earliest) {
      throw new UnprocessableError(
        CoreErrorCode.WINDOW_IN_PAST,
        `"from" (${text.from}) is before ${instantToLocalIso(earliest, zone)}, the start of yesterday at this practice: past slots are never offered`,
        {
          fix: 'Leave "from" out (it means now), or pass today\'s date.',
          details: { min: instantToLocalIso(earliest, zone) },
        },
      );
    }
    const horizonDays = await this.practices.horizonDays(practice);
    const end = horizonEnd({ now, horizonDays, timeZone: zone });
    const latest = DateTime.fromJSDate(end, { zone }).plus({ days: 1 }).startOf('day').toJSDate();
    const beyond =
      to && to > latest
        ? { name: 'to', text: text.to }
        : from && from >= latest
          ? { name: 'from', text: text.from }
          : null;
    if (beyond) {
      throw new UnprocessableError(
        CoreErrorCode.WINDOW_BEYOND_HORIZON,
        `"${beyond.name}" (${beyond.text}) is after ${instantToLocalIso(latest, zone)}: this practice publishes slots ${horizonDays} days ahead, up to ${instantToLocalIso(end, zone)}`,
        {
          fix: `Leave "to" out for everything up to the end of the publishing horizon, or choose "to" at most ${instantToLocalIso(latest, zone)}.`,
          details: { max: instantToLocalIso(latest, zone), horizonDays },
        },
      );
    }
    return { ...(from && { from }), ...(to && { to }) };
  }

  /** Every slot offered now (all pages). */
  async offered(
    db: Kysely<Database>,
    practice: Practice,
    query: AvailabilityQuery = {},
  ): Promise<OfferedSlot[]> {
    return (await this.page(db, practice, query, { limit: Number.POSITIVE_INFINITY })).slots;
  }

  /** One page of the slots offered now, in start order. */
  page(
    db: Kysely<Database>,
    practice: Practice,
    query: AvailabilityQuery,
    page: { limit: number; cursor?: string },
  ): Promise<OfferedPage> {
    return this.#page(db, practice, query, page, OFFER_ROW_COLUMNS, offeredSlot);
  }

  /**
   * The same page as `page`, each slot as the JSON the API answers (stored when the offers were
   * refreshed, in the practice's time zone): the read path of GET …/slots.
   */
  answerPage(
    db: Kysely<Database>,
    practice: Practice,
    query: AvailabilityQuery,
    page: { limit: number; cursor?: string },
  ): Promise<{ slots: string[]; next: string | null }> {
    return this.#page(db, practice, query, page, ANSWER_ROW_COLUMNS, (row) => row.offer_json!);
  }

  async #page<T>(
    db: Kysely<Database>,
    practice: Practice,
    query: AvailabilityQuery,
    page: { limit: number; cursor?: string },
    columns: readonly (keyof OfferRow)[],
    shape: (row: OfferRow) => T,
  ): Promise<{ slots: T[]; next: string | null }> {
    const after = page.cursor ? decodeCursor(page.cursor) : null;
    const base = await this.moment(practice);
    if (!isFresh(base)) return { slots: [], next: null };
    const bounds = offerWindow(base);
    const from = query.from && query.from > bounds.from ? query.from : bounds.from;
    const to = query.to && query.to < bounds.to ? query.to : bounds.to;
    if (from >= to) return { slots: [], next: null };
    const moment = { ...base, liveBookings: await liveBookingsBetween(db, practice.id, from, to) };

    // Read in start order until the page is full (one more tells whether there is a next page);
    // rows a rule decided on read refuses (e.g. held by our booking) are skipped.
    const slots: T[] = [];
    const positions: Position[] = [];
    let position = after;
    for (;;) {
      const want = Math.min(page.limit + 1 - slots.length, SLOTS_PAGE_MAX + 1);
      let select = db
        .selectFrom('slots')
        .select(columns)
        .where('practice_id', '=', practice.id)
        .where('offered', '=', true)
        .where('start_at', '>=', from)
        .where('start_at', '<', to);
      // Wholly inside the window: a slot that runs past the asked `to` is not answered.
      if (query.to) select = select.where('end_at', '<=', query.to);
      if (position) {
        const { startAt, id } = position;
        select = select.where((eb) => eb(eb.refTuple('start_at', 'id'), '>', eb.tuple(startAt, id)));
      }
      if (query.appointmentTypeId)
        select = select.where('offer_appointment_type_id', '=', query.appointmentTypeId);
      if (query.practitionerId) select = select.where('offer_practitioner_id', '=', query.practitionerId);
      if (query.locationId) select = select.where('offer_location_id', '=', query.locationId);
      const rows = (await select.orderBy('start_at').orderBy('id').limit(want).execute()) as OfferRow[];
      for (const row of rows) {
        // Offered rows passed every rule decided on change; now the rules decided on read.
        if (firstReadRefusal(readCandidate(row), moment) !== null) continue;
        slots.push(shape(row));
        positions.push({ startAt: row.start_at, id: row.id });
      }
      const last = rows.at(-1);
      if (rows.length < want || slots.length > page.limit || !last) break;
      position = { startAt: last.start_at, id: last.id };
    }
    if (slots.length <= page.limit) return { slots, next: null };
    slots.length = page.limit;
    return { slots, next: encodeCursor(positions[page.limit - 1]!) };
  }

  /**
   * May this one slot be booked now? The slot row (locked by the caller) carries the verdict of
   * the rules decided on change; the rules decided on read are checked against `at`, whose
   * `liveBookings` are our live bookings around the slot (`aroundSlot`, read by the caller with
   * the slot). `at` was read before the caller's transaction began (so a transaction never
   * waits for a second pooled connection). Answers every rule it fails.
   */
  offerFor(slot: BookableSlotRow, at: OfferMoment): SlotOffer {
    const candidate = candidateOf(slot, storedMapping(slot));
    const refusedBy = OFFER_RULES.filter((rule) =>
      rule.decided === 'on_change'
        ? !slot.offered && rule.id === (slot.offer_refused_by ?? 'slot_type_bookable')
        : !rule.passes(candidate, at),
    );
    return refusedBy.length === 0
      ? { offered: offeredSlot(slot), refusedBy: [] }
      : { offered: null, refusedBy };
  }
}
