/**
 * The four mapping tables of seed 000 (practitioners, locations, slot type features, booking
 * features) and the active slot types of seed 001.
 */
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import type { Practice, SlotFeature } from './db/schema.ts';

export interface SlotTypeFeatureRow {
  ehrSlotTypeId: string;
  feature: SlotFeature;
  appointmentTypeId: string | null | 'disabled';
}

export class Mappings {
  constructor(private readonly db: Db) {}

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
