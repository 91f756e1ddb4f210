/** Table types for Kysely. Keep in step with migrations/. */
import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface PartnersTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  partner_id: string | null;
  label: string;
  key_prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** A rotated key works until then (its grace period), then stops; null: no end. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The key rotation issued in its place. */
  replaced_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** A practice key: the one practice it reaches (its partner_id is that practice's partner); null otherwise. */
  practice_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PracticesTable {
  id: Generated<string>;
  partner_id: string;
  name: string;
  ods_code: string | null;
  ehr: string;
  time_zone: string;
  publishing_horizon_days: number | null;
  /** The practice's own EHR call budget, below the plugin's; null: the plugin's. */
  ehr_calls_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type ConnectionStatus = 'unchecked' | 'healthy' | 'degraded' | 'failing';

export interface ConnectionsTable {
  practice_id: string;
  settings_ciphertext: string;
  status: ColumnType<ConnectionStatus, ConnectionStatus | undefined, ConnectionStatus>;
  setup_checks: JSONColumnType<unknown[] | null, string | null, string | null>;
  checked_at: NullableTimestamp;
  last_sync_at: NullableTimestamp;
  last_good_sync_at: NullableTimestamp;
  last_sync_error: string | null;
  /** Failed reads in a row since the last good one. */
  sync_failures: ColumnType<number, number | undefined, number>;
  /** What the practice should do about the last failed read (the plugin's fix). */
  last_sync_fix: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface NamedEntityTable {
  id: Generated<string>;
  practice_id: string;
  name: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AppointmentTypesTable extends NamedEntityTable {
  duration_minutes: number;
}

export type CatalogueKind = 'practitioner' | 'location' | 'slot_type';

export interface EhrCatalogueTable {
  practice_id: string;
  kind: CatalogueKind;
  ehr_id: string;
  name: string;
  attributes: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  first_seen_at: CreatedAt;
  last_seen_at: Timestamp;
  gone_at: NullableTimestamp;
}

export interface PractitionerMappingsTable {
  practitioner_id: string;
  practice_id: string;
  ehr_practitioner_id: string | null;
}

export interface LocationMappingsTable {
  location_id: string;
  practice_id: string;
  ehr_location_id: string | null;
}

export type SlotFeature = 'bookable' | 'not_bookable' | 'unregistered_patient';

export interface SlotTypeMappingsTable {
  practice_id: string;
  ehr_slot_type_id: string;
  feature: SlotFeature;
  appointment_type_id: string | null;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface AppointmentTypeMappingsTable {
  appointment_type_id: string;
  practice_id: string;
  ehr_slot_type_id: string | null;
}

export interface ActiveSlotTypesTable {
  practice_id: string;
  ehr_slot_type_id: string;
}

export type StoredSlotStatus = 'free' | 'booked' | 'unavailable';

export interface SlotsTable {
  id: Generated<string>;
  practice_id: string;
  ehr_slot_id: string;
  ehr_session_id: string | null;
  ehr_practitioner_id: string | null;
  ehr_location_id: string | null;
  ehr_slot_type_id: string;
  start_at: Timestamp;
  end_at: Timestamp;
  status: StoredSlotStatus;
  ehr_status: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
  // What the offer rules decided when a sync or a mapping last changed (offers/offers.ts).
  /** mapSlotType's feature; null until first evaluated. */
  offer_feature: ColumnType<
    SlotOfferFeature | null,
    SlotOfferFeature | null | undefined,
    SlotOfferFeature | null
  >;
  offer_appointment_type_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The mapping says --DISABLED--: hidden from our diary. */
  offer_disabled: ColumnType<boolean, boolean | undefined, boolean>;
  /** Every rule decided on change passes. */
  offered: ColumnType<boolean, boolean | undefined, boolean>;
  /** The first rule decided on change that fails; null when offered or not yet evaluated. */
  offer_refused_by: ColumnType<string | null, string | null | undefined, string | null>;
  offer_appointment_type_name: ColumnType<string | null, string | null | undefined, string | null>;
  offer_practitioner_id: ColumnType<string | null, string | null | undefined, string | null>;
  offer_practitioner_name: ColumnType<string | null, string | null | undefined, string | null>;
  offer_location_id: ColumnType<string | null, string | null | undefined, string | null>;
  offer_location_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** The slot as GET …/slots answers it (JSON, practice's time zone); null when not offered. */
  offer_json: ColumnType<string | null, string | null | undefined, string | null>;
}

export type SlotOfferFeature = SlotFeature | 'unmapped';

export type BookingState =
  | 'pending'
  | 'confirmed'
  | 'needs_reconciliation'
  | 'failed'
  | 'cancelling'
  | 'cancelled'
  | 'cancelled_in_ehr';

export interface BookingsTable {
  id: Generated<string>;
  practice_id: string;
  slot_id: string | null;
  appointment_type_id: string | null;
  ehr_slot_id: string;
  ehr_session_id: string | null;
  ehr_practitioner_id: string | null;
  ehr_location_id: string | null;
  ehr_slot_type_id: string;
  start_at: Timestamp;
  end_at: Timestamp;
  state: BookingState;
  failure_code: string | null;
  failure_reason: string | null;
  ehr_booking_ref: string | null;
  patient_ciphertext: string;
  idempotency_key: string;
  request_fingerprint: string;
  api_key_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  confirmed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  /** Reschedule: the booking this one replaces (released once this one is written). */
  replaces_booking_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Goes up by one with every change of the row (a trigger): the booking's ETag. */
  version: ColumnType<number, never, never>;
}

export type OutboxKind = 'book' | 'cancel';
export type OutboxState = 'pending' | 'done' | 'failed';

export interface OutboxCommandsTable {
  id: Generated<string>;
  practice_id: string;
  booking_id: string;
  kind: OutboxKind;
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error_code: string | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  done_at: NullableTimestamp;
  /** Not claimed before this (retry back-off). */
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** A worker holds the command until then; past it, the command may be claimed again. */
  lease_until: NullableTimestamp;
  lease_owner: ColumnType<string | null, string | null | undefined, string | null>;
}

/** manual and startup read the whole horizon; the scheduler reads near, far, or a refreshed day. */
export type SyncTrigger = 'manual' | 'startup' | 'near' | 'far' | 'refresh';

export interface SyncRunsTable {
  id: Generated<string>;
  practice_id: string;
  trigger: SyncTrigger;
  status: 'succeeded' | 'failed';
  window_from: Date;
  window_to: Date;
  fetched: number;
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  bookings_changed: ColumnType<number, number | undefined, number>;
  error_code: string | null;
  error_message: string | null;
  started_at: Date;
  finished_at: Date;
}

export interface AuditEventsTable {
  id: Generated<string>;
  practice_id: string | null;
  api_key_id: string | null;
  action: string;
  details: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
}

export interface SyncWorkersTable {
  id: string;
  started_at: CreatedAt;
  heartbeat_at: Timestamp;
  /** practiceId → [nearCheckedMs, farCheckedMs, nextDueMs, callsLastMinute, budgetPerMinute]. */
  practices: JSONColumnType<Record<string, PublishedPracticeState>, string | undefined, string>;
}

/** What a scheduler publishes of one practice it owns (epoch milliseconds; 0 = never). */
export type PublishedPracticeState = [number, number, number, number, number];

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
}

export interface Database {
  partners: PartnersTable;
  api_keys: ApiKeysTable;
  practices: PracticesTable;
  connections: ConnectionsTable;
  practitioners: NamedEntityTable;
  locations: NamedEntityTable;
  appointment_types: AppointmentTypesTable;
  ehr_catalogue: EhrCatalogueTable;
  practitioner_mappings: PractitionerMappingsTable;
  location_mappings: LocationMappingsTable;
  slot_type_mappings: SlotTypeMappingsTable;
  appointment_type_mappings: AppointmentTypeMappingsTable;
  active_slot_types: ActiveSlotTypesTable;
  slots: SlotsTable;
  bookings: BookingsTable;
  outbox_commands: OutboxCommandsTable;
  sync_runs: SyncRunsTable;
  audit_events: AuditEventsTable;
  sync_workers: SyncWorkersTable;
  settings: SettingsTable;
}

export type Practice = Selectable<PracticesTable>;
export type NewPractice = Insertable<PracticesTable>;
export type PracticeUpdate = Updateable<PracticesTable>;
export type Slot = Selectable<SlotsTable>;
export type Booking = Selectable<BookingsTable>;
export type SyncRun = Selectable<SyncRunsTable>;
export type Connection = Selectable<ConnectionsTable>;
