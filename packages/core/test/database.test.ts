import { sql } from 'kysely';
import t from 'tap';
import { migrateToLatest } from '../src/db/database.ts';
import { createTestDatabase } from '../src/testing/index.ts';

t.test('migrations build the whole schema on an empty database, then have nothing left to do', async (t) => {
  const database = await createTestDatabase({ migrate: false });
  t.teardown(() => database.drop());
  const first = await migrateToLatest(database.db);
  t.same(first.applied, [
    '0001-initial',
    '0002-reconciliation-and-reschedule',
    '0003-engine',
    '0004-offers',
    '0005-connection-health',
    '0006-booking-version',
    '0007-webhooks',
    '0008-publishing',
    '0009-lists-and-keys',
    '0010-practice-keys',
  ]);
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(
    database.db,
  );
  t.same(
    tables.rows.map((r) => r.table_name),
    [
      'active_slot_types',
      'api_keys',
      'appointment_type_mappings',
      'appointment_types',
      'audit_events',
      'bookings',
      'connections',
      'ehr_catalogue',
      'location_mappings',
      'locations',
      'outbox_commands',
      'partners',
      'practice_publishing',
      'practices',
      'practitioner_mappings',
      'practitioners',
      'published_files',
      'settings',
      'slot_type_mappings',
      'slots',
      'sync_runs',
      'sync_workers',
      'webhook_attempts',
      'webhook_deliveries',
      'webhook_endpoints',
      'webhook_events',
    ],
  );
  const second = await migrateToLatest(database.db);
  t.same(second.applied, []);
});
