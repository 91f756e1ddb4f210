/**
 * Frozen: written against Kysely<any> and never importing application code, so it reads the
 * same in a year as today. Change the schema with a new migration, never by editing this one.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const uuid = sql`gen_random_uuid()`;

  await db.schema
    .createTable('partners')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    // null partner: the admin key, which reaches every practice
    .addColumn('partner_id', 'uuid', (c) => c.references('partners.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('practices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ods_code', 'text')
    .addColumn('ehr', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('publishing_horizon_days', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('practices_partner_idx').on('practices').column('partner_id').execute();

  await db.schema
    .createTable('connections')
    .addColumn('practice_id', 'uuid', (c) => c.primaryKey().references('practices.id').onDelete('cascade'))
    .addColumn('settings_ciphertext', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('unchecked'))
    .addColumn('setup_checks', 'jsonb')
    .addColumn('checked_at', 'timestamptz')
    .addColumn('last_sync_at', 'timestamptz')
    .addColumn('last_good_sync_at', 'timestamptz')
    .addColumn('last_sync_error', 'text')
    .addColumn('sync_cursor', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('connections_status_chk', sql`status in ('unchecked', 'healthy', 'failing')`)
    .execute();

  for (const table of ['practitioners', 'locations'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
      .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema.createIndex(`${table}_practice_idx`).on(table).column('practice_id').execute();
  }

  await db.schema
    .createTable('appointment_types')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('duration_minutes', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('appointment_types_duration_chk', sql`duration_minutes > 0`)
    .execute();
  await db.schema
    .createIndex('appointment_types_practice_idx')
    .on('appointment_types')
    .column('practice_id')
    .execute();

  // The EHR-side catalogue, refreshed by the plugin's discover hook.
  await db.schema
    .createTable('ehr_catalogue')
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ehr_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('gone_at', 'timestamptz')
    .addPrimaryKeyConstraint('ehr_catalogue_pk', ['practice_id', 'kind', 'ehr_id'])
    .addCheckConstraint('ehr_catalogue_kind_chk', sql`kind in ('practitioner', 'location', 'slot_type')`)
    .execute();

  // Stage 1 and 2 of seed 000: strictly 1:1; a null EHR id means booking-side only.
  for (const [table, ours, theirs, parent] of [
    ['practitioner_mappings', 'practitioner_id', 'ehr_practitioner_id', 'practitioners'],
    ['location_mappings', 'location_id', 'ehr_location_id', 'locations'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn(ours, 'uuid', (c) => c.primaryKey().references(`${parent}.id`).onDelete('cascade'))
      .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
      .addColumn(theirs, 'text')
      .addUniqueConstraint(`${table}_one_to_one`, ['practice_id', theirs])
      .execute();
  }

  // Stage 3: slot type features. appointment_type_id null = none chosen; disabled = --DISABLED--.
  await db.schema
    .createTable('slot_type_mappings')
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('ehr_slot_type_id', 'text', (c) => c.notNull())
    .addColumn('feature', 'text', (c) => c.notNull())
    .addColumn('appointment_type_id', 'uuid', (c) =>
      c.references('appointment_types.id').onDelete('set null'),
    )
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('slot_type_mappings_pk', ['practice_id', 'ehr_slot_type_id'])
    .addCheckConstraint(
      'slot_type_mappings_feature_chk',
      sql`feature in ('bookable', 'not_bookable', 'unregistered_patient')`,
    )
    .addCheckConstraint(
      'slot_type_mappings_disabled_chk',
      sql`not (disabled and appointment_type_id is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('slot_type_mappings_one_unregistered')
    .on('slot_type_mappings')
    .column('practice_id')
    .unique()
    .where(sql.ref('feature'), '=', 'unregistered_patient')
    .execute();

  // Stage 4: booking features. null EHR slot type = the slot's type is left unchanged.
  await db.schema
    .createTable('appointment_type_mappings')
    .addColumn('appointment_type_id', 'uuid', (c) =>
      c.primaryKey().references('appointment_types.id').onDelete('cascade'),
    )
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('ehr_slot_type_id', 'text')
    .execute();

  // Seed 001: only these slot types are read by the sync.
  await db.schema
    .createTable('active_slot_types')
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('ehr_slot_type_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('active_slot_types_pk', ['practice_id', 'ehr_slot_type_id'])
    .execute();

  await db.schema
    .createTable('slots')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('ehr_slot_id', 'text', (c) => c.notNull())
    .addColumn('ehr_session_id', 'text')
    .addColumn('ehr_practitioner_id', 'text')
    .addColumn('ehr_location_id', 'text')
    .addColumn('ehr_slot_type_id', 'text', (c) => c.notNull())
    .addColumn('start_at', 'timestamptz', (c) => c.notNull())
    .addColumn('end_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ehr_status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('slots_ehr_id_unique', ['practice_id', 'ehr_slot_id'])
    .addCheckConstraint('slots_status_chk', sql`status in ('free', 'booked', 'unavailable')`)
    .execute();
  await db.schema
    .createIndex('slots_practice_start_idx')
    .on('slots')
    .columns(['practice_id', 'start_at'])
    .execute();

  await db.schema
    .createTable('bookings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('slot_id', 'uuid', (c) => c.references('slots.id').onDelete('set null'))
    .addColumn('appointment_type_id', 'uuid', (c) =>
      c.references('appointment_types.id').onDelete('set null'),
    )
    // What the slot was when booked: kept when the slot row later changes or goes.
    .addColumn('ehr_slot_id', 'text', (c) => c.notNull())
    .addColumn('ehr_session_id', 'text')
    .addColumn('ehr_practitioner_id', 'text')
    .addColumn('ehr_location_id', 'text')
    .addColumn('ehr_slot_type_id', 'text', (c) => c.notNull())
    .addColumn('start_at', 'timestamptz', (c) => c.notNull())
    .addColumn('end_at', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('failure_code', 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('ehr_booking_ref', 'text')
    // Patient demographics and the reason for the visit: encrypted, never returned or logged.
    .addColumn('patient_ciphertext', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_fingerprint', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'uuid', (c) => c.references('api_keys.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .addUniqueConstraint('bookings_idempotency_unique', ['practice_id', 'idempotency_key'])
    .addCheckConstraint(
      'bookings_state_chk',
      sql`state in ('pending', 'confirmed', 'failed', 'cancelling', 'cancelled', 'cancelled_in_ehr')`,
    )
    .execute();
  // The last line of defence against a double booking: one live booking per slot.
  await db.schema
    .createIndex('bookings_one_live_per_slot')
    .on('bookings')
    .column('slot_id')
    .unique()
    .where(sql.ref('state'), 'in', sql`('pending', 'confirmed', 'cancelling')`)
    .execute();
  await db.schema
    .createIndex('bookings_practice_start_idx')
    .on('bookings')
    .columns(['practice_id', 'start_at'])
    .execute();

  await db.schema
    .createTable('outbox_commands')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error_code', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('done_at', 'timestamptz')
    .addCheckConstraint('outbox_kind_chk', sql`kind in ('book', 'cancel')`)
    .addCheckConstraint('outbox_state_chk', sql`state in ('pending', 'done', 'failed')`)
    .execute();
  await db.schema.createIndex('outbox_booking_idx').on('outbox_commands').column('booking_id').execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.notNull().references('practices.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('window_from', 'timestamptz', (c) => c.notNull())
    .addColumn('window_to', 'timestamptz', (c) => c.notNull())
    .addColumn('fetched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('inserted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('sync_runs_status_chk', sql`status in ('succeeded', 'failed')`)
    .execute();
  await db.schema
    .createIndex('sync_runs_practice_idx')
    .on('sync_runs')
    .columns(['practice_id', 'started_at'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('practice_id', 'uuid', (c) => c.references('practices.id').onDelete('cascade'))
    .addColumn('api_key_id', 'uuid', (c) => c.references('api_keys.id').onDelete('set null'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('audit_events_practice_idx')
    .on('audit_events')
    .columns(['practice_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'settings',
    'audit_events',
    'sync_runs',
    'outbox_commands',
    'bookings',
    'slots',
    'active_slot_types',
    'appointment_type_mappings',
    'slot_type_mappings',
    'location_mappings',
    'practitioner_mappings',
    'ehr_catalogue',
    'appointment_types',
    'locations',
    'practitioners',
    'connections',
    'practices',
    'api_keys',
    'partners',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
