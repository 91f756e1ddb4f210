/**
 * The practice diary as the booking side sees it: appointments booked through us and those
 * booked in the EHR, in one list. An EHR booking shows as the appointment type its slot type is
 * mapped to (as mapSlotType decided when the offers were last refreshed: offers/offers.ts); one
 * whose slot type is --DISABLED-- is left out (its time stays unavailable, as availability only
 * offers free slots).
 */
import type { Kysely } from 'kysely';
import { type Static, Type } from 'typebox';
import { BOOKING_STATES } from './booking/bookings.ts';
import type { BookingState, Database, Practice } from './db/schema.ts';
import { LIVE_BOOKING_STATES } from './offers/offer-rules.ts';
import { storedMapping } from './offers/offers.ts';
import { instantToLocalIso } from './time.ts';

const Named = Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]);

/** One appointment of the diary as the API answers it (`GET …/appointments`). */
export const DiaryEntrySchema = Type.Object(
  {
    source: Type.Union([Type.Literal('slotbridge'), Type.Literal('ehr')], {
      description: 'slotbridge: booked through this API; ehr: booked by the practice in its EHR',
    }),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
    ehrSlotId: Type.String(),
    bookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Ours only' }),
    state: Type.Union([Type.Enum(BOOKING_STATES), Type.Null()], {
      description: 'Ours only: the booking state',
    }),
    appointmentType: Named,
    practitioner: Named,
    location: Named,
    ehr: Type.Object(
      {
        practitionerId: Type.Union([Type.String(), Type.Null()]),
        locationId: Type.Union([Type.String(), Type.Null()]),
        slotTypeId: Type.String(),
        slotTypeName: Type.Union([Type.String(), Type.Null()]),
      },
      { description: "The EHR's own words for the slot, for the practice to find it" },
    ),
  },
  { $id: 'DiaryEntry' },
);
export type DiaryEntry = Static<typeof DiaryEntrySchema>;

interface Row {
  source: 'slotbridge' | 'ehr';
  startAt: Date;
  endAt: Date;
  ehrSlotId: string;
  ehrSessionId: string | null;
  ehrPractitionerId: string | null;
  ehrLocationId: string | null;
  ehrSlotTypeId: string;
  bookingId: string | null;
  state: BookingState | null;
  appointmentTypeId: string | null;
}

export class Diary {
  async appointments(db: Kysely<Database>, practice: Practice, from: Date, to: Date): Promise<DiaryEntry[]> {
    const ours = await db
      .selectFrom('bookings')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('state', 'in', LIVE_BOOKING_STATES)
      .where('start_at', '>=', from)
      .where('start_at', '<', to)
      .execute();
    const heldSlots = new Set(ours.map((b) => b.slot_id).filter((id): id is string => id !== null));
    const booked = await db
      .selectFrom('slots')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('status', '=', 'booked')
      .where('start_at', '>=', from)
      .where('start_at', '<', to)
      .execute();

    const rows: Row[] = [
      ...ours.map((b) => ({
        source: 'slotbridge' as const,
        startAt: b.start_at,
        endAt: b.end_at,
        ehrSlotId: b.ehr_slot_id,
        ehrSessionId: b.ehr_session_id,
        ehrPractitionerId: b.ehr_practitioner_id,
        ehrLocationId: b.ehr_location_id,
        ehrSlotTypeId: b.ehr_slot_type_id,
        bookingId: b.id,
        state: b.state,
        appointmentTypeId: b.appointment_type_id,
      })),
    ];
    for (const s of booked) {
      if (heldSlots.has(s.id)) continue;
      // The mapping mapSlotType chose when the slot was last synced or the mappings changed.
      const mapping = storedMapping(s);
      if (mapping.appointmentTypeId === 'disabled') continue;
      rows.push({
        source: 'ehr',
        startAt: s.start_at,
        endAt: s.end_at,
        ehrSlotId: s.ehr_slot_id,
        ehrSessionId: s.ehr_session_id,
        ehrPractitionerId: s.ehr_practitioner_id,
        ehrLocationId: s.ehr_location_id,
        ehrSlotTypeId: s.ehr_slot_type_id,
        bookingId: null,
        state: null,
        appointmentTypeId: mapping.appointmentTypeId,
      });
    }
    return this.describe(db, practice, rows);
  }

  private async describe(db: Kysely<Database>, practice: Practice, rows: Row[]): Promise<DiaryEntry[]> {
    const [types, practitioners, locations, slotTypes] = await Promise.all([
      db
        .selectFrom('appointment_types')
        .select(['id', 'name'])
        .where('practice_id', '=', practice.id)
        .execute(),
      db
        .selectFrom('practitioner_mappings as m')
        .innerJoin('practitioners as p', 'p.id', 'm.practitioner_id')
        .select(['m.ehr_practitioner_id as ehrId', 'p.id', 'p.name'])
        .where('m.practice_id', '=', practice.id)
        .execute(),
      db
        .selectFrom('location_mappings as m')
        .innerJoin('locations as l', 'l.id', 'm.location_id')
        .select(['m.ehr_location_id as ehrId', 'l.id', 'l.name'])
        .where('m.practice_id', '=', practice.id)
        .execute(),
      db
        .selectFrom('ehr_catalogue')
        .select(['ehr_id', 'name'])
        .where('practice_id', '=', practice.id)
        .where('kind', '=', 'slot_type')
        .execute(),
    ]);
    const typeById = new Map(types.map((t) => [t.id, t]));
    const practitionerByEhr = new Map(practitioners.map((p) => [p.ehrId, { id: p.id, name: p.name }]));
    const locationByEhr = new Map(locations.map((l) => [l.ehrId, { id: l.id, name: l.name }]));
    const slotTypeName = new Map(slotTypes.map((s) => [s.ehr_id, s.name]));
    return rows
      .sort((a, b) => a.startAt.getTime() - b.startAt.getTime() || a.ehrSlotId.localeCompare(b.ehrSlotId))
      .map((r) => ({
        source: r.source,
        start: instantToLocalIso(r.startAt, practice.time_zone),
        end: instantToLocalIso(r.endAt, practice.time_zone),
        ehrSlotId: r.ehrSlotId,
        bookingId: r.bookingId,
        state: r.state,
        appointmentType: r.appointmentTypeId ? (typeById.get(r.appointmentTypeId) ?? null) : null,
        practitioner: r.ehrPractitionerId ? (practitionerByEhr.get(r.ehrPractitionerId) ?? null) : null,
        location: r.ehrLocationId ? (locationByEhr.get(r.ehrLocationId) ?? null) : null,
        ehr: {
          practitionerId: r.ehrPractitionerId,
          locationId: r.ehrLocationId,
          slotTypeId: r.ehrSlotTypeId,
          slotTypeName: slotTypeName.get(r.ehrSlotTypeId) ?? null,
        },
      }));
  }
}
