/**
 * The offer rules (offer-rules.ts) over a practice's data: loading the snapshot they read, and
 * storing the verdict of the rules decided on change on each slot when a sync or a mapping
 * changes (`refreshOffers`), so reads never run mapSlotType, never decrypt the connection and
 * never join the mapping tables. An unchanged refresh writes nothing.
 */
import { type Expression, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { type Static, Type } from 'typebox';
import type { Connections } from '../connections.ts';
import type { Database, Practice, Slot, SlotOfferFeature } from '../db/schema.ts';
import type { EhrContext, EhrSlotRef, SlotTypeMapping } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { SlotbridgeError } from '../errors.ts';
import { instantToLocalIso } from '../time.ts';
import { offersChanged } from './answer-cache.ts';
import {
  firstChangeRefusal,
  LIVE_BOOKING_STATES,
  type LiveBooking,
  mappedAppointmentType,
  type OfferCandidate,
  type OfferSetup,
} from './offer-rules.ts';

/** What refreshing offers needs of the core: the plugins' hooks and the connection (for their context). */
export interface OfferDeps {
  ehr: EhrRegistry;
  connections: Connections;
}

/** A slot as offered: the EHR's slot with the booking side's names for it. */
export interface OfferedSlot extends EhrSlotRef {
  id: string;
  appointmentType: { id: string; name: string };
  practitioner: { id: string; name: string };
  location: { id: string; name: string };
}

const Named = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() });

/** A slot as the API offers it (component `Slot`). */
export const SlotViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Book with this id' }),
    start: Type.String({ format: 'date-time', description: 'Local time of the practice, with its offset' }),
    end: Type.String({ format: 'date-time' }),
    durationMinutes: Type.Integer(),
    appointmentType: Named,
    practitioner: Named,
    location: Named,
  },
  { $id: 'Slot' },
);
export type SlotView = Static<typeof SlotViewSchema>;

/** A slot as GET …/slots answers it, in the practice's time zone. */
export function slotView(
  slot: Pick<OfferedSlot, 'id' | 'startAt' | 'endAt' | 'appointmentType' | 'practitioner' | 'location'>,
  timeZone: string,
): SlotView {
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

/** A window of slot start times; either end may be open. */
export interface OfferWindow {
  from?: Date;
  to?: Date;
  /** Only these slots (a read's new and changed ones): the others' verdicts stand. */
  slotIds?: string[];
}

export interface RefreshOutcome {
  /** Slots whose rules were evaluated. */
  evaluated: number;
  /** Slots whose stored verdict changed (the rows written). */
  changed: number;
}

/** The practice's set-up, as the rules decided on change read it. */
export async function loadOfferSetup(
  db: Kysely<Database>,
  ehr: EhrRegistry,
  practice: Practice,
): Promise<OfferSetup> {
  const [capabilities, active, slotTypeMappings, practitioners, locations, appointmentTypes] =
    await Promise.all([
      ehr.capabilities(practice.ehr),
      db
        .selectFrom('active_slot_types')
        .select('ehr_slot_type_id')
        .where('practice_id', '=', practice.id)
        .execute(),
      db.selectFrom('slot_type_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
      db
        .selectFrom('practitioner_mappings as m')
        .innerJoin('practitioners as p', 'p.id', 'm.practitioner_id')
        .select(['m.ehr_practitioner_id as ehrId', 'p.id', 'p.name'])
        .where('m.practice_id', '=', practice.id)
        .where('m.ehr_practitioner_id', 'is not', null)
        .execute(),
      db
        .selectFrom('location_mappings as m')
        .innerJoin('locations as l', 'l.id', 'm.location_id')
        .select(['m.ehr_location_id as ehrId', 'l.id', 'l.name'])
        .where('m.practice_id', '=', practice.id)
        .where('m.ehr_location_id', 'is not', null)
        .execute(),
      db
        .selectFrom('appointment_types')
        .select(['id', 'name'])
        .where('practice_id', '=', practice.id)
        .execute(),
    ]);
  return {
    practiceId: practice.id,
    timeZone: practice.time_zone,
    ehrName: ehr.get(practice.ehr).name,
    capabilities,
    activeSlotTypeIds: new Set(active.map((a) => a.ehr_slot_type_id)),
    slotTypeMappings: slotTypeMappings.map((m) => ({
      ehrSlotTypeId: m.ehr_slot_type_id,
      feature: m.feature,
      appointmentTypeId: m.disabled ? ('disabled' as const) : m.appointment_type_id,
    })),
    unregisteredSlotTypeId:
      slotTypeMappings.find((m) => m.feature === 'unregistered_patient')?.ehr_slot_type_id ?? null,
    practitioners: new Map(practitioners.map((p) => [p.ehrId!, { id: p.id, name: p.name }])),
    locations: new Map(locations.map((l) => [l.ehrId!, { id: l.id, name: l.name }])),
    appointmentTypes: new Map(appointmentTypes.map((t) => [t.id, { id: t.id, name: t.name }])),
  };
}

/** The hook context of the practice, or null when it has no connection (nothing is mapped then). */
export async function offerContext(
  deps: OfferDeps,
  db: Kysely<Database>,
  practice: Practice,
): Promise<EhrContext | null> {
  try {
    return await deps.connections.context(practice, { db });
  } catch (error) {
    if (error instanceof SlotbridgeError && error.category === 'not_found') return null;
    throw error;
  }
}

/** What a stored slot says of itself, before any offer rule. */
export type SlotFacts = Pick<
  Slot,
  | 'id'
  | 'ehr_slot_id'
  | 'ehr_session_id'
  | 'ehr_practitioner_id'
  | 'ehr_location_id'
  | 'ehr_slot_type_id'
  | 'start_at'
  | 'end_at'
  | 'status'
  | 'ehr_status'
>;

/** Stored slots as rule candidates: mapSlotType (the plugin's and partners' hooks) decides each mapping. */
export async function mapCandidates(
  ehr: EhrRegistry,
  ctx: EhrContext | null,
  practice: Practice,
  setup: OfferSetup,
  slots: readonly SlotFacts[],
): Promise<OfferCandidate[]> {
  const candidates: OfferCandidate[] = [];
  const slotTypeMappings = [...setup.slotTypeMappings];
  for (const slot of slots) {
    const mapping: SlotTypeMapping = ctx
      ? await ehr.mapSlotType(practice.ehr, ctx, {
          slot: {
            ehrSlotId: slot.ehr_slot_id,
            ehrSessionId: slot.ehr_session_id,
            ehrPractitionerId: slot.ehr_practitioner_id,
            ehrLocationId: slot.ehr_location_id,
            ehrSlotTypeId: slot.ehr_slot_type_id,
            startAt: slot.start_at,
            endAt: slot.end_at,
          },
          slotTypeMappings,
        })
      : { feature: 'unmapped', appointmentTypeId: null };
    candidates.push(candidateOf(slot, mapping));
  }
  return candidates;
}

export function candidateOf(slot: SlotFacts, mapping: SlotTypeMapping): OfferCandidate {
  return {
    slotId: slot.id,
    ehrSlotId: slot.ehr_slot_id,
    ehrPractitionerId: slot.ehr_practitioner_id,
    ehrLocationId: slot.ehr_location_id,
    ehrSlotTypeId: slot.ehr_slot_type_id,
    startAt: slot.start_at,
    endAt: slot.end_at,
    status: slot.status,
    ehrStatus: slot.ehr_status,
    mapping,
  };
}

/** The mapping stored on a slot by the last refresh; unmapped when it was never evaluated. */
export function storedMapping(
  slot: Pick<Slot, 'offer_feature' | 'offer_appointment_type_id' | 'offer_disabled'>,
) {
  return {
    feature: slot.offer_feature ?? 'unmapped',
    appointmentTypeId: slot.offer_disabled ? 'disabled' : slot.offer_appointment_type_id,
  } satisfies SlotTypeMapping;
}

/** The offer columns of a slot: the verdict of the rules decided on change, and the names shown. */
export interface OfferColumns {
  offer_feature: SlotOfferFeature;
  offer_appointment_type_id: string | null;
  offer_disabled: boolean;
  offered: boolean;
  offer_refused_by: string | null;
  offer_appointment_type_name: string | null;
  offer_practitioner_id: string | null;
  offer_practitioner_name: string | null;
  offer_location_id: string | null;
  offer_location_name: string | null;
  offer_json: string | null;
}

const OFFER_COLUMNS = [
  'offer_feature',
  'offer_appointment_type_id',
  'offer_disabled',
  'offered',
  'offer_refused_by',
  'offer_appointment_type_name',
  'offer_practitioner_id',
  'offer_practitioner_name',
  'offer_location_id',
  'offer_location_name',
  'offer_json',
] as const satisfies readonly (keyof OfferColumns)[];

export function offerColumns(candidate: OfferCandidate, setup: OfferSetup): OfferColumns {
  const refusal = firstChangeRefusal(candidate, setup);
  const mappedId = candidate.mapping.appointmentTypeId;
  const type = refusal ? null : mappedAppointmentType(candidate.mapping, setup);
  const practitioner = refusal ? null : setup.practitioners.get(candidate.ehrPractitionerId!)!;
  const location = refusal ? null : setup.locations.get(candidate.ehrLocationId!)!;
  return {
    offer_feature: candidate.mapping.feature,
    offer_appointment_type_id: mappedId === 'disabled' ? null : mappedId,
    offer_disabled: mappedId === 'disabled',
    offered: refusal === null,
    offer_refused_by: refusal?.id ?? null,
    offer_appointment_type_name: type?.name ?? null,
    offer_practitioner_id: practitioner?.id ?? null,
    offer_practitioner_name: practitioner?.name ?? null,
    offer_location_id: location?.id ?? null,
    offer_location_name: location?.name ?? null,
    offer_json:
      type && practitioner && location
        ? JSON.stringify(
            slotView(
              {
                id: candidate.slotId,
                startAt: candidate.startAt,
                endAt: candidate.endAt,
                appointmentType: type,
                practitioner,
                location,
              },
              setup.timeZone,
            ),
          )
        : null,
  };
}

const WRITE_CHUNK = 1000;

/**
 * Evaluates the rules decided on change for the practice's stored slots starting in `window`
 * (all of them when omitted) and stores each verdict that changed. Call it inside the
 * transaction that changed the slots or the set-up: after a sync wrote a window's slots, after
 * a mapping, the active slot types or the booking catalogue changed.
 */
export async function refreshOffers(
  trx: Kysely<Database>,
  deps: OfferDeps,
  practice: Practice,
  window: OfferWindow = {},
): Promise<RefreshOutcome> {
  // One writer of a practice's slots at a time (the sync holds the same lock; it is re-entrant).
  await sql`select pg_advisory_xact_lock(hashtextextended(${practice.id}, 0))`.execute(trx);
  let query = trx.selectFrom('slots').selectAll().where('practice_id', '=', practice.id);
  if (window.from) query = query.where('start_at', '>=', window.from);
  if (window.to) query = query.where('start_at', '<', window.to);
  if (window.slotIds) {
    if (window.slotIds.length === 0) return { evaluated: 0, changed: 0 };
    query = query.where('id', 'in', window.slotIds);
  }
  const slots = await query.execute();
  if (slots.length === 0) return { evaluated: 0, changed: 0 };
  const setup = await loadOfferSetup(trx, deps.ehr, practice);
  const ctx = await offerContext(deps, trx, practice);
  const candidates = await mapCandidates(deps.ehr, ctx, practice, setup, slots);
  const changed: (OfferColumns & { id: string })[] = [];
  candidates.forEach((candidate, i) => {
    const slot = slots[i]!;
    const next = offerColumns(candidate, setup);
    if (OFFER_COLUMNS.some((column) => slot[column] !== next[column])) changed.push({ id: slot.id, ...next });
  });
  for (let i = 0; i < changed.length; i += WRITE_CHUNK) {
    const rows = JSON.stringify(changed.slice(i, i + WRITE_CHUNK));
    await sql`
      update slots as s set
        offer_feature = v.offer_feature,
        offer_appointment_type_id = v.offer_appointment_type_id,
        offer_disabled = v.offer_disabled,
        offered = v.offered,
        offer_refused_by = v.offer_refused_by,
        offer_appointment_type_name = v.offer_appointment_type_name,
        offer_practitioner_id = v.offer_practitioner_id,
        offer_practitioner_name = v.offer_practitioner_name,
        offer_location_id = v.offer_location_id,
        offer_location_name = v.offer_location_name,
        offer_json = v.offer_json
      from jsonb_to_recordset(${rows}::jsonb) as v(
        id uuid, offer_feature text, offer_appointment_type_id uuid, offer_disabled boolean,
        offered boolean, offer_refused_by text, offer_appointment_type_name text,
        offer_practitioner_id uuid, offer_practitioner_name text, offer_location_id uuid,
        offer_location_name text, offer_json text)
      where s.id = v.id`.execute(trx);
  }
  if (changed.length > 0) await offersChanged(trx, practice.id);
  return { evaluated: slots.length, changed: changed.length };
}

/** Our live bookings that overlap [from, to) (any practitioner). */
export async function liveBookingsBetween(
  db: Kysely<Database>,
  practiceId: string,
  from: Date,
  to: Date,
): Promise<LiveBooking[]> {
  const rows = await db
    .selectFrom('bookings')
    .select(['slot_id', 'ehr_practitioner_id', 'start_at', 'end_at'])
    .where('practice_id', '=', practiceId)
    .where('state', 'in', LIVE_BOOKING_STATES)
    .where('end_at', '>', from)
    .where('start_at', '<', to)
    .execute();
  return rows.map(liveBooking);
}

/**
 * Our live bookings that could hold one slot, as a condition on `bookings`: live, and on the slot
 * or overlapping its time (any practitioner: the rules decide which hold it). `slot` may be values
 * or references to another table's columns (the accept reads them from the slot row it locks).
 */
export function aroundSlot(
  practiceId: string,
  slot: {
    id: string | Expression<string>;
    start_at: Date | Expression<Date>;
    end_at: Date | Expression<Date>;
  },
) {
  return (eb: ExpressionBuilder<Database, 'bookings'>) =>
    eb.and([
      eb('bookings.practice_id', '=', practiceId),
      eb('bookings.state', 'in', LIVE_BOOKING_STATES),
      eb.or([
        eb('bookings.slot_id', '=', slot.id),
        eb.and([eb('bookings.end_at', '>', slot.start_at), eb('bookings.start_at', '<', slot.end_at)]),
      ]),
    ]);
}

function liveBooking(row: {
  slot_id: string | null;
  ehr_practitioner_id: string | null;
  start_at: Date;
  end_at: Date;
}): LiveBooking {
  return {
    slotId: row.slot_id,
    ehrPractitionerId: row.ehr_practitioner_id,
    startAt: row.start_at,
    endAt: row.end_at,
  };
}
