/** Table types of migration 0008-publishing (kept here, beside the only code that reads them). */
import type { ColumnType, JSONColumnType, Kysely } from 'kysely';
import type { Static } from 'typebox';
import type { Database } from '../db/schema.ts';
import type { PublishedAddressSchema, PublishedServiceTypeSchema } from './settings.ts';

/** A postal address as the practice gives it (FHIR Address: lines, city, district, postcode, country). */
export type PublishedAddress = Static<typeof PublishedAddressSchema>;

/** A coding of the service a practice's Schedules offer (FHIR Coding). */
export type PublishedServiceType = Static<typeof PublishedServiceTypeSchema>;

export interface PracticePublishingTable {
  practice_id: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  booking_link_template: string | null;
  booking_phone: string | null;
  phone: string | null;
  website: string | null;
  address: JSONColumnType<PublishedAddress | null, string | null, string | null>;
  service_type: JSONColumnType<PublishedServiceType | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** The resource types of a feed, each a file per partner (Location, Schedule) or per practice (Slot). */
export type PublishedKind = 'Location' | 'Schedule' | 'Slot';

export interface PublishedFilesTable {
  practice_id: string;
  kind: PublishedKind;
  /** A hash of the practice's resources of this kind as last served. */
  hash: string;
  /** When that hash last changed: what `_since` compares. */
  changed_at: Date;
}

export type PublishingTables = {
  practice_publishing: PracticePublishingTable;
  published_files: PublishedFilesTable;
};

export type PublishingDb = Kysely<Database & PublishingTables>;

export function publishingDb(db: Kysely<Database>): PublishingDb {
  return db.withTables<PublishingTables>() as PublishingDb;
}
