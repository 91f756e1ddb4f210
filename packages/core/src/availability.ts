/**
 * What the patient booking flow may offer, read from PostgreSQL only (never from the EHR on
 * the request path). A slot is offered when it is free; its slot type is active, bookable and
 * mapped to an appointment type (through the mapSlotType hooks); its practitioner and location
 * are mapped; it is in the future and inside the publishing horizon; no live booking of ours
 * holds it or overlaps it for the same practitioner; and the connection's last good sync is recent enough (the stale limit).
 */
import { type Kysely, sql } from 'kysely';
import type { Connections } from './connections.ts';
import type { Database, Practice } from './db/schema.ts';
import type { EhrRegistry } from './ehr-registry.ts';
import type { Practices } from './practices.ts';
import { addDays, instantToLocalIso } from './time.ts';

export const LIVE_BOOKING_STATES = ['pending', 'confirmed', 'needs_reconciliation', 'cancelling'] as const;

export interface AvailabilityQuery {
  from?: Date;
  to?: Date;
  appointmentTypeId?: string;
  practitionerId?: string;
  locationId?: string;
  /** Only this slot (used by the booking service, inside its transaction). */
  slotId?: string;
}

export interface OfferedSlot {
  id: string;
  ehrSlotId: string;
  ehrSessionId: string | null;
  ehrPractitionerId: string | null;
  ehrLocationId: string | null;
  ehrSlotTypeId: string;
  startAt: Date;
  endAt: Date;
  appointmentType: { id: string; name: string };
  practitioner: { id: string; name: string };
  location: { id: string; name: string };
}

export interface SlotView {
  id: string;
  start: string;
  end: string;
  durationMinutes: number;
  appointmentType: { id: string; name: string };
  practitioner: { id: string; name: string };
  location: { id: string; name: string };
}

export function slotView(slot: OfferedSlot, timeZone: string): SlotView {
  return {
    id: slot.id,
    start: instantToLocalIso(slot.startAt, timeZone),
    end: instantToLocalIso(slot.endAt, timeZone),
    durationMinutes: Math.round((slot.endAt.getTime() - slot.startAt.getTime()) / 60_000),
    appointmentType: slot.appointmentType,
    practitioner: slot.practitioner,
    location: slot.location,
  };
}

export class Availability {
  constructor(
    private readonly ehr: EhrRegistry,
    private readonly practices: Practices,
    private readonly connections: Connections,
    private readonly now: () => Date,
    /** How old the last good sync may be before nothing is offered (seconds). */
    readonly staleAfterSeconds: number,
  ) {}

  async offered(
    db: Kysely<Database>,
    practice: Practice,
    query: AvailabilityQuery = {},
  ): Promise<OfferedSlot[]> {
    const now = this.now();
    const horizonEnd = addDays(now, await this.practices.horizonDays(practice));
    const from = query.from && query.from > now ? query.from : now;
    const to = query.to && query.to < horizonEnd ? query.to : horizonEnd;
    if (from >= to) return [];
    const freshSince = new Date(now.getTime() - this.staleAfterSeconds * 1000);

    let select = db
      .selectFrom('slots as s')
      .innerJoin('connections as c', 'c.practice_id', 's.practice_id')
      .innerJoin('active_slot_types as a', (j) =>
        j.onRef('a.practice_id', '=', 's.practice_id').onRef('a.ehr_slot_type_id', '=', 's.ehr_slot_type_id'),
      )
      .innerJoin('practitioner_mappings as pm', (j) =>
        j
          .onRef('pm.practice_id', '=', 's.practice_id')
          .onRef('pm.ehr_practitioner_id', '=', 's.ehr_practitioner_id'),
      )
      .innerJoin('practitioners as p', 'p.id', 'pm.practitioner_id')
      .innerJoin('location_mappings as lm', (j) =>
        j.onRef('lm.practice_id', '=', 's.practice_id').onRef('lm.ehr_location_id', '=', 's.ehr_location_id'),
      )
      .innerJoin('locations as l', 'l.id', 'lm.location_id')
      .select([
        's.id',
        's.ehr_slot_id',
        's.ehr_session_id',
        's.ehr_practitioner_id',
        's.ehr_location_id',
        's.ehr_slot_type_id',
        's.start_at',
        's.end_at',
        'p.id as practitioner_id',
        'p.name as practitioner_name',
        'l.id as location_id',
        'l.name as location_name',
      ])
      .where('s.practice_id', '=', practice.id)
      .where('s.status', '=', 'free')
      .where('s.start_at', '>=', from)
      .where('s.start_at', '<', to)
      .where('c.last_good_sync_at', '>', freshSince)
      // Free of our live bookings: the slot itself, and any booking of the same practitioner
      // that overlaps it (an EHR may offer one time as several slots, e.g. per booking reason).
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('bookings as b')
              .select(sql`1`.as('one'))
              .whereRef('b.practice_id', '=', 's.practice_id')
              .where('b.state', 'in', LIVE_BOOKING_STATES)
              .where((b) =>
                b.or([
                  b('b.slot_id', '=', b.ref('s.id')),
                  b.and([
                    b('b.ehr_practitioner_id', '=', b.ref('s.ehr_practitioner_id')),
                    b('b.start_at', '<', b.ref('s.end_at')),
                    b('b.end_at', '>', b.ref('s.start_at')),
                  ]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('s.start_at')
      .orderBy('s.id');
    if (query.practitionerId) select = select.where('p.id', '=', query.practitionerId);
    if (query.locationId) select = select.where('l.id', '=', query.locationId);
    if (query.slotId) select = select.where('s.id', '=', query.slotId);
    const rows = await select.execute();
    if (rows.length === 0) return [];

    const [slotTypeMappings, appointmentTypes] = await Promise.all([
      db.selectFrom('slot_type_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
      db
        .selectFrom('appointment_types')
        .select(['id', 'name'])
        .where('practice_id', '=', practice.id)
        .execute(),
    ]);
    const mappingRows = slotTypeMappings.map((m) => ({
      ehrSlotTypeId: m.ehr_slot_type_id,
      feature: m.feature,
      appointmentTypeId: m.disabled ? ('disabled' as const) : m.appointment_type_id,
    }));
    const typeNames = new Map(appointmentTypes.map((t) => [t.id, t.name]));
    const ctx = await this.connections.context(practice, { db });

    const offered: OfferedSlot[] = [];
    for (const row of rows) {
      const slot = {
        ehrSlotId: row.ehr_slot_id,
        ehrSessionId: row.ehr_session_id,
        ehrPractitionerId: row.ehr_practitioner_id,
        ehrLocationId: row.ehr_location_id,
        ehrSlotTypeId: row.ehr_slot_type_id,
        startAt: row.start_at,
        endAt: row.end_at,
      };
      const mapping = await this.ehr.mapSlotType(practice.ehr, ctx, { slot, slotTypeMappings: mappingRows });
      const typeId = mapping.appointmentTypeId;
      if (mapping.feature !== 'bookable' || typeId === null || typeId === 'disabled') continue;
      const typeName = typeNames.get(typeId);
      if (typeName === undefined) continue;
      if (query.appointmentTypeId && query.appointmentTypeId !== typeId) continue;
      offered.push({
        id: row.id,
        ...slot,
        appointmentType: { id: typeId, name: typeName },
        practitioner: { id: row.practitioner_id, name: row.practitioner_name },
        location: { id: row.location_id, name: row.location_name },
      });
    }
    return offered;
  }
}
