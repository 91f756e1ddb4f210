/**
 * The booking side's own catalogue: practitioners, locations and appointment types (name and
 * duration), each belonging to one practice. The mapping tables point from these to the EHR's
 * entities. Every change is audited with what changed.
 *
 * Deleting an entry deletes the mapping rows that point from it (the foreign keys cascade), and
 * the audit event names them. Bookings are never deleted: they keep their slot snapshot, and the
 * bookings of a deleted appointment type keep everything but their appointmentTypeId (set null).
 */
import type { Transaction } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import type { Database, Practice } from './db/schema.ts';
import { CoreErrorCode, NotFoundError } from './errors.ts';
import { type OfferDeps, refreshOffers } from './offers/offers.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from './pages.ts';
import { DateTime } from './view-schemas.ts';

export type BookingEntityKind = 'practitioner' | 'location' | 'appointment_type';

const bookingEntityFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
};
const changedAt = {
  createdAt: DateTime('When it was created'),
  updatedAt: DateTime('When it last changed'),
};

/** A practitioner as the API answers it (component `Practitioner`). */
export const PractitionerViewSchema = Type.Object(
  { ...bookingEntityFields, ...changedAt },
  { $id: 'Practitioner', description: 'A practitioner of the booking side (stage 1 maps it to an EHR one)' },
);

/** A location as the API answers it (component `Location`). */
export const LocationViewSchema = Type.Object(
  { ...bookingEntityFields, ...changedAt },
  { $id: 'Location', description: 'A location of the booking side (stage 2 maps it to an EHR site)' },
);

/** An appointment type as the API answers it (component `AppointmentType`). */
export const AppointmentTypeViewSchema = Type.Object(
  {
    ...bookingEntityFields,
    durationMinutes: Type.Integer({ minimum: 1, maximum: 600 }),
    ...changedAt,
  },
  { $id: 'AppointmentType', description: 'An appointment type of the booking side (stages 3 and 4 map it)' },
);

/** A practitioner or a location: the two views are the same shape. */
export type BookingEntityView = Static<typeof PractitionerViewSchema>;
export type AppointmentTypeView = Static<typeof AppointmentTypeViewSchema>;

interface BookingEntityInputs {
  practitioner: { name: string };
  location: { name: string };
  appointment_type: { name: string; durationMinutes: number };
}

export type BookingEntityInput<K extends BookingEntityKind> = BookingEntityInputs[K];
export type BookingEntityChanges<K extends BookingEntityKind> = Partial<BookingEntityInputs[K]>;
export type BookingEntityViewOf<K extends BookingEntityKind> = K extends 'appointment_type'
  ? AppointmentTypeView
  : BookingEntityView;

const ENTITIES = {
  practitioner: {
    table: 'practitioners',
    noun: 'practitioner',
    notFound: CoreErrorCode.PRACTITIONER_NOT_FOUND,
    listRoute: 'practitioners',
  },
  location: {
    table: 'locations',
    noun: 'location',
    notFound: CoreErrorCode.LOCATION_NOT_FOUND,
    listRoute: 'locations',
  },
  appointment_type: {
    table: 'appointment_types',
    noun: 'appointment type',
    notFound: CoreErrorCode.APPOINTMENT_TYPE_NOT_FOUND,
    listRoute: 'appointment-types',
  },
} as const;

interface EntityRow {
  id: string;
  name: string;
  duration_minutes?: number;
  created_at: Date;
  updated_at: Date;
}

function view(row: EntityRow): BookingEntityView | AppointmentTypeView {
  return {
    id: row.id,
    name: row.name,
    ...(row.duration_minutes !== undefined && { durationMinutes: row.duration_minutes }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class BookingCatalogue {
  constructor(
    private readonly db: Db,
    /** Renames and deletes change what is offered (names shown, mappings gone): refresh it. */
    private readonly offers: OfferDeps,
  ) {}

  async create<K extends BookingEntityKind>(
    caller: Caller | null,
    practice: Practice,
    kind: K,
    input: BookingEntityInput<K>,
  ): Promise<BookingEntityViewOf<K>> {
    const { name, durationMinutes } = input as { name: string; durationMinutes?: number };
    return this.db.transaction().execute(async (trx) => {
      const row: EntityRow =
        kind === 'appointment_type'
          ? await trx
              .insertInto('appointment_types')
              .values({ practice_id: practice.id, name, duration_minutes: durationMinutes! })
              .returningAll()
              .executeTakeFirstOrThrow()
          : await trx
              .insertInto(ENTITIES[kind].table)
              .values({ practice_id: practice.id, name })
              .returningAll()
              .executeTakeFirstOrThrow();
      await recordAudit(trx, caller, practice.id, `${kind}.created`, {
        id: row.id,
        name,
        ...(durationMinutes !== undefined && { durationMinutes }),
      });
      return view(row) as BookingEntityViewOf<K>;
    });
  }

  /** The practice's entries of one kind, oldest first. */
  async list<K extends BookingEntityKind>(practice: Practice, kind: K): Promise<BookingEntityViewOf<K>[]> {
    const rows: EntityRow[] = await this.db
      .selectFrom(ENTITIES[kind].table)
      .selectAll()
      .where('practice_id', '=', practice.id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => view(row) as BookingEntityViewOf<K>);
  }

  /** The practice's entries of one kind, oldest first, in pages (keyset on created_at, id). */
  async listPage<K extends BookingEntityKind>(
    practice: Practice,
    kind: K,
    page: PageRequest,
  ): Promise<Page<BookingEntityViewOf<K>>> {
    const order: readonly CursorPart[] = ['instant', 'uuid'];
    const list = ENTITIES[kind].table;
    const after = page.cursor === undefined ? null : decodeCursor(list, page.cursor, order);
    let query = this.db
      .selectFrom(ENTITIES[kind].table)
      .selectAll()
      .select(exactInstant('created_at').as('cursor_created'))
      .where('practice_id', '=', practice.id);
    if (after) query = query.where(afterKey(['created_at', 'id'], order, after));
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, list, (r) => [r.cursor_created, r.id]);
    return {
      items: items.map(({ cursor_created: _, ...row }) => view(row as EntityRow) as BookingEntityViewOf<K>),
      next,
    };
  }

  /** One entry of the practice; an id of another practice is not found, like an unknown one. */
  async get<K extends BookingEntityKind>(
    practice: Practice,
    kind: K,
    id: string,
  ): Promise<BookingEntityViewOf<K>> {
    return view(await this.row(this.db, practice, kind, id)) as BookingEntityViewOf<K>;
  }

  /** Changes the fields given; the audit event holds each change as { from, to }. */
  async update<K extends BookingEntityKind>(
    caller: Caller | null,
    practice: Practice,
    kind: K,
    id: string,
    changes: BookingEntityChanges<K>,
  ): Promise<BookingEntityViewOf<K>> {
    const { name, durationMinutes } = changes as { name?: string; durationMinutes?: number };
    return this.db.transaction().execute(async (trx) => {
      const before = await this.row(trx, practice, kind, id, { lock: true });
      const changed: Record<string, { from: unknown; to: unknown }> = {};
      if (name !== undefined && name !== before.name) changed.name = { from: before.name, to: name };
      if (durationMinutes !== undefined && durationMinutes !== before.duration_minutes) {
        changed.durationMinutes = { from: before.duration_minutes, to: durationMinutes };
      }
      if (Object.keys(changed).length === 0) return view(before) as BookingEntityViewOf<K>;
      const set = { ...(changed.name && { name }), updated_at: new Date() };
      const after: EntityRow =
        kind === 'appointment_type'
          ? await trx
              .updateTable('appointment_types')
              .set({ ...set, ...(changed.durationMinutes && { duration_minutes: durationMinutes }) })
              .where('id', '=', id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await trx
              .updateTable(ENTITIES[kind].table)
              .set(set)
              .where('id', '=', id)
              .returningAll()
              .executeTakeFirstOrThrow();
      if (changed.name) await refreshOffers(trx, this.offers, practice);
      await recordAudit(trx, caller, practice.id, `${kind}.updated`, { id, changed });
      return view(after) as BookingEntityViewOf<K>;
    });
  }

  /** Deletes the entry and, through the foreign keys, the mapping rows pointing from it. */
  async delete(
    caller: Caller | null,
    practice: Practice,
    kind: BookingEntityKind,
    id: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(trx, practice, kind, id, { lock: true });
      const goesWithIt = await this.dependants(trx, kind, id);
      await trx.deleteFrom(ENTITIES[kind].table).where('id', '=', id).execute();
      await refreshOffers(trx, this.offers, practice);
      await recordAudit(trx, caller, practice.id, `${kind}.deleted`, {
        id,
        name: row.name,
        ...(row.duration_minutes !== undefined && { durationMinutes: row.duration_minutes }),
        ...goesWithIt,
      });
    });
  }

  /** For set-up code and tests: creates a practitioner and returns its id (audited without a key). */
  async addPractitioner(practice: Practice, name: string): Promise<string> {
    return (await this.create(null, practice, 'practitioner', { name })).id;
  }

  /** For set-up code and tests: creates a location and returns its id (audited without a key). */
  async addLocation(practice: Practice, name: string): Promise<string> {
    return (await this.create(null, practice, 'location', { name })).id;
  }

  /** For set-up code and tests: creates an appointment type and returns its id (audited without a key). */
  async addAppointmentType(practice: Practice, name: string, durationMinutes: number): Promise<string> {
    return (await this.create(null, practice, 'appointment_type', { name, durationMinutes })).id;
  }

  private async row(
    db: Db | Transaction<Database>,
    practice: Practice,
    kind: BookingEntityKind,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<EntityRow> {
    const { table, noun, notFound, listRoute } = ENTITIES[kind];
    let query = db.selectFrom(table).selectAll().where('id', '=', id).where('practice_id', '=', practice.id);
    if (options.lock) query = query.forUpdate();
    const row: EntityRow | undefined = await query.executeTakeFirst();
    if (!row) {
      throw new NotFoundError(notFound, `No ${noun} ${id} at this practice`, {
        fix: `Check the id; GET /v1/practices/{practiceId}/${listRoute} lists this practice's ${noun}s.`,
      });
    }
    return row;
  }

  /**
   * What deleting an entry takes with it, read before the delete so the audit event can say:
   * the mapping row of a practitioner or location; for an appointment type its booking feature,
   * the slot type features that offered it (left without an appointment type) and how many
   * bookings lose their appointmentTypeId.
   */
  private async dependants(
    trx: Transaction<Database>,
    kind: BookingEntityKind,
    id: string,
  ): Promise<Record<string, unknown>> {
    if (kind === 'practitioner') {
      const mapping = await trx
        .selectFrom('practitioner_mappings')
        .select('ehr_practitioner_id')
        .where('practitioner_id', '=', id)
        .executeTakeFirst();
      return { mappingRemoved: mapping ? { ehrPractitionerId: mapping.ehr_practitioner_id } : null };
    }
    if (kind === 'location') {
      const mapping = await trx
        .selectFrom('location_mappings')
        .select('ehr_location_id')
        .where('location_id', '=', id)
        .executeTakeFirst();
      return { mappingRemoved: mapping ? { ehrLocationId: mapping.ehr_location_id } : null };
    }
    const bookingFeature = await trx
      .selectFrom('appointment_type_mappings')
      .select('ehr_slot_type_id')
      .where('appointment_type_id', '=', id)
      .executeTakeFirst();
    const slotTypeFeatures = await trx
      .selectFrom('slot_type_mappings')
      .select('ehr_slot_type_id')
      .where('appointment_type_id', '=', id)
      .orderBy('ehr_slot_type_id')
      .execute();
    const bookings = await trx
      .selectFrom('bookings')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('appointment_type_id', '=', id)
      .executeTakeFirstOrThrow();
    return {
      bookingFeatureRemoved: bookingFeature ? { ehrSlotTypeId: bookingFeature.ehr_slot_type_id } : null,
      slotTypeFeaturesCleared: slotTypeFeatures.map((r) => r.ehr_slot_type_id),
      bookingsDetached: Number(bookings.count),
    };
  }
}
