/**
 * The practice's set-up tables of seed 000/001: the booking-side catalogue, the EHR catalogue
 * (refreshed by the plugin's discover hook), the four mapping tables and the active slot types.
 * The demo and the tests set practices up through here; the REST endpoints for each table come
 * with issue #3 and will call these same functions.
 */

import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Connections } from './connections.ts';
import type { Db } from './db/database.ts';
import type { CatalogueKind, Practice, SlotFeature } from './db/schema.ts';
import type { EhrCatalogue } from './ehr-plugin.ts';
import type { EhrRegistry } from './ehr-registry.ts';

export interface SlotTypeFeatureRow {
  ehrSlotTypeId: string;
  feature: SlotFeature;
  appointmentTypeId: string | null | 'disabled';
}

export class PracticeSetup {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
  ) {}

  async addPractitioner(practice: Practice, name: string): Promise<string> {
    const row = await this.db
      .insertInto('practitioners')
      .values({ practice_id: practice.id, name })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async addLocation(practice: Practice, name: string): Promise<string> {
    const row = await this.db
      .insertInto('locations')
      .values({ practice_id: practice.id, name })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async addAppointmentType(practice: Practice, name: string, durationMinutes: number): Promise<string> {
    const row = await this.db
      .insertInto('appointment_types')
      .values({ practice_id: practice.id, name, duration_minutes: durationMinutes })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Reads the EHR catalogue through the discover hook; entities no longer there are marked gone. */
  async discover(caller: Caller | null, practice: Practice): Promise<EhrCatalogue> {
    const ctx = await this.connections.context(practice);
    const catalogue = await this.ehr.discover(practice.ehr, ctx);
    const now = new Date();
    const groups: [CatalogueKind, EhrCatalogue[keyof EhrCatalogue]][] = [
      ['practitioner', catalogue.practitioners],
      ['location', catalogue.locations],
      ['slot_type', catalogue.slotTypes],
    ];
    await this.db.transaction().execute(async (trx) => {
      for (const [kind, entries] of groups) {
        for (const entry of entries) {
          const values = {
            name: entry.name,
            attributes: JSON.stringify(entry.attributes ?? {}),
            last_seen_at: now,
          };
          await trx
            .insertInto('ehr_catalogue')
            .values({ practice_id: practice.id, kind, ehr_id: entry.ehrId, ...values })
            .onConflict((oc) =>
              oc.columns(['practice_id', 'kind', 'ehr_id']).doUpdateSet({ ...values, gone_at: null }),
            )
            .execute();
        }
        let gone = trx
          .updateTable('ehr_catalogue')
          .set({ gone_at: now })
          .where('practice_id', '=', practice.id)
          .where('kind', '=', kind)
          .where('gone_at', 'is', null);
        if (entries.length > 0)
          gone = gone.where(
            'ehr_id',
            'not in',
            entries.map((e) => e.ehrId),
          );
        await gone.execute();
      }
    });
    await recordAudit(this.db, caller, practice.id, 'catalogue.discovered', {
      practitioners: catalogue.practitioners.length,
      locations: catalogue.locations.length,
      slotTypes: catalogue.slotTypes.length,
    });
    return catalogue;
  }

  async mapPractitioner(
    practice: Practice,
    practitionerId: string,
    ehrPractitionerId: string | null,
  ): Promise<void> {
    await this.db
      .insertInto('practitioner_mappings')
      .values({
        practice_id: practice.id,
        practitioner_id: practitionerId,
        ehr_practitioner_id: ehrPractitionerId,
      })
      .onConflict((oc) =>
        oc.column('practitioner_id').doUpdateSet({ ehr_practitioner_id: ehrPractitionerId }),
      )
      .execute();
  }

  async mapLocation(practice: Practice, locationId: string, ehrLocationId: string | null): Promise<void> {
    await this.db
      .insertInto('location_mappings')
      .values({ practice_id: practice.id, location_id: locationId, ehr_location_id: ehrLocationId })
      .onConflict((oc) => oc.column('location_id').doUpdateSet({ ehr_location_id: ehrLocationId }))
      .execute();
  }

  async setSlotTypeFeature(practice: Practice, row: SlotTypeFeatureRow): Promise<void> {
    const values = {
      feature: row.feature,
      appointment_type_id: row.appointmentTypeId === 'disabled' ? null : row.appointmentTypeId,
      disabled: row.appointmentTypeId === 'disabled',
    };
    await this.db
      .insertInto('slot_type_mappings')
      .values({ practice_id: practice.id, ehr_slot_type_id: row.ehrSlotTypeId, ...values })
      .onConflict((oc) => oc.columns(['practice_id', 'ehr_slot_type_id']).doUpdateSet(values))
      .execute();
  }

  async setBookingFeature(
    practice: Practice,
    appointmentTypeId: string,
    ehrSlotTypeId: string | null,
  ): Promise<void> {
    await this.db
      .insertInto('appointment_type_mappings')
      .values({
        practice_id: practice.id,
        appointment_type_id: appointmentTypeId,
        ehr_slot_type_id: ehrSlotTypeId,
      })
      .onConflict((oc) => oc.column('appointment_type_id').doUpdateSet({ ehr_slot_type_id: ehrSlotTypeId }))
      .execute();
  }

  async setActiveSlotTypes(
    caller: Caller | null,
    practice: Practice,
    ehrSlotTypeIds: string[],
  ): Promise<void> {
    const unique = [...new Set(ehrSlotTypeIds)];
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('active_slot_types').where('practice_id', '=', practice.id).execute();
      if (unique.length > 0) {
        await trx
          .insertInto('active_slot_types')
          .values(unique.map((id) => ({ practice_id: practice.id, ehr_slot_type_id: id })))
          .execute();
      }
    });
    await recordAudit(this.db, caller, practice.id, 'active_slot_types.replaced', { ehrSlotTypeIds: unique });
  }
}
