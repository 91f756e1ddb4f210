import { sql } from 'kysely';
import t from 'tap';
import { Metrics } from '../src/metrics.ts';
import { createTestDatabase } from '../src/testing/index.ts';

const database = await createTestDatabase();
t.teardown(() => database.drop());
const { db } = database;

/** The sample lines of one metric family, e.g. `slotbridge_syncs_total{…} 1`. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

t.test('syncFinished counts and times syncs by plugin, window and outcome', async (t) => {
  const metrics = new Metrics(db, { defaultMetrics: false });
  metrics.syncFinished({ plugin: 'emis', window: 'near', outcome: 'unchanged' }, 0.12);
  metrics.syncFinished({ plugin: 'emis', window: 'near', outcome: 'unchanged' }, 0.3);
  metrics.syncFinished({ plugin: 'systmone', window: 'far', outcome: 'failed' }, 7);
  const text = await metrics.render();
  t.match(text, '# TYPE slotbridge_syncs_total counter');
  t.same(samples(text, 'slotbridge_syncs_total'), [
    'slotbridge_syncs_total{plugin="emis",window="near",outcome="unchanged"} 2',
    'slotbridge_syncs_total{plugin="systmone",window="far",outcome="failed"} 1',
  ]);
  t.match(text, '# TYPE slotbridge_sync_duration_seconds histogram');
  t.match(
    text,
    'slotbridge_sync_duration_seconds_bucket{le="0.25",plugin="emis",window="near",outcome="unchanged"} 1',
  );
  t.match(
    text,
    'slotbridge_sync_duration_seconds_bucket{le="0.5",plugin="emis",window="near",outcome="unchanged"} 2',
  );
  t.match(text, 'slotbridge_sync_duration_seconds_sum{plugin="emis",window="near",outcome="unchanged"} 0.42');
  t.match(text, 'slotbridge_sync_duration_seconds_count{plugin="systmone",window="far",outcome="failed"} 1');
  t.match(
    text,
    'slotbridge_sync_duration_seconds_bucket{le="5",plugin="systmone",window="far",outcome="failed"} 0',
  );
});

t.test('ehrCall counts and times EHR calls by plugin, operation and outcome', async (t) => {
  const metrics = new Metrics(db, { defaultMetrics: false });
  metrics.ehrCall({ plugin: 'emis', operation: 'GetSlotsForSession', outcome: 'ok' }, 0.1);
  metrics.ehrCall({ plugin: 'emis', operation: 'GetSlotsForSession', outcome: 'error' }, 2);
  const text = await metrics.render();
  t.same(samples(text, 'slotbridge_ehr_calls_total'), [
    'slotbridge_ehr_calls_total{plugin="emis",operation="GetSlotsForSession",outcome="ok"} 1',
    'slotbridge_ehr_calls_total{plugin="emis",operation="GetSlotsForSession",outcome="error"} 1',
  ]);
  t.match(
    text,
    'slotbridge_ehr_call_duration_seconds_bucket{le="0.1",plugin="emis",operation="GetSlotsForSession",outcome="ok"} 1',
  );
  t.match(
    text,
    'slotbridge_ehr_call_duration_seconds_bucket{le="1",plugin="emis",operation="GetSlotsForSession",outcome="error"} 0',
  );
});

t.test('bookingWritten counts every outcome and times only confirmed and held ones', async (t) => {
  const metrics = new Metrics(db, { defaultMetrics: false });
  metrics.bookingWritten({ plugin: 'emis', kind: 'book', outcome: 'confirmed' }, 1.5);
  metrics.bookingWritten({ plugin: 'emis', kind: 'book', outcome: 'held' }, 4);
  metrics.bookingWritten({ plugin: 'emis', kind: 'book', outcome: 'retry' }, 9);
  metrics.bookingWritten({ plugin: 'emis', kind: 'cancel', outcome: 'cancelled' }, null);
  metrics.bookingWritten({ plugin: 'emis', kind: 'book', outcome: 'failed' }, 3);
  const text = await metrics.render();
  t.same(samples(text, 'slotbridge_booking_writes_total'), [
    'slotbridge_booking_writes_total{plugin="emis",kind="book",outcome="confirmed"} 1',
    'slotbridge_booking_writes_total{plugin="emis",kind="book",outcome="held"} 1',
    'slotbridge_booking_writes_total{plugin="emis",kind="book",outcome="retry"} 1',
    'slotbridge_booking_writes_total{plugin="emis",kind="cancel",outcome="cancelled"} 1',
    'slotbridge_booking_writes_total{plugin="emis",kind="book",outcome="failed"} 1',
  ]);
  t.same(samples(text, 'slotbridge_booking_accept_to_confirmed_seconds_count'), [
    'slotbridge_booking_accept_to_confirmed_seconds_count{plugin="emis",kind="book",outcome="confirmed"} 1',
    'slotbridge_booking_accept_to_confirmed_seconds_count{plugin="emis",kind="book",outcome="held"} 1',
  ]);
  t.match(
    text,
    'slotbridge_booking_accept_to_confirmed_seconds_bucket{le="2",plugin="emis",kind="book",outcome="confirmed"} 1',
  );
});

t.test('freshness is one histogram over the practices, refilled at each scrape', async (t) => {
  const metrics = new Metrics(db, { defaultMetrics: false });
  let ages = [3, 12, 25, 40, 700];
  metrics.setFreshnessSource(() => ages);
  const first = await metrics.render();
  t.match(first, '# TYPE slotbridge_practice_freshness_age_seconds histogram');
  t.same(samples(first, 'slotbridge_practice_freshness_age_seconds_bucket'), [
    'slotbridge_practice_freshness_age_seconds_bucket{le="5"} 1',
    'slotbridge_practice_freshness_age_seconds_bucket{le="10"} 1',
    'slotbridge_practice_freshness_age_seconds_bucket{le="15"} 2',
    'slotbridge_practice_freshness_age_seconds_bucket{le="20"} 2',
    'slotbridge_practice_freshness_age_seconds_bucket{le="30"} 3',
    'slotbridge_practice_freshness_age_seconds_bucket{le="60"} 4',
    'slotbridge_practice_freshness_age_seconds_bucket{le="120"} 4',
    'slotbridge_practice_freshness_age_seconds_bucket{le="300"} 4',
    'slotbridge_practice_freshness_age_seconds_bucket{le="600"} 4',
    'slotbridge_practice_freshness_age_seconds_bucket{le="1800"} 5',
    'slotbridge_practice_freshness_age_seconds_bucket{le="+Inf"} 5',
  ]);
  t.match(first, 'slotbridge_practice_freshness_age_seconds_count 5');
  // The next scrape shows the ages as they are then, not added to the last ones.
  ages = [1, 2];
  const second = await metrics.render();
  t.match(second, 'slotbridge_practice_freshness_age_seconds_count 2');
  t.match(second, 'slotbridge_practice_freshness_age_seconds_bucket{le="5"} 2');
  t.match(second, 'slotbridge_practice_freshness_age_seconds_sum 3');
});

t.test(
  'bookings by state and the outbox depth and lag are read from the database at scrape time',
  async (t) => {
    const metrics = new Metrics(db, { defaultMetrics: false });
    const empty = await metrics.render();
    t.match(empty, '# TYPE slotbridge_bookings gauge');
    t.same(samples(empty, 'slotbridge_bookings'), [
      'slotbridge_bookings{state="pending"} 0',
      'slotbridge_bookings{state="confirmed"} 0',
      'slotbridge_bookings{state="needs_reconciliation"} 0',
      'slotbridge_bookings{state="failed"} 0',
      'slotbridge_bookings{state="cancelling"} 0',
      'slotbridge_bookings{state="cancelled"} 0',
      'slotbridge_bookings{state="cancelled_in_ehr"} 0',
    ]);
    t.same(samples(empty, 'slotbridge_outbox_pending'), ['slotbridge_outbox_pending 0']);
    t.same(samples(empty, 'slotbridge_outbox_oldest_pending_age_seconds'), [
      'slotbridge_outbox_oldest_pending_age_seconds 0',
    ]);

    const partner = await db
      .insertInto('partners')
      .values({ name: 'P' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const practice = await db
      .insertInto('practices')
      .values({ partner_id: partner.id, name: 'Practice', ehr: 'memory', time_zone: 'Europe/London' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const booking = (state: string, key: string) =>
      sql<{ id: string }>`
      insert into bookings (practice_id, ehr_slot_id, ehr_slot_type_id, start_at, end_at, state,
        patient_ciphertext, idempotency_key, request_fingerprint)
      values (${practice.id}, ${key}, 'st1', now(), now() + interval '10 minutes', ${state}, 'x', ${key}, 'f')
      returning id`
        .execute(db)
        .then((r) => r.rows[0]!.id);
    const pending1 = await booking('pending', 'b1');
    const pending2 = await booking('pending', 'b2');
    const confirmed = await booking('confirmed', 'b3');
    await booking('confirmed', 'b4');
    await booking('failed', 'b5');
    await sql`
    insert into outbox_commands (practice_id, booking_id, kind, state, created_at) values
      (${practice.id}, ${pending1}, 'book', 'pending', now() - interval '90 seconds'),
      (${practice.id}, ${pending2}, 'book', 'pending', now() - interval '5 seconds'),
      (${practice.id}, ${confirmed}, 'book', 'done', now() - interval '1 hour')`.execute(db);

    const text = await metrics.render();
    t.same(samples(text, 'slotbridge_bookings'), [
      'slotbridge_bookings{state="pending"} 2',
      'slotbridge_bookings{state="confirmed"} 2',
      'slotbridge_bookings{state="needs_reconciliation"} 0',
      'slotbridge_bookings{state="failed"} 1',
      'slotbridge_bookings{state="cancelling"} 0',
      'slotbridge_bookings{state="cancelled"} 0',
      'slotbridge_bookings{state="cancelled_in_ehr"} 0',
    ]);
    t.same(samples(text, 'slotbridge_outbox_pending'), ['slotbridge_outbox_pending 2']);
    const [lag] = samples(text, 'slotbridge_outbox_oldest_pending_age_seconds');
    const age = Number(lag?.split(' ')[1]);
    t.ok(age >= 90 && age < 120, `the oldest pending command is ~90 s old (${age})`);
  },
);

t.test('a failed database read leaves the scrape answering and is counted', async (t) => {
  const broken = await createTestDatabase();
  const errors: unknown[] = [];
  const metrics = new Metrics(broken.db, { defaultMetrics: false, onCollectError: (e) => errors.push(e) });
  await broken.drop();
  const text = await metrics.render();
  t.equal(errors.length, 3, 'the bookings read, the outbox read and the webhook queue read');
  t.match(text, 'slotbridge_syncs_total');
  // The counter is rendered while the reads are under way: the next scrape shows them.
  t.match(await metrics.render(), 'slotbridge_metrics_collect_errors_total 3');
});

t.test(
  'the default process metrics are on the same registry, and two instances do not collide',
  async (t) => {
    const one = new Metrics(db);
    const two = new Metrics(db);
    const text = await one.render();
    t.match(text, '# TYPE process_resident_memory_bytes gauge');
    t.match(text, '# TYPE nodejs_eventloop_lag_seconds gauge');
    t.match(await two.render(), 'process_resident_memory_bytes');
    t.equal(one.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  },
);
