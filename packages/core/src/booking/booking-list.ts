/**
 * A practice's bookings, in pages: by the slot's start, then id (a unique key, so a page never
 * repeats or skips a booking). Never the patient: the patient's columns are not even read, and
 * no filter reads them.
 */
import type { Db } from '../db/database.ts';
import type { Booking, BookingState, Practice } from '../db/schema.ts';
import { CoreErrorCode, UnprocessableError } from '../errors.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from '../pages.ts';
import { instantToLocalIso } from '../time.ts';
import { type BookingView, bookingView } from './bookings.ts';

export interface BookingListQuery {
  /** Only bookings in one of these states (all when empty or left out). */
  states?: readonly BookingState[];
  /** Only bookings whose slot starts at or after it. */
  from?: Date;
  /** Only bookings whose slot starts before it. */
  to?: Date;
}

/** What a booking's answer is made of: every column but the patient's. */
const VIEW_COLUMNS = [
  'id',
  'practice_id',
  'state',
  'slot_id',
  'ehr_slot_id',
  'start_at',
  'end_at',
  'appointment_type_id',
  'failure_code',
  'failure_reason',
  'replaces_booking_id',
  'version',
  'created_at',
  'updated_at',
  'confirmed_at',
  'cancelled_at',
] as const satisfies readonly (keyof Booking)[];

const LIST = 'bookings';
const KEY: readonly CursorPart[] = ['instant', 'uuid'];

export async function listBookings(
  db: Db,
  practice: Practice,
  query: BookingListQuery,
  page: PageRequest,
): Promise<Page<BookingView>> {
  const after = page.cursor === undefined ? null : decodeCursor(LIST, page.cursor, KEY);
  const { from, to } = query;
  if (from && to && to <= from) {
    const zone = practice.time_zone;
    throw new UnprocessableError(
      CoreErrorCode.WINDOW_REVERSED,
      `"to" (${instantToLocalIso(to, zone)}) must be after "from" (${instantToLocalIso(from, zone)})`,
      { fix: 'Swap the two values; a window is [from, to), so a date as "to" ends the day before it.' },
    );
  }
  let select = db
    .selectFrom('bookings')
    .select(VIEW_COLUMNS)
    .select(exactInstant('start_at').as('cursor_start'))
    .where('practice_id', '=', practice.id);
  if (query.states && query.states.length > 0) select = select.where('state', 'in', [...query.states]);
  if (from) select = select.where('start_at', '>=', from);
  if (to) select = select.where('start_at', '<', to);
  if (after) select = select.where(afterKey(['start_at', 'id'], KEY, after));
  const rows = await select
    .orderBy('start_at')
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const { items, next } = pageFrom(rows, page.limit, LIST, (row) => [row.cursor_start, row.id]);
  return {
    items: items.map((row) => bookingView(row as unknown as Booking, practice.time_zone)),
    next,
  };
}
