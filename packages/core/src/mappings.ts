/**
 * The four mapping tables of seed 000 and the active slot types of seed 001, each read and
 * written as a whole table, like the settings tabs they come from. A PUT is checked as a whole
 * and saved in one transaction, or not at all: a duplicate choice, an unknown id or a second
 * unregistered-patient slot type answers 422 naming every row at fault, and nothing is saved.
 * A saved change refreshes the practice's stored offers in the same transaction (offers.ts).
 */
import type { Kysely } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import type { CatalogueKind, Database, Practice, SlotFeature } from './db/schema.ts';
import { CoreErrorCode, UnprocessableError } from './errors.ts';
import { type OfferDeps, refreshOffers } from './offers/offers.ts';

/** One problem with one row of a PUT; `row` is its index in the body. */
export interface MappingProblem {
  code: string;
  row: number;
  field: string;
  message: string;
}

export interface PractitionerMappingRow {
  practitionerId: string;
  ehrPractitionerId: string | null;
}

export interface LocationMappingRow {
  locationId: string;
  ehrLocationId: string | null;
}

export interface SlotTypeFeatureRow {
  ehrSlotTypeId: string;
  feature: SlotFeature;
  /** An appointment type id; null: none chosen; 'disabled': --DISABLED-- (hidden from our diary, time still blocked). */
  appointmentTypeId: string | null | 'disabled';
}

export interface BookingFeatureRow {
  appointmentTypeId: string;
  /** null: bookings are still written back, the EHR slot's type is left unchanged. */
  ehrSlotTypeId: string | null;
}

const Uuid = Type.String({ format: 'uuid' });
/** A slot type's feature (stage 3), as the mapping table reads and writes it. */
export const SlotFeatureSchema = Type.Union([
  Type.Literal('bookable'),
  Type.Literal('not_bookable'),
  Type.Literal('unregistered_patient'),
]);

/** An EHR entity as a mapping table shows it beside the row. */
const EhrEntityRefSchema = Type.Object({
  ehrId: Type.String(),
  name: Type.String(),
  gone: Type.Boolean({ description: 'No longer in the EHR' }),
});
export type EhrEntityRef = Static<typeof EhrEntityRefSchema>;
const EhrRef = Type.Union([EhrEntityRefSchema, Type.Null()]);

/** A row of the practitioner mapping (stage 1) as the API answers it. */
export const PractitionerMappingViewSchema = Type.Object(
  {
    practitionerId: Uuid,
    practitionerName: Type.String(),
    ehrPractitionerId: Type.Union([Type.String(), Type.Null()]),
    ehrPractitioner: EhrRef,
  },
  { $id: 'PractitionerMapping' },
);
export type PractitionerMappingView = Static<typeof PractitionerMappingViewSchema>;

/** A row of the location mapping (stage 2) as the API answers it. */
export const LocationMappingViewSchema = Type.Object(
  {
    locationId: Uuid,
    locationName: Type.String(),
    ehrLocationId: Type.Union([Type.String(), Type.Null()]),
    ehrLocation: EhrRef,
  },
  { $id: 'LocationMapping' },
);
export type LocationMappingView = Static<typeof LocationMappingViewSchema>;

/**
 * A row of the slot type features (stage 3) as the API answers it. appointmentTypeId: an
 * appointment type id, null (none chosen) or 'disabled'.
 */
export const SlotTypeFeatureViewSchema = Type.Object(
  {
    ehrSlotTypeId: Type.String(),
    feature: SlotFeatureSchema,
    appointmentTypeId: Type.Union([Type.String(), Type.Null()]),
    ehrSlotType: EhrRef,
    configured: Type.Boolean({ description: 'false: never set, so not bookable' }),
  },
  { $id: 'SlotTypeFeature' },
);
export type SlotTypeFeatureView = Static<typeof SlotTypeFeatureViewSchema>;

/** A row of the booking features (stage 4) as the API answers it. */
export const BookingFeatureViewSchema = Type.Object(
  {
    appointmentTypeId: Uuid,
    appointmentTypeName: Type.String(),
    ehrSlotTypeId: Type.Union([Type.String(), Type.Null()]),
    ehrSlotType: EhrRef,
  },
  { $id: 'BookingFeature' },
);
export type BookingFeatureView = Static<typeof BookingFeatureViewSchema>;

/** The active slot types (seed 001) as the API answers them. */
export const ActiveSlotTypesViewSchema = Type.Object(
  {
    ehrSlotTypeIds: Type.Array(Type.String()),
    slotTypes: Type.Array(EhrRef),
  },
  { $id: 'ActiveSlotTypes' },
);
export type ActiveSlotTypesView = Static<typeof ActiveSlotTypesViewSchema>;

type Executor = Kysely<Database>;

function rejectIfProblems(problems: MappingProblem[], table: string): void {
  if (problems.length === 0) return;
  const first = problems[0]!;
  throw new UnprocessableError(
    first.code,
    `The ${table} table was not saved: ${problems.length} row problem(s). ${first.message}`,
    {
      fix: 'Correct every row listed in "errors" and send the whole table again; nothing was saved.',
      details: { errors: problems },
    },
  );
}

/** Rows listing the same key twice: every one of them is named. */
function duplicates<T>(rows: T[], key: (row: T) => string | null): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const value = key(row);
    if (value === null) return;
    seen.set(value, [...(seen.get(value) ?? []), index]);
  });
  return new Map([...seen].filter(([, indexes]) => indexes.length > 1));
}

async function catalogue(
  db: Executor,
  practiceId: string,
  kind: CatalogueKind,
): Promise<Map<string, EhrEntityRef>> {
  const rows = await db
    .selectFrom('ehr_catalogue')
    .select(['ehr_id', 'name', 'gone_at'])
    .where('practice_id', '=', practiceId)
    .where('kind', '=', kind)
    .execute();
  return new Map(rows.map((r) => [r.ehr_id, { ehrId: r.ehr_id, name: r.name, gone: r.gone_at !== null }]));
}

async function ownIds(
  db: Executor,
  practiceId: string,
  table: 'practitioners' | 'locations' | 'appointment_types',
) {
  const rows = await db
    .selectFrom(table)
    .select(['id', 'name'])
    .where('practice_id', '=', practiceId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Unknown or gone EHR ids are a problem; ids are checked against the discovered catalogue. */
function checkEhrId(
  problems: MappingProblem[],
  known: Map<string, EhrEntityRef>,
  ehrId: string | null,
  row: number,
  field: string,
  what: string,
): void {
  if (ehrId === null) return;
  const entry = known.get(ehrId);
  if (!entry) {
    problems.push({
      code: CoreErrorCode.MAPPING_UNKNOWN_ID,
      row,
      field,
      message: `${what} ${ehrId} is not in the EHR catalogue; run POST /v1/practices/{practiceId}/discover to refresh it`,
    });
  } else if (entry.gone) {
    problems.push({
      code: CoreErrorCode.MAPPING_UNKNOWN_ID,
      row,
      field,
      message: `${what} ${ehrId} (${entry.name}) is gone from the EHR`,
    });
  }
}

/** The practice's Unregistered Patient Booking slot type (seed 002), if one is set. */
export async function unregisteredSlotTypeId(
  db: Kysely<Database>,
  practiceId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('slot_type_mappings')
    .select('ehr_slot_type_id')
    .where('practice_id', '=', practiceId)
    .where('feature', '=', 'unregistered_patient')
    .executeTakeFirst();
  return row?.ehr_slot_type_id ?? null;
}

export class Mappings {
  constructor(
    private readonly db: Db,
    /** What refreshing the stored offers needs: every change here changes what is offered. */
    private readonly offers: OfferDeps,
  ) {}

  // Stage 1: practitioners ---------------------------------------------------------------

  async practitioners(practice: Practice): Promise<PractitionerMappingView[]> {
    const [ours, theirs, rows] = await Promise.all([
      ownIds(this.db, practice.id, 'practitioners'),
      catalogue(this.db, practice.id, 'practitioner'),
      this.db
        .selectFrom('practitioner_mappings')
        .selectAll()
        .where('practice_id', '=', practice.id)
        .execute(),
    ]);
    const mapped = new Map(rows.map((r) => [r.practitioner_id, r.ehr_practitioner_id]));
    return [...ours].map(([id, name]) => {
      const ehrId = mapped.get(id) ?? null;
      return {
        practitionerId: id,
        practitionerName: name,
        ehrPractitionerId: ehrId,
        ehrPractitioner: ehrId ? (theirs.get(ehrId) ?? { ehrId, name: '(unknown)', gone: true }) : null,
      };
    });
  }

  async putPractitioners(caller: Caller | null, practice: Practice, rows: PractitionerMappingRow[]) {
    await this.putOneToOne(caller, practice, {
      table: 'practitioner_mappings',
      label: 'practitioner mapping',
      ours: 'practitioners',
      kind: 'practitioner',
      rows: rows.map((r) => ({ ourId: r.practitionerId, ehrId: r.ehrPractitionerId })),
      ourField: 'practitionerId',
      ehrField: 'ehrPractitionerId',
      ourWhat: 'Practitioner',
      ehrWhat: 'EHR practitioner',
    });
    return this.practitioners(practice);
  }

  // Stage 2: locations -------------------------------------------------------------------

  async locations(practice: Practice): Promise<LocationMappingView[]> {
    const [ours, theirs, rows] = await Promise.all([
      ownIds(this.db, practice.id, 'locations'),
      catalogue(this.db, practice.id, 'location'),
      this.db.selectFrom('location_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
    ]);
    const mapped = new Map(rows.map((r) => [r.location_id, r.ehr_location_id]));
    return [...ours].map(([id, name]) => {
      const ehrId = mapped.get(id) ?? null;
      return {
        locationId: id,
        locationName: name,
        ehrLocationId: ehrId,
        ehrLocation: ehrId ? (theirs.get(ehrId) ?? { ehrId, name: '(unknown)', gone: true }) : null,
      };
    });
  }

  async putLocations(caller: Caller | null, practice: Practice, rows: LocationMappingRow[]) {
    await this.putOneToOne(caller, practice, {
      table: 'location_mappings',
      label: 'location mapping',
      ours: 'locations',
      kind: 'location',
      rows: rows.map((r) => ({ ourId: r.locationId, ehrId: r.ehrLocationId })),
      ourField: 'locationId',
      ehrField: 'ehrLocationId',
      ourWhat: 'Location',
      ehrWhat: 'EHR site',
    });
    return this.locations(practice);
  }

  /** Stages 1 and 2 share their rules: strictly 1:1, blanks allowed, ids must exist. */
  private async putOneToOne(
    caller: Caller | null,
    practice: Practice,
    spec: {
      table: 'practitioner_mappings' | 'location_mappings';
      label: string;
      ours: 'practitioners' | 'locations';
      kind: CatalogueKind;
      rows: { ourId: string; ehrId: string | null }[];
      ourField: string;
      ehrField: string;
      ourWhat: string;
      ehrWhat: string;
    },
  ): Promise<void> {
    const problems: MappingProblem[] = [];
    const [ours, theirs] = await Promise.all([
      ownIds(this.db, practice.id, spec.ours),
      catalogue(this.db, practice.id, spec.kind),
    ]);
    for (const [ehrId, rows] of duplicates(spec.rows, (r) => r.ehrId)) {
      const name = theirs.get(ehrId)?.name ?? ehrId;
      for (const row of rows) {
        problems.push({
          code: CoreErrorCode.MAPPING_DUPLICATE,
          row,
          field: spec.ehrField,
          message: `${spec.ehrWhat} ${name} is chosen for ${rows.length} rows (${rows.join(', ')}); each may be mapped once (1 to 1)`,
        });
      }
    }
    for (const [ourId, rows] of duplicates(spec.rows, (r) => r.ourId)) {
      for (const row of rows.slice(1)) {
        problems.push({
          code: CoreErrorCode.MAPPING_DUPLICATE,
          row,
          field: spec.ourField,
          message: `${spec.ourWhat} ${ourId} has more than one row`,
        });
      }
    }
    spec.rows.forEach((r, row) => {
      if (!ours.has(r.ourId)) {
        problems.push({
          code: CoreErrorCode.MAPPING_UNKNOWN_ID,
          row,
          field: spec.ourField,
          message: `${spec.ourWhat} ${r.ourId} does not exist at this practice`,
        });
      }
      checkEhrId(problems, theirs, r.ehrId, row, spec.ehrField, spec.ehrWhat);
    });
    rejectIfProblems(problems, spec.label);

    const ourColumn = spec.table === 'practitioner_mappings' ? 'practitioner_id' : 'location_id';
    const ehrColumn = spec.table === 'practitioner_mappings' ? 'ehr_practitioner_id' : 'ehr_location_id';
    const changes = await this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom(spec.table)
        .selectAll()
        .where('practice_id', '=', practice.id)
        .execute();
      const previous = new Map(
        before.map((r) => [
          (r as Record<string, string>)[ourColumn]!,
          (r as Record<string, string | null>)[ehrColumn] ?? null,
        ]),
      );
      await trx.deleteFrom(spec.table).where('practice_id', '=', practice.id).execute();
      if (spec.rows.length > 0) {
        await trx
          .insertInto(spec.table)
          .values(
            spec.rows.map((r) => ({
              practice_id: practice.id,
              [ourColumn]: r.ourId,
              [ehrColumn]: r.ehrId,
            })) as never,
          )
          .execute();
      }
      await refreshOffers(trx, this.offers, practice);
      const next = new Map(spec.rows.map((r) => [r.ourId, r.ehrId]));
      return [...new Set([...previous.keys(), ...next.keys()])]
        .filter((id) => (previous.get(id) ?? null) !== (next.get(id) ?? null))
        .map((id) => ({ [spec.ourField]: id, from: previous.get(id) ?? null, to: next.get(id) ?? null }));
    });
    await recordAudit(this.db, caller, practice.id, `${spec.table}.replaced`, { changes });
  }

  // Stage 3: slot type features -----------------------------------------------------------

  async slotTypeFeatures(practice: Practice): Promise<SlotTypeFeatureView[]> {
    const [theirs, rows] = await Promise.all([
      catalogue(this.db, practice.id, 'slot_type'),
      this.db.selectFrom('slot_type_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
    ]);
    const configured = new Map(rows.map((r) => [r.ehr_slot_type_id, r]));
    const ids = [
      ...new Set([...[...theirs.values()].filter((e) => !e.gone).map((e) => e.ehrId), ...configured.keys()]),
    ];
    return ids.sort().map((ehrSlotTypeId) => {
      const row = configured.get(ehrSlotTypeId);
      return {
        ehrSlotTypeId,
        feature: row?.feature ?? 'not_bookable',
        appointmentTypeId: row ? (row.disabled ? 'disabled' : row.appointment_type_id) : null,
        ehrSlotType: theirs.get(ehrSlotTypeId) ?? { ehrId: ehrSlotTypeId, name: '(unknown)', gone: true },
        configured: row !== undefined,
      };
    });
  }

  async putSlotTypeFeatures(caller: Caller | null, practice: Practice, rows: SlotTypeFeatureRow[]) {
    const problems: MappingProblem[] = [];
    const [types, theirs, bookingFeatures] = await Promise.all([
      ownIds(this.db, practice.id, 'appointment_types'),
      catalogue(this.db, practice.id, 'slot_type'),
      this.db
        .selectFrom('appointment_type_mappings as m')
        .innerJoin('appointment_types as t', 't.id', 'm.appointment_type_id')
        .select(['m.ehr_slot_type_id', 't.name'])
        .where('m.practice_id', '=', practice.id)
        .execute(),
    ]);
    for (const [ehrId, indexes] of duplicates(rows, (r) => r.ehrSlotTypeId)) {
      for (const row of indexes.slice(1)) {
        problems.push({
          code: CoreErrorCode.MAPPING_DUPLICATE,
          row,
          field: 'ehrSlotTypeId',
          message: `Slot type ${ehrId} has more than one row`,
        });
      }
    }
    const unregistered = rows.flatMap((r, index) => (r.feature === 'unregistered_patient' ? [index] : []));
    if (unregistered.length > 1) {
      for (const row of unregistered) {
        problems.push({
          code: CoreErrorCode.UNREGISTERED_SLOT_TYPE_NOT_UNIQUE,
          row,
          field: 'feature',
          message: `Only one slot type may be the Unregistered Patient Booking type; rows ${unregistered.join(', ')} all are`,
        });
      }
    }
    rows.forEach((r, row) => {
      checkEhrId(problems, theirs, r.ehrSlotTypeId, row, 'ehrSlotTypeId', 'EHR slot type');
      if (
        r.appointmentTypeId !== null &&
        r.appointmentTypeId !== 'disabled' &&
        !types.has(r.appointmentTypeId)
      ) {
        problems.push({
          code: CoreErrorCode.MAPPING_UNKNOWN_ID,
          row,
          field: 'appointmentTypeId',
          message: `Appointment type ${r.appointmentTypeId} does not exist at this practice`,
        });
      }
      if (r.feature === 'unregistered_patient') {
        if (r.appointmentTypeId !== null) {
          problems.push({
            code: CoreErrorCode.UNREGISTERED_SLOT_TYPE_REUSED,
            row,
            field: 'appointmentTypeId',
            message:
              'The Unregistered Patient Booking slot type must not be used for anything else: leave its appointment type empty',
          });
        }
        const users = bookingFeatures
          .filter((b) => b.ehr_slot_type_id === r.ehrSlotTypeId)
          .map((b) => b.name);
        if (users.length > 0) {
          problems.push({
            code: CoreErrorCode.UNREGISTERED_SLOT_TYPE_REUSED,
            row,
            field: 'ehrSlotTypeId',
            message: `The Unregistered Patient Booking slot type must not be used for anything else, but the booking features book ${users.join(', ')} as it`,
          });
        }
      }
    });
    rejectIfProblems(problems, 'slot type features');

    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('slot_type_mappings').where('practice_id', '=', practice.id).execute();
      if (rows.length > 0) {
        await trx
          .insertInto('slot_type_mappings')
          .values(
            rows.map((r) => ({
              practice_id: practice.id,
              ehr_slot_type_id: r.ehrSlotTypeId,
              feature: r.feature,
              appointment_type_id: r.appointmentTypeId === 'disabled' ? null : r.appointmentTypeId,
              disabled: r.appointmentTypeId === 'disabled',
            })),
          )
          .execute();
      }
      await refreshOffers(trx, this.offers, practice);
    });
    await recordAudit(this.db, caller, practice.id, 'slot_type_mappings.replaced', { rows });
    return this.slotTypeFeatures(practice);
  }

  // Stage 4: booking features -----------------------------------------------------------

  async bookingFeatures(practice: Practice): Promise<BookingFeatureView[]> {
    const [types, theirs, rows] = await Promise.all([
      ownIds(this.db, practice.id, 'appointment_types'),
      catalogue(this.db, practice.id, 'slot_type'),
      this.db
        .selectFrom('appointment_type_mappings')
        .selectAll()
        .where('practice_id', '=', practice.id)
        .execute(),
    ]);
    const mapped = new Map(rows.map((r) => [r.appointment_type_id, r.ehr_slot_type_id]));
    return [...types].map(([id, name]) => {
      const ehrId = mapped.get(id) ?? null;
      return {
        appointmentTypeId: id,
        appointmentTypeName: name,
        ehrSlotTypeId: ehrId,
        ehrSlotType: ehrId ? (theirs.get(ehrId) ?? { ehrId, name: '(unknown)', gone: true }) : null,
      };
    });
  }

  async putBookingFeatures(caller: Caller | null, practice: Practice, rows: BookingFeatureRow[]) {
    const problems: MappingProblem[] = [];
    const [types, theirs, unregistered] = await Promise.all([
      ownIds(this.db, practice.id, 'appointment_types'),
      catalogue(this.db, practice.id, 'slot_type'),
      unregisteredSlotTypeId(this.db, practice.id),
    ]);
    for (const [id, indexes] of duplicates(rows, (r) => r.appointmentTypeId)) {
      for (const row of indexes.slice(1)) {
        problems.push({
          code: CoreErrorCode.MAPPING_DUPLICATE,
          row,
          field: 'appointmentTypeId',
          message: `Appointment type ${id} has more than one row`,
        });
      }
    }
    rows.forEach((r, row) => {
      if (!types.has(r.appointmentTypeId)) {
        problems.push({
          code: CoreErrorCode.MAPPING_UNKNOWN_ID,
          row,
          field: 'appointmentTypeId',
          message: `Appointment type ${r.appointmentTypeId} does not exist at this practice`,
        });
      }
      checkEhrId(problems, theirs, r.ehrSlotTypeId, row, 'ehrSlotTypeId', 'EHR slot type');
      if (r.ehrSlotTypeId !== null && r.ehrSlotTypeId === unregistered) {
        problems.push({
          code: CoreErrorCode.UNREGISTERED_SLOT_TYPE_REUSED,
          row,
          field: 'ehrSlotTypeId',
          message: `Slot type ${r.ehrSlotTypeId} is the Unregistered Patient Booking type and must not be used for anything else`,
        });
      }
    });
    rejectIfProblems(problems, 'booking features');

    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('appointment_type_mappings').where('practice_id', '=', practice.id).execute();
      if (rows.length > 0) {
        await trx
          .insertInto('appointment_type_mappings')
          .values(
            rows.map((r) => ({
              practice_id: practice.id,
              appointment_type_id: r.appointmentTypeId,
              ehr_slot_type_id: r.ehrSlotTypeId,
            })),
          )
          .execute();
      }
    });
    await recordAudit(this.db, caller, practice.id, 'appointment_type_mappings.replaced', { rows });
    return this.bookingFeatures(practice);
  }

  // Seed 001: active slot types ------------------------------------------------------------

  async activeSlotTypes(practice: Practice): Promise<ActiveSlotTypesView> {
    const [theirs, rows] = await Promise.all([
      catalogue(this.db, practice.id, 'slot_type'),
      this.db
        .selectFrom('active_slot_types')
        .select('ehr_slot_type_id')
        .where('practice_id', '=', practice.id)
        .orderBy('ehr_slot_type_id')
        .execute(),
    ]);
    const ids = rows.map((r) => r.ehr_slot_type_id);
    return {
      ehrSlotTypeIds: ids,
      slotTypes: ids.map((id) => theirs.get(id) ?? { ehrId: id, name: '(unknown)', gone: true }),
    };
  }

  async putActiveSlotTypes(caller: Caller | null, practice: Practice, ehrSlotTypeIds: string[]) {
    const problems: MappingProblem[] = [];
    const theirs = await catalogue(this.db, practice.id, 'slot_type');
    for (const [id, indexes] of duplicates(ehrSlotTypeIds, (id) => id)) {
      for (const row of indexes.slice(1)) {
        problems.push({
          code: CoreErrorCode.MAPPING_DUPLICATE,
          row,
          field: 'ehrSlotTypeIds',
          message: `Slot type ${id} is listed more than once`,
        });
      }
    }
    ehrSlotTypeIds.forEach((id, row) => {
      checkEhrId(problems, theirs, id, row, 'ehrSlotTypeIds', 'EHR slot type');
    });
    rejectIfProblems(problems, 'active slot types');
    const before = (await this.activeSlotTypes(practice)).ehrSlotTypeIds;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('active_slot_types').where('practice_id', '=', practice.id).execute();
      if (ehrSlotTypeIds.length > 0) {
        await trx
          .insertInto('active_slot_types')
          .values(ehrSlotTypeIds.map((id) => ({ practice_id: practice.id, ehr_slot_type_id: id })))
          .execute();
      }
      await refreshOffers(trx, this.offers, practice);
    });
    await recordAudit(this.db, caller, practice.id, 'active_slot_types.replaced', {
      added: ehrSlotTypeIds.filter((id) => !before.includes(id)),
      removed: before.filter((id) => !ehrSlotTypeIds.includes(id)),
    });
    return this.activeSlotTypes(practice);
  }
}
