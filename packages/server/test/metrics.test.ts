import { createTestSlotbridge } from '@slotbridge/core/testing';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { testApp } from './helpers/test-app.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The sample lines of one metric family. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

t.test('GET /metrics answers Prometheus text over HTTP, with no API key', async (t) => {
  const { app, adminKey, close } = await testApp();
  t.teardown(close);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const practiceId = '00000000-0000-4000-8000-000000000001';
  await fetch(`${address}/healthz`);
  await fetch(`${address}/v1/practices/${practiceId}`, { headers: bearer(adminKey) });
  await fetch(`${address}/v1/practices/${practiceId}`);
  await fetch(`${address}/no/such/route/${practiceId}`);

  const response = await fetch(`${address}/metrics`);
  t.equal(response.status, 200);
  t.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();

  for (const family of [
    'slotbridge_http_request_duration_seconds histogram',
    'slotbridge_sync_duration_seconds histogram',
    'slotbridge_syncs_total counter',
    'slotbridge_ehr_calls_total counter',
    'slotbridge_ehr_call_duration_seconds histogram',
    'slotbridge_booking_writes_total counter',
    'slotbridge_booking_accept_to_confirmed_seconds histogram',
    'slotbridge_practice_freshness_age_seconds histogram',
    'slotbridge_bookings gauge',
    'slotbridge_outbox_pending gauge',
    'slotbridge_outbox_oldest_pending_age_seconds gauge',
    'slotbridge_webhook_deliveries_total counter',
    'slotbridge_webhook_pending gauge',
    'process_resident_memory_bytes gauge',
    'nodejs_eventloop_lag_seconds gauge',
  ]) {
    t.match(text, `# TYPE ${family}`, family);
  }
  t.same(samples(text, 'slotbridge_bookings'), [
    'slotbridge_bookings{state="pending"} 0',
    'slotbridge_bookings{state="confirmed"} 0',
    'slotbridge_bookings{state="needs_reconciliation"} 0',
    'slotbridge_bookings{state="failed"} 0',
    'slotbridge_bookings{state="cancelling"} 0',
    'slotbridge_bookings{state="cancelled"} 0',
    'slotbridge_bookings{state="cancelled_in_ehr"} 0',
  ]);
  t.same(samples(text, 'slotbridge_outbox_pending'), ['slotbridge_outbox_pending 0']);

  // HTTP latency by route pattern: never the raw URL, so an id never becomes a series.
  t.same(samples(text, 'slotbridge_http_request_duration_seconds_count'), [
    'slotbridge_http_request_duration_seconds_count{method="GET",route="/healthz",status_code="200"} 1',
    'slotbridge_http_request_duration_seconds_count{method="GET",route="/v1/practices/:practiceId",status_code="404"} 1',
    'slotbridge_http_request_duration_seconds_count{method="GET",route="/v1/practices/:practiceId",status_code="401"} 1',
    'slotbridge_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1',
  ]);
  t.notMatch(text, practiceId);

  // The scrape itself is counted by the next one.
  const again = await (await fetch(`${address}/metrics`)).text();
  t.match(
    again,
    'slotbridge_http_request_duration_seconds_count{method="GET",route="/metrics",status_code="200"} 1',
  );
});

t.test('with SLOTBRIDGE_METRICS_TOKEN set, GET /metrics needs that bearer token', async (t) => {
  const { slotbridge, close } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: [], metricsToken: 'metrics-token-0123456789' });
  t.teardown(async () => {
    await app.close();
    await close();
  });

  const missing = await app.inject('/metrics');
  t.equal(missing.statusCode, 401);
  t.equal(missing.headers['www-authenticate'], 'Bearer');
  t.match(missing.headers['content-type'], /^application\/problem\+json/);
  t.same(missing.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_UNAUTHENTICATED',
    title: 'Unauthenticated',
    status: 401,
    code: 'SB_ERR_UNAUTHENTICATED',
    detail: 'A metrics token is required',
    fix: 'Send the value of SLOTBRIDGE_METRICS_TOKEN as "Authorization: Bearer <token>".',
    instance: '/metrics',
  });

  const wrong = await app.inject({ url: '/metrics', headers: bearer('metrics-token-nope') });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().detail, 'This metrics token is not valid');

  const right = await app.inject({ url: '/metrics', headers: bearer('metrics-token-0123456789') });
  t.equal(right.statusCode, 200);
  t.match(right.body, '# TYPE slotbridge_bookings gauge');
  const lowerCase = await app.inject({
    url: '/metrics',
    headers: { authorization: 'bearer  metrics-token-0123456789' },
  });
  t.equal(lowerCase.statusCode, 200, 'the scheme in any case, with any spaces before the token');
});

t.test('the metrics the engine reports show at /metrics', async (t) => {
  const { app, slotbridge, close } = await testApp();
  t.teardown(close);
  slotbridge.metrics.syncFinished({ plugin: 'memory', window: 'near', outcome: 'changed' }, 0.2);
  slotbridge.metrics.ehrCall({ plugin: 'memory', operation: 'slots', outcome: 'ok' }, 0.05);
  slotbridge.metrics.bookingWritten({ plugin: 'memory', kind: 'book', outcome: 'confirmed' }, 1.2);
  const text = (await app.inject('/metrics')).body;
  t.match(text, 'slotbridge_syncs_total{plugin="memory",window="near",outcome="changed"} 1');
  t.match(text, 'slotbridge_ehr_calls_total{plugin="memory",operation="slots",outcome="ok"} 1');
  t.match(
    text,
    'slotbridge_booking_accept_to_confirmed_seconds_count{plugin="memory",kind="book",outcome="confirmed"} 1',
  );
});
