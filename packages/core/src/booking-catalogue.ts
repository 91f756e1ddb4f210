/**
 * The booking side's own catalogue: practitioners, locations and appointment types (name and
 * duration). The mapping tables point from these to the EHR's entities.
 */
import type { Db } from './db/database.ts';
import type { Practice } from './db/schema.ts';

export class BookingCatalogue {
  constructor(private readonly db: Db) {}

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
}
