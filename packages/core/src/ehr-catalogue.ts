/**
 * The EHR side's catalogue, refreshed through the plugin's discover hook: session holders /
 * clinicians, sites, slot types. Entities that vanish from the EHR are marked gone, not deleted,
 * and the mapping rows that still point at them are reported, never silently dropped: the
 * practice decides what to map instead.
 */
import type { Transaction } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Connections } from './connections.ts';
import type { Db } from './db/database.ts';
import type { CatalogueKind, Database, Practice } from './db/schema.ts';
import type { EhrCatalogue } from './ehr-plugin.ts';
import type { EhrRegistry } from './ehr-registry.ts';
import { afterKey, type CursorPart, decodeCursor, type Page, type PageRequest, pageFrom } from './pages.ts';
import { DateTime, FreeObject, NullableDateTime, RefTo } from './view-schemas.ts';

/** A practitioner, site or slot type as the EHR lists it (component `EhrCatalogueEntry`). */
export const EhrCatalogueEntryViewSchema = Type.Object(
  {
    ehrId: Type.String({ description: "The EHR's id: the value the mapping tables take" }),
    name: Type.String(),
    attributes: FreeObject('Plugin-specific facts, e.g. EMIS "bookable"'),
    gone: Type.Boolean({ description: 'The EHR no longer lists it' }),
    firstSeenAt: DateTime('The first discovery that listed it'),
    lastSeenAt: DateTime('The last discovery that listed it'),
    goneAt: NullableDateTime('The first discovery that missed it; null while listed'),
  },
  { $id: 'EhrCatalogueEntry', description: 'A practitioner, site or slot type as the EHR lists it' },
);
export type EhrCatalogueEntryView = Static<typeof EhrCatalogueEntryViewSchema>;

const CatalogueKindSchema = Type.Union([
  Type.Literal('practitioner'),
  Type.Literal('location'),
  Type.Literal('slot_type'),
]);

const GoneEhrEntitySchema = Type.Object({
  kind: CatalogueKindSchema,
  ehrId: Type.String(),
  name: Type.String(),
  goneAt: DateTime('The first discovery that missed it'),
});
export type GoneEhrEntity = Static<typeof GoneEhrEntitySchema>;

/** A mapping row whose EHR id is an entity the EHR no longer lists (component `MappingPointingAtGone`). */
export const MappingPointingAtGoneSchema = Type.Union(
  [
    Type.Object({
      table: Type.Literal('practitioner_mappings'),
      row: Type.Object({
        practitionerId: Type.String({ format: 'uuid' }),
        practitionerName: Type.String(),
        ehrPractitionerId: Type.String(),
      }),
    }),
    Type.Object({
      table: Type.Literal('location_mappings'),
      row: Type.Object({
        locationId: Type.String({ format: 'uuid' }),
        locationName: Type.String(),
        ehrLocationId: Type.String(),
      }),
    }),
    Type.Object({
      table: Type.Literal('slot_type_mappings'),
      row: Type.Object({
        ehrSlotTypeId: Type.String(),
        feature: Type.Union([
          Type.Literal('bookable'),
          Type.Literal('not_bookable'),
          Type.Literal('unregistered_patient'),
        ]),
        appointmentTypeId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
        disabled: Type.Boolean(),
      }),
    }),
    Type.Object({
      table: Type.Literal('appointment_type_mappings'),
      row: Type.Object({
        appointmentTypeId: Type.String({ format: 'uuid' }),
        appointmentTypeName: Type.String(),
        ehrSlotTypeId: Type.String(),
      }),
    }),
    Type.Object({
      table: Type.Literal('active_slot_types'),
      row: Type.Object({ ehrSlotTypeId: Type.String() }),
    }),
  ],
  {
    $id: 'MappingPointingAtGone',
    description: 'A mapping row whose EHR id is an entity the EHR no longer lists; it is kept until changed',
  },
);
export type MappingPointingAtGone = Static<typeof MappingPointingAtGoneSchema>;

/** What a discovery found, as the API answers it (component `Discovery`). */
export const DiscoverySchema = Type.Object(
  {
    practitioners: Type.Integer({ description: 'How many practitioners the EHR lists now' }),
    locations: Type.Integer({ description: 'How many sites the EHR lists now' }),
    slotTypes: Type.Integer({ description: 'How many slot types the EHR lists now' }),
    gone: Type.Array(GoneEhrEntitySchema, {
      description: 'Every entity the EHR no longer lists (missed now or earlier, and not back since)',
    }),
    mappingsPointingAtGone: Type.Array(RefTo(MappingPointingAtGoneSchema), {
      description: 'Mapping rows to change: they point at gone entities',
    }),
  },
  { $id: 'Discovery', description: 'What a discovery of the EHR catalogue found' },
);
export type DiscoverySummary = Static<typeof DiscoverySchema>;

type Executor = Db | Transaction<Database>;

export class EhrCatalogueStore {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
  ) {}

  /**
   * Reads the EHR catalogue through the discover hook and stores it: entities listed again are
   * no longer gone, entities no longer listed are marked gone. An EHR failure (EhrError) is
   * thrown as it is and nothing is changed.
   */
  async discover(caller: Caller | null, practice: Practice): Promise<DiscoverySummary> {
    const ctx = await this.connections.context(practice);
    const catalogue = await this.ehr.discover(practice.ehr, ctx);
    const now = new Date();
    const groups: [CatalogueKind, EhrCatalogue[keyof EhrCatalogue]][] = [
      ['practitioner', catalogue.practitioners],
      ['location', catalogue.locations],
      ['slot_type', catalogue.slotTypes],
    ];
    const summary = await this.db.transaction().execute(async (trx) => {
      const newlyGone: { kind: CatalogueKind; ehrId: string; name: string }[] = [];
      for (const [kind, entries] of groups) {
        for (const entry of entries) {
          const values = {
            name: entry.name,
            attributes: JSON.stringify(entry.attributes ?? {}),
            last_seen_at: now,
          };
          await trx
            .insertInto('ehr_catalogue')
            .values({ practice_id: practice.id, kind, ehr_id: entry.ehrId, first_seen_at: now, ...values })
            .onConflict((oc) =>
              oc.columns(['practice_id', 'kind', 'ehr_id']).doUpdateSet({ ...values, gone_at: null }),
            )
            .execute();
        }
        let missed = trx
          .updateTable('ehr_catalogue')
          .set({ gone_at: now })
          .where('practice_id', '=', practice.id)
          .where('kind', '=', kind)
          .where('gone_at', 'is', null);
        if (entries.length > 0)
          missed = missed.where(
            'ehr_id',
            'not in',
            entries.map((e) => e.ehrId),
          );
        const rows = await missed.returning(['ehr_id', 'name']).execute();
        newlyGone.push(...rows.map((r) => ({ kind, ehrId: r.ehr_id, name: r.name })));
      }
      const result: DiscoverySummary = {
        practitioners: distinctCount(catalogue.practitioners),
        locations: distinctCount(catalogue.locations),
        slotTypes: distinctCount(catalogue.slotTypes),
        gone: await this.gone(trx, practice.id),
        mappingsPointingAtGone: await this.mappingsPointingAtGone(practice, trx),
      };
      await recordAudit(trx, caller, practice.id, 'catalogue.discovered', {
        practitioners: result.practitioners,
        locations: result.locations,
        slotTypes: result.slotTypes,
        newlyGone,
        mappingsPointingAtGone: result.mappingsPointingAtGone.length,
      });
      return result;
    });
    return summary;
  }

  /** The stored catalogue of one kind, by name; gone entities only when asked for. */
  async list(
    practice: Practice,
    kind: CatalogueKind,
    options: { includeGone?: boolean } = {},
  ): Promise<EhrCatalogueEntryView[]> {
    let query = this.db
      .selectFrom('ehr_catalogue')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('kind', '=', kind)
      .orderBy('name')
      .orderBy('ehr_id');
    if (!options.includeGone) query = query.where('gone_at', 'is', null);
    const rows = await query.execute();
    return rows.map((row) => ({
      ehrId: row.ehr_id,
      name: row.name,
      attributes: row.attributes,
      gone: row.gone_at !== null,
      firstSeenAt: row.first_seen_at.toISOString(),
      lastSeenAt: row.last_seen_at.toISOString(),
      goneAt: row.gone_at?.toISOString() ?? null,
    }));
  }

  /** The stored catalogue of one kind, by name then EHR id, in pages; gone entities only when asked for. */
  async listPage(
    practice: Practice,
    kind: CatalogueKind,
    options: { includeGone?: boolean },
    page: PageRequest,
  ): Promise<Page<EhrCatalogueEntryView>> {
    const order: readonly CursorPart[] = ['text', 'text'];
    const list = `ehr-${kind}`;
    const after = page.cursor === undefined ? null : decodeCursor(list, page.cursor, order);
    let query = this.db
      .selectFrom('ehr_catalogue')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('kind', '=', kind);
    if (!options.includeGone) query = query.where('gone_at', 'is', null);
    if (after) query = query.where(afterKey(['name', 'ehr_id'], order, after));
    const rows = await query
      .orderBy('name')
      .orderBy('ehr_id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, list, (r) => [r.name, r.ehr_id]);
    return {
      items: items.map((row) => ({
        ehrId: row.ehr_id,
        name: row.name,
        attributes: row.attributes,
        gone: row.gone_at !== null,
        firstSeenAt: row.first_seen_at.toISOString(),
        lastSeenAt: row.last_seen_at.toISOString(),
        goneAt: row.gone_at?.toISOString() ?? null,
      })),
      next,
    };
  }

  /** The mapping rows (all four tables and the active slot types) that point at gone entities. */
  async mappingsPointingAtGone(practice: Practice, db: Executor = this.db): Promise<MappingPointingAtGone[]> {
    const goneOf = (kind: CatalogueKind) =>
      db
        .selectFrom('ehr_catalogue')
        .select('ehr_id')
        .where('practice_id', '=', practice.id)
        .where('kind', '=', kind)
        .where('gone_at', 'is not', null);

    const practitioners = await db
      .selectFrom('practitioner_mappings as m')
      .innerJoin('practitioners as p', 'p.id', 'm.practitioner_id')
      .select(['m.practitioner_id', 'p.name', 'm.ehr_practitioner_id'])
      .where('m.practice_id', '=', practice.id)
      .where('m.ehr_practitioner_id', 'in', goneOf('practitioner'))
      .orderBy('p.name')
      .execute();
    const locations = await db
      .selectFrom('location_mappings as m')
      .innerJoin('locations as l', 'l.id', 'm.location_id')
      .select(['m.location_id', 'l.name', 'm.ehr_location_id'])
      .where('m.practice_id', '=', practice.id)
      .where('m.ehr_location_id', 'in', goneOf('location'))
      .orderBy('l.name')
      .execute();
    const slotTypeFeatures = await db
      .selectFrom('slot_type_mappings')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('ehr_slot_type_id', 'in', goneOf('slot_type'))
      .orderBy('ehr_slot_type_id')
      .execute();
    const bookingFeatures = await db
      .selectFrom('appointment_type_mappings as m')
      .innerJoin('appointment_types as t', 't.id', 'm.appointment_type_id')
      .select(['m.appointment_type_id', 't.name', 'm.ehr_slot_type_id'])
      .where('m.practice_id', '=', practice.id)
      .where('m.ehr_slot_type_id', 'in', goneOf('slot_type'))
      .orderBy('t.name')
      .execute();
    const active = await db
      .selectFrom('active_slot_types')
      .select('ehr_slot_type_id')
      .where('practice_id', '=', practice.id)
      .where('ehr_slot_type_id', 'in', goneOf('slot_type'))
      .orderBy('ehr_slot_type_id')
      .execute();

    return [
      ...practitioners.map((r) => ({
        table: 'practitioner_mappings' as const,
        row: {
          practitionerId: r.practitioner_id,
          practitionerName: r.name,
          ehrPractitionerId: r.ehr_practitioner_id!,
        },
      })),
      ...locations.map((r) => ({
        table: 'location_mappings' as const,
        row: { locationId: r.location_id, locationName: r.name, ehrLocationId: r.ehr_location_id! },
      })),
      ...slotTypeFeatures.map((r) => ({
        table: 'slot_type_mappings' as const,
        row: {
          ehrSlotTypeId: r.ehr_slot_type_id,
          feature: r.feature,
          appointmentTypeId: r.appointment_type_id,
          disabled: r.disabled,
        },
      })),
      ...bookingFeatures.map((r) => ({
        table: 'appointment_type_mappings' as const,
        row: {
          appointmentTypeId: r.appointment_type_id,
          appointmentTypeName: r.name,
          ehrSlotTypeId: r.ehr_slot_type_id!,
        },
      })),
      ...active.map((r) => ({
        table: 'active_slot_types' as const,
        row: { ehrSlotTypeId: r.ehr_slot_type_id },
      })),
    ];
  }

  private async gone(db: Executor, practiceId: string): Promise<GoneEhrEntity[]> {
    const rows = await db
      .selectFrom('ehr_catalogue')
      .select(['kind', 'ehr_id', 'name', 'gone_at'])
      .where('practice_id', '=', practiceId)
      .where('gone_at', 'is not', null)
      .orderBy('kind')
      .orderBy('name')
      .orderBy('ehr_id')
      .execute();
    return rows.map((r) => ({
      kind: r.kind,
      ehrId: r.ehr_id,
      name: r.name,
      goneAt: r.gone_at!.toISOString(),
    }));
  }
}

function distinctCount(entries: { ehrId: string }[]): number {
  return new Set(entries.map((e) => e.ehrId)).size;
}
