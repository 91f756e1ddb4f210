/**
 * Signed webhooks end to end, against a real HTTP receiver on 127.0.0.1 that verifies every
 * request with standardwebhooks' Webhook.verify: a booking made through the API is told as a
 * signed booking.confirmed; a receiver that goes away and comes back on the same port gets every
 * event again, in order per booking, under one webhook-id each; a rotated secret and the previous
 * one both verify during the grace; an endpoint failing past its limit is disabled, told why, and
 * sends what waited once enabled again; another partner's receiver hears nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookTables } from '@slotbridge/core';
import { Webhook } from 'standardwebhooks';
import t from 'tap';
import { offeringPractice } from './helpers/offering-practice.ts';
import { tomorrowSlotsForTests } from './helpers/slots.ts';
import { bearer } from './helpers/test-app.ts';

interface Received {
  id: string;
  type: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: the payload as the receiver parses it
  payload: { type: string; timestamp: string; data: Record<string, any> };
}

/** A receiver that keeps what it got; `status` is what it answers. Verifying is the test's part. */
class Receiver {
  readonly got: Received[] = [];
  status = 204;
  server: http.Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const payload = JSON.parse(body);
        this.got.push({
          id: String(req.headers['webhook-id']),
          type: payload.type,
          body,
          headers: req.headers,
          payload,
        });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }
}

/** Verifies a request as a partner would: throws unless one of its signatures is the secret's. */
function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const PATIENT = { firstName: 'Zebedee', lastName: 'Quartermain', dateOfBirth: '1984-02-29' };

t.test('signed events reach a real receiver, survive its outage in order, and rotate', async (t) => {
  const setup = await offeringPractice(t, tomorrowSlotsForTests(12), {
    workers: true,
    webhooks: { retrySeconds: [0.3, 0.3, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1], disableAfterSeconds: 3600 },
  });
  const { app, key, call, slotbridge } = setup;
  const receiver = new Receiver();
  await receiver.start();
  t.teardown(() => receiver.stop());

  // Partner B, with an endpoint of its own that must hear nothing of A's practice.
  const b = await setup.partner('B');
  const bReceiver = new Receiver();
  await bReceiver.start();
  t.teardown(() => bReceiver.stop());
  const bCreated = await app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: bearer(b.key),
    payload: { url: bReceiver.url },
  });
  t.equal(bCreated.statusCode, 201);

  // Refusals: a plain-http URL elsewhere, the admin key without a partner.
  const insecure = await app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: bearer(key),
    payload: { url: 'http://example.com/hooks' },
  });
  t.equal(insecure.statusCode, 422, 'http:// to another host is refused');
  t.equal(insecure.json().code, 'SB_ERR_WEBHOOK_URL_INVALID');
  const noPartner = await app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: bearer(setup.adminKey),
    payload: { url: receiver.url },
  });
  t.equal(noPartner.statusCode, 400, 'the admin key must name the partner');

  const created = await app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: bearer(key),
    payload: { url: receiver.url, description: 'test receiver' },
  });
  t.equal(created.statusCode, 201, created.body);
  const endpoint = created.json();
  const secret: string = endpoint.secret;
  t.match(secret, /^whsec_[A-Za-z0-9+/=]+$/, 'the secret is shown once, whsec_ and base64');
  const got = await app.inject({
    method: 'GET',
    url: `/v1/webhook-endpoints/${endpoint.id}`,
    headers: bearer(key),
  });
  t.equal(got.statusCode, 200);
  t.notOk('secret' in got.json(), 'never shown again');
  t.notOk(got.body.includes(secret.slice(6)), 'nor any of it');
  const asB = await app.inject({
    method: 'GET',
    url: `/v1/webhook-endpoints/${endpoint.id}`,
    headers: bearer(b.key),
  });
  t.equal(asB.statusCode, 404, "another partner's key does not reach it");
  const stored = await slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_endpoints')
    .select('secret_ciphertext')
    .where('id', '=', endpoint.id)
    .executeTakeFirstOrThrow();
  t.notOk(stored.secret_ciphertext.includes(secret.slice(6)), 'the secret is sealed at rest');

  const slots = (await call('GET', '/slots')).json().data as { id: string }[];
  let n = 0;
  const book = async (slotId: string) => {
    n += 1;
    const res = await call('POST', '/bookings', {
      payload: { slotId, patient: PATIENT, reason: 'Sore throat' },
      headers: { 'idempotency-key': `webhook-test-${n}` },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string };
  };

  // 1. A booking through the API: a signed booking.confirmed within seconds.
  const first = await book(slots[0]!.id);
  const confirmed = await until('booking.confirmed', () =>
    receiver.got.find((r) => r.type === 'booking.confirmed' && r.payload.data.booking.id === first.id),
  );
  t.ok(verify(secret, confirmed), 'the signature verifies with the endpoint secret');
  t.throws(
    () => verify(`whsec_${Buffer.from('not the secret at all, 32 bytes!').toString('base64')}`, confirmed),
    'and not with another secret',
  );
  t.equal(confirmed.payload.data.booking.state, 'confirmed');
  t.equal(confirmed.payload.data.practiceId, setup.practiceId);
  t.equal(confirmed.payload.data.partnerId, endpoint.partnerId);
  t.match(confirmed.payload.timestamp, /^\d{4}-\d\d-\d\dT/);
  t.notOk(
    /Zebedee|Quartermain|1984-02-29|Sore throat/.test(confirmed.body),
    'no patient data in the payload',
  );

  // 2. The receiver goes away mid-stream: more bookings, a cancellation; every delivery fails.
  await receiver.stop();
  const before = receiver.got.length;
  const more = [await book(slots[1]!.id), await book(slots[2]!.id), await book(slots[3]!.id)];
  const cancel = await call('POST', `/bookings/${first.id}/cancel`);
  t.equal(cancel.statusCode, 200, cancel.body);
  const failures = await until('failed attempts', async () => {
    const log = await app.inject({
      method: 'GET',
      url: `/v1/webhook-endpoints/${endpoint.id}/deliveries`,
      headers: bearer(key),
    });
    const data = log.json().data as { statusCode: number | null; error: string | null; type: string }[];
    return data.filter((a) => a.statusCode === null && a.error).length >= 6 && data;
  });
  t.ok(failures.length >= 6, 'the log shows the failed attempts, each with its error');
  t.notOk(JSON.stringify(failures).includes('Zebedee'), 'the log carries no patient data');
  t.equal(receiver.got.length, before, 'nothing arrived while it was down');

  // Back on the same port: every event arrives, in order per booking, each id with one payload.
  await receiver.start(Number(new URL(endpoint.url).port));
  const events = await slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['e.id', 'e.type', 'e.seq', 'e.ordering_key'])
    .where('d.endpoint_id', '=', endpoint.id)
    .orderBy('e.seq')
    .execute();
  const bookingIds = [first.id, ...more.map((m) => m.id)];
  await until(
    'every event redelivered',
    async () => {
      const pending = await slotbridge.db
        .withTables<WebhookTables>()
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('endpoint_id', '=', endpoint.id)
        .where('state', '!=', 'delivered')
        .execute();
      return (
        pending.length === 0 &&
        bookingIds.every((id) =>
          receiver.got.some((r) => r.type === 'booking.confirmed' && r.payload.data.booking.id === id),
        ) &&
        receiver.got.some((r) => r.type === 'booking.cancelled')
      );
    },
    30_000,
  );
  const all = await slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['e.id', 'e.type', 'e.seq', 'e.ordering_key'])
    .where('d.endpoint_id', '=', endpoint.id)
    .orderBy('e.seq')
    .execute();
  t.ok(all.length >= events.length && all.length >= 6, `${all.length} events stored for the endpoint`);
  for (const r of receiver.got) t.ok(verify(secret, r), `${r.type} ${r.id} verifies`);
  for (const event of all) {
    const copies = receiver.got.filter((r) => r.id === event.id);
    t.ok(copies.length >= 1, `${event.type} ${event.id} arrived`);
    t.equal(new Set(copies.map((c) => c.body)).size, 1, `${event.id}: every copy is the same event`);
  }
  for (const bookingId of bookingIds) {
    const key = `booking:${bookingId}`;
    const expected = all.filter((e) => e.ordering_key === key).map((e) => e.id);
    const firstArrivals = [...new Set(receiver.got.map((r) => r.id))].filter((id) => expected.includes(id));
    t.same(firstArrivals, expected, `booking ${bookingId}: its events arrived in order`);
  }
  const cancelledIdx = receiver.got.findIndex((r) => r.type === 'booking.cancelled');
  const firstConfirmedIdx = receiver.got.findIndex(
    (r) => r.type === 'booking.confirmed' && r.payload.data.booking.id === first.id,
  );
  t.ok(firstConfirmedIdx < cancelledIdx, 'the first booking: confirmed before cancelled');

  // 3. Rotation: the new secret, and the old one during the grace, both verify the next event.
  const rotated = await app.inject({
    method: 'POST',
    url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
    headers: bearer(key),
  });
  t.equal(rotated.statusCode, 200, rotated.body);
  const newSecret: string = rotated.json().secret;
  t.not(newSecret, secret);
  t.ok(rotated.json().previousSecretValidUntil, 'the old secret signs until a stated time');
  const fifth = await book(slots[4]!.id);
  const afterRotation = await until('an event after the rotation', () =>
    receiver.got.find((r) => r.type === 'booking.confirmed' && r.payload.data.booking.id === fifth.id),
  );
  t.equal(String(afterRotation.headers['webhook-signature']).split(' ').length, 2, 'two signatures');
  t.ok(verify(newSecret, afterRotation), 'the new secret verifies');
  t.ok(verify(secret, afterRotation), 'the old secret verifies during the grace');

  // 4. Replay: one event again, with its id.
  const replay = await app.inject({
    method: 'POST',
    url: `/v1/webhook-endpoints/${endpoint.id}/deliveries/${confirmed.id}/replay`,
    headers: bearer(key),
  });
  t.equal(replay.statusCode, 202, replay.body);
  const copiesBefore = receiver.got.filter((r) => r.id === confirmed.id).length;
  await until(
    'the replayed event',
    () => receiver.got.filter((r) => r.id === confirmed.id).length > copiesBefore,
  );
  t.ok(verify(newSecret, receiver.got.findLast((r) => r.id === confirmed.id)!), 'replayed, signed anew');

  t.equal(bReceiver.got.length, 0, "partner B's receiver heard nothing of A's practice");
});

t.test('an endpoint failing past its limit is disabled, told why, and catches up once enabled', async (t) => {
  const setup = await offeringPractice(t, tomorrowSlotsForTests(4), {
    workers: true,
    webhooks: { retrySeconds: Array(40).fill(0.2), disableAfterSeconds: 1 },
  });
  const { app, key, call, slotbridge } = setup;
  const receiver = new Receiver();
  receiver.status = 500;
  await receiver.start();
  t.teardown(() => receiver.stop());
  const endpoint = (
    await app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: bearer(key),
      payload: { url: receiver.url, eventTypes: ['booking.confirmed'] },
    })
  ).json();
  const slots = (await call('GET', '/slots')).json().data as { id: string }[];
  const booked = await call('POST', '/bookings', {
    payload: { slotId: slots[0]!.id, patient: PATIENT },
    headers: { 'idempotency-key': 'webhook-disable-1' },
  });
  t.equal(booked.statusCode, 201);
  const disabled = await until('the endpoint disabled', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/webhook-endpoints/${endpoint.id}`,
      headers: bearer(key),
    });
    const view = res.json() as { enabled: boolean; disabledReason: string | null };
    return view.enabled === false ? view : undefined;
  });
  t.match(disabled.disabledReason, /failed/, 'the reason says so');
  t.match(disabled.disabledReason, /500/, 'and names the last failure');
  const audit = await slotbridge.db
    .selectFrom('audit_events')
    .select('details')
    .where('action', '=', 'webhook_endpoint.disabled')
    .executeTakeFirst();
  t.equal(audit?.details.endpointId, endpoint.id, 'a webhook_endpoint.disabled note in the audit log');
  const attempts = receiver.got.length;
  t.ok(attempts >= 2, `${attempts} attempts before it was disabled`);
  t.ok(
    receiver.got.every((r) => r.type === 'booking.confirmed'),
    'only the subscribed type was sent',
  );
  await sleep(600);
  t.equal(receiver.got.length, attempts, 'nothing is sent to a disabled endpoint');

  // Fixed and enabled again: what waited is sent.
  receiver.status = 200;
  const enabled = await app.inject({
    method: 'PATCH',
    url: `/v1/webhook-endpoints/${endpoint.id}`,
    headers: bearer(key),
    payload: { enabled: true },
  });
  t.equal(enabled.statusCode, 200);
  t.equal(enabled.json().disabledReason, null);
  await until('the waiting event delivered', async () => {
    const row = await slotbridge.db
      .withTables<WebhookTables>()
      .selectFrom('webhook_deliveries')
      .select('state')
      .where('endpoint_id', '=', endpoint.id)
      .executeTakeFirstOrThrow();
    return row.state === 'delivered';
  });
  t.ok(verify(endpoint.secret, receiver.got.at(-1)!), 'delivered, signed');
});
