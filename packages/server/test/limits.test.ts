import { insertCatalogue } from '@slotbridge/core/testing';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { createPractice } from './helpers/practice.ts';
import { tomorrowSlotsForTests } from './helpers/slots.ts';
import { bearer, type TestApp, testApp } from './helpers/test-app.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };
const minute = 60_000;

/** GET /v1/practices from `address` with `authorization` (or none). */
const list = (app: FastifyInstance, address: string, authorization?: string) =>
  app.inject({
    url: '/v1/practices',
    remoteAddress: address,
    ...(authorization !== undefined && { headers: { authorization } }),
  });

t.test('failed authentication: past the limit an address gets 429 with Retry-After', async (t) => {
  const { app, partner, close } = await testApp({
    limits: { failedAuth: { max: 3, windowMs: minute }, bookings: null },
  });
  t.teardown(close);
  const a = await partner('A');
  const guesser = '203.0.113.7';

  for (let i = 0; i < 3; i++) {
    t.equal((await list(app, guesser, `Bearer sb_wrong_${i}`)).statusCode, 401, `failure ${i + 1}: 401`);
  }
  const refused = await list(app, guesser, 'Bearer sb_wrong_again');
  t.equal(refused.statusCode, 429);
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  const retryAfter = Number(refused.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.match(refused.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_AUTH_RATE_LIMITED',
    title: 'Too many failed authentications',
    status: 429,
    code: 'SB_ERR_AUTH_RATE_LIMITED',
    detail:
      'More than 3 requests with a missing, wrong or revoked API key came from this address in 1 minute',
    fix: /Retry-After/,
    instance: '/v1/practices',
  });
  t.equal((await list(app, guesser)).statusCode, 429, 'no key at all counts as a failure too');

  t.equal((await list(app, '198.51.100.20', 'Bearer sb_wrong')).statusCode, 401, 'another address: 401');
  t.equal(
    (await list(app, guesser, `Bearer ${a.key}`)).statusCode,
    200,
    'a right key from the limited address is never refused',
  );
  t.equal((await list(app, guesser, 'Bearer sb_wrong')).statusCode, 429, 'and does not reset the count');
});

t.test('failed authentication: the window passes, and 401 answers again', async (t) => {
  const { app, close } = await testApp({ limits: { failedAuth: { max: 1, windowMs: 300 }, bookings: null } });
  t.teardown(close);
  t.equal((await list(app, '203.0.113.9', 'Bearer sb_wrong')).statusCode, 401);
  t.equal((await list(app, '203.0.113.9', 'Bearer sb_wrong')).statusCode, 429);
  await new Promise((resolve) => setTimeout(resolve, 350));
  t.equal((await list(app, '203.0.113.9', 'Bearer sb_wrong')).statusCode, 401);
});

t.test('by default, a run of wrong keys from one address is refused after 30', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  const codes: number[] = [];
  for (let i = 0; i < 40; i++)
    codes.push((await list(app, '203.0.113.10', `Bearer sb_guess_${i}`)).statusCode);
  t.same(codes, [...Array(30).fill(401), ...Array(10).fill(429)]);
});

t.test('the auth scheme is case-insensitive, with any spaces or tabs before the key', async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  for (const header of [
    `Bearer ${a.key}`,
    `bearer ${a.key}`,
    `BEARER ${a.key}`,
    `bEaReR    ${a.key}`,
    `Bearer \t ${a.key}`,
  ]) {
    t.equal((await list(app, '127.0.0.1', header)).statusCode, 200, JSON.stringify(header));
  }
  t.equal((await list(app, '127.0.0.1', `Bearer${a.key}`)).statusCode, 401, 'the space is required');
  t.equal((await list(app, '127.0.0.1', `Basic ${a.key}`)).statusCode, 401, 'another scheme is not a key');
  const wrong = await list(app, '127.0.0.1', 'bearer sb_nope');
  t.equal(wrong.json().detail, 'This API key is not valid or was revoked');
});

/** A practice of partner A on the in-memory EHR offering `count` slots tomorrow. */
async function practiceWithSlots(setup: TestApp, count: number) {
  const { app, slotbridge, memory } = setup;
  const a = await setup.partner('A');
  const practice = await createPractice(app, a.key, { connect: true });
  const record = await slotbridge.db
    .selectFrom('practices')
    .selectAll()
    .where('id', '=', practice.id)
    .executeTakeFirstOrThrow();
  await insertCatalogue(slotbridge.db, record.id, [
    { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)' },
    { kind: 'location', ehrId: 'l1', name: 'Main (EHR)' },
    { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
  ]);
  const practitionerId = await slotbridge.catalogue.addPractitioner(record, 'Dr Test');
  await slotbridge.mappings.putPractitioners(null, record, [{ practitionerId, ehrPractitionerId: 'p1' }]);
  const locationId = await slotbridge.catalogue.addLocation(record, 'Main');
  await slotbridge.mappings.putLocations(null, record, [{ locationId, ehrLocationId: 'l1' }]);
  const typeId = await slotbridge.catalogue.addAppointmentType(record, 'GP appointment', 10);
  await slotbridge.mappings.putSlotTypeFeatures(null, record, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(null, record, ['st1']);
  memory.slots.push(...tomorrowSlotsForTests(count));
  await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers: bearer(a.key) });
  const slots = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json<{ data: { id: string }[] }>().data;
  return { partner: a, practiceId: practice.id, slotIds: slots.map((s) => s.id) };
}

t.test('bookings: past the limit of an API key, 429 with Retry-After; another key still books', async (t) => {
  const setup = await testApp({ limits: { failedAuth: null, bookings: { max: 2, windowMs: minute } } });
  t.teardown(setup.close);
  const { app, slotbridge } = setup;
  const { partner, practiceId, slotIds } = await practiceWithSlots(setup, 4);
  t.equal(slotIds.length, 4);
  const book = (key: string, slotId: string, idempotencyKey?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/practices/${practiceId}/bookings`,
      headers: { ...bearer(key), ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) },
      payload: { slotId, patient },
    });

  t.equal((await book(partner.key, slotIds[0]!)).statusCode, 400, 'an invalid request (no Idempotency-Key)…');
  t.equal((await book(partner.key, slotIds[0]!, 'limit-key-1')).statusCode, 201, '…is not counted: 1');
  t.equal((await book(partner.key, slotIds[1]!, 'limit-key-2')).statusCode, 201, '2');
  const refused = await book(partner.key, slotIds[2]!, 'limit-key-3');
  t.equal(refused.statusCode, 429);
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  const retryAfter = Number(refused.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.match(refused.json(), {
    status: 429,
    code: 'SB_ERR_BOOKING_RATE_LIMITED',
    detail: 'More than 2 bookings in 1 minute from this API key',
    fix: /Retry-After.*Idempotency-Key/,
    instance: `/v1/practices/${practiceId}/bookings`,
  });
  const booked = await slotbridge.db.selectFrom('bookings').select('ehr_slot_id').execute();
  t.same(booked.map((b) => b.ehr_slot_id).sort(), ['s1', 's2'], 'nothing was booked past the limit');

  t.equal(
    (await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(partner.key) })).statusCode,
    200,
    'reading is not limited',
  );
  const second = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'second');
  t.equal(
    (await book(second.key, slotIds[2]!, 'limit-key-4')).statusCode,
    201,
    'another key has its own count',
  );
});

t.test('the OpenAPI document lists the 429s', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  const { paths } = (await app.inject('/openapi.json')).json();
  const problem = { $ref: '#/components/schemas/Problem' };
  for (const [path, method] of [
    ['/v1/practices/{practiceId}/bookings', 'post'],
    ['/v1/practices/{practiceId}/bookings/{bookingId}/reschedule', 'post'],
    ['/v1/practices', 'get'],
    ['/v1/practices/{practiceId}/slots', 'get'],
    ['/v1/partners', 'post'],
  ] as const) {
    t.same(
      paths[path][method].responses['429']?.content['application/problem+json'].schema,
      problem,
      `${method} ${path}`,
    );
  }
  t.notOk(paths['/healthz'].get.responses['429'], '/healthz needs no key, so it is never limited');
});
