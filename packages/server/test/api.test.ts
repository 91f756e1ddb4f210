import { insertCatalogue } from '@slotbridge/core/testing';
import t from 'tap';
import { tomorrowSlotsForTests } from './helpers/slots.ts';
import { bearer, testApp } from './helpers/test-app.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29', nhsNumber: '9990000018' };

t.test('health, readiness and the OpenAPI document are public', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  t.same((await app.inject('/healthz')).json(), { status: 'ok' });
  t.same((await app.inject('/readyz')).json(), { status: 'ready', checks: { database: 'ok' } });
  const openapi = (await app.inject('/openapi.json')).json();
  t.equal(openapi.openapi, '3.1.0');
  for (const name of ['Problem', 'Practice', 'Connection', 'Slot', 'Booking', 'SyncRun', 'Plugin']) {
    t.ok(openapi.components.schemas[name], `component ${name}`);
  }
  t.same(
    openapi.paths['/v1/practices/{practiceId}/bookings'].post.responses['409'].content[
      'application/problem+json'
    ].schema,
    {
      $ref: '#/components/schemas/Problem',
    },
  );
  t.equal((await app.inject('/docs/')).statusCode, 200);
});

t.test('no key or a wrong key: 401 problem+json', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  const missing = await app.inject('/v1/practices');
  t.equal(missing.statusCode, 401);
  t.match(missing.headers['content-type'], /^application\/problem\+json/);
  t.same(missing.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_UNAUTHENTICATED',
    title: 'Unauthenticated',
    status: 401,
    code: 'SB_ERR_UNAUTHENTICATED',
    detail: 'An API key is required',
    fix: 'Send the key as "Authorization: Bearer <key>". The admin key is printed at first start or set with SLOTBRIDGE_ADMIN_KEY.',
    instance: '/v1/practices',
  });
  t.equal(missing.headers['www-authenticate'], 'Bearer', 'the challenge survives the thrown error');
  const wrong = await app.inject({ url: '/v1/practices', headers: bearer('sb_nope') });
  t.equal(wrong.json().detail, 'This API key is not valid or was revoked');
});

t.test("a partner's key reaches its own practices only; another's answer 404", async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/practices',
    headers: bearer(a.key),
    payload: { name: 'A practice', ehr: 'memory', timeZone: 'Europe/London', odsCode: 'A81001' },
  });
  t.equal(created.statusCode, 201);
  const practice = created.json();
  t.match(practice, {
    partnerId: a.id,
    name: 'A practice',
    ehr: 'memory',
    timeZone: 'Europe/London',
    odsCode: 'A81001',
    publishingHorizonDays: 28,
  });
  t.equal(created.headers.location, `/v1/practices/${practice.id}`);
  t.equal(practice.ehrCallsPerMinute, 600, "the plugin's EHR call budget until the practice lowers it");
  const lowered = await app.inject({
    method: 'PATCH',
    url: `/v1/practices/${practice.id}`,
    headers: bearer(a.key),
    payload: { ehrCallsPerMinute: 60 },
  });
  t.equal(lowered.json().ehrCallsPerMinute, 60);
  const raised = await app.inject({
    method: 'PATCH',
    url: `/v1/practices/${practice.id}`,
    headers: bearer(a.key),
    payload: { ehrCallsPerMinute: 601 },
  });
  t.match(raised.json(), {
    status: 422,
    code: 'SB_ERR_CALL_BUDGET_TOO_HIGH',
    detail:
      'A practice may lower its EHR call budget, not raise it: memory allows at most 600 calls a minute; 601 was asked for',
    max: 600,
  });

  t.equal((await app.inject({ url: '/v1/practices', headers: bearer(a.key) })).json().data.length, 1);
  t.same((await app.inject({ url: '/v1/practices', headers: bearer(b.key) })).json(), {
    data: [],
    next: null,
  });
  for (const url of [
    `/v1/practices/${practice.id}`,
    `/v1/practices/${practice.id}/slots`,
    `/v1/practices/${practice.id}/connection`,
    `/v1/practices/${practice.id}/bookings/${practice.id}`,
  ]) {
    const res = await app.inject({ url, headers: bearer(b.key) });
    t.equal(res.statusCode, 404, url);
    t.equal(res.json().code, 'SB_ERR_PRACTICE_NOT_FOUND', url);
  }
  const patch = await app.inject({
    method: 'PATCH',
    url: `/v1/practices/${practice.id}`,
    headers: bearer(b.key),
    payload: { name: 'taken over' },
  });
  t.equal(patch.statusCode, 404);
});

t.test('bad input is answered 400/422 problem+json naming the field and the fix', async (t) => {
  const { app, partner, adminKey, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const post = (payload: object, key = a.key) =>
    app.inject({ method: 'POST', url: '/v1/practices', headers: bearer(key), payload });

  const unknownField = await post({ name: 'x', ehr: 'memory', timeZone: 'Europe/London', colour: 'red' });
  t.equal(unknownField.statusCode, 400);
  t.match(unknownField.json(), {
    code: 'SB_ERR_VALIDATION',
    errors: [{ in: 'body', message: /additional/ }],
  });

  const missing = await post({ ehr: 'memory' });
  t.equal(missing.statusCode, 400);
  t.same(
    missing
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
    ['name', 'timeZone'],
  );

  t.match((await post({ name: 'x', ehr: 'memory', timeZone: 'Mars/Olympus' })).json(), {
    status: 400,
    code: 'SB_ERR_TIME_ZONE_INVALID',
    detail: '"Mars/Olympus" is not an IANA time zone',
  });
  t.match((await post({ name: 'x', ehr: 'cerner', timeZone: 'Europe/London' })).json(), {
    status: 404,
    code: 'SB_ERR_PLUGIN_UNKNOWN',
  });
  t.match(
    (await post({ name: 'x', ehr: 'memory', timeZone: 'Europe/London', publishingHorizonDays: 91 })).json(),
    {
      status: 422,
      code: 'SB_ERR_HORIZON_TOO_LONG',
      detail: 'The publishing horizon must be between 1 and 90 days for memory; 91 was asked for',
      max: 90,
    },
  );
  t.match((await post({ name: 'x', ehr: 'memory', timeZone: 'Europe/London' }, adminKey)).json(), {
    status: 400,
    code: 'SB_ERR_PARTNER_REQUIRED',
  });
  const badId = await app.inject({ url: '/v1/practices/not-a-uuid', headers: bearer(a.key) });
  t.match(badId.json(), { status: 400, code: 'SB_ERR_VALIDATION', errors: [{ in: 'params' }] });
  t.equal(
    (await app.inject({ url: '/v1/nothing', headers: bearer(a.key) })).json().code,
    'SB_ERR_ROUTE_NOT_FOUND',
  );
});

t.test('connection: validated, checked before saving, secrets never returned or logged', async (t) => {
  const { app, partner, logs, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'P', ehr: 'memory', timeZone: 'Europe/London' },
    })
  ).json();
  const url = `/v1/practices/${practice.id}/connection`;
  const put = (payload: object, query = '') =>
    app.inject({ method: 'PUT', url: url + query, headers: bearer(a.key), payload });

  const invalid = await put({ practiceCode: 'T1' });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), { code: 'SB_ERR_CONNECTION_INVALID', errors: [{ field: '/' }] });

  const refused = await put({ practiceCode: 'T1', secret: 'wrong-secret-value' });
  t.equal(refused.statusCode, 422);
  t.match(refused.json(), {
    code: 'SB_ERR_SETUP_CHECKS_FAILED',
    detail: '1 set-up check(s) failed; nothing was saved',
    fix: 'Type the secret again',
    checks: [
      { id: 'credentials.spaces', ok: true },
      { id: 'credentials.filled', ok: true },
      { id: 'credentials.distinct', ok: true },
      { id: 'credentials', ok: false, fix: 'Type the secret again' },
    ],
  });
  t.equal((await app.inject({ url, headers: bearer(a.key) })).statusCode, 404, 'nothing saved');

  const forced = await put({ practiceCode: 'T1', secret: 'wrong-secret-value' }, '?force=true');
  t.equal(forced.json().status, 'failing');

  const saved = await put({ practiceCode: 'T1', secret: 'right' });
  t.equal(saved.statusCode, 200);
  const view = (await app.inject({ url, headers: bearer(a.key) })).json();
  t.same(view.settings, { practiceCode: 'T1' });
  t.same(view.secrets, { secret: 'set' });
  t.equal(view.status, 'healthy');
  t.notMatch(JSON.stringify(view), /right|wrong-secret-value/);
  t.notMatch(logs.join(''), /wrong-secret-value/, 'the secret is not in the logs');
});

t.test('slots, a booking, its state, and a second booking of the slot refused with 409', async (t) => {
  const { app, slotbridge, memory, partner, logs, close } = await testApp({ workers: true });
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'P', ehr: 'memory', timeZone: 'Europe/London' },
    })
  ).json();
  await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers: bearer(a.key),
    payload: { practiceCode: 'T1', secret: 'right' },
  });
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
  memory.slots.push(...tomorrowSlotsForTests(3));

  const sync = await app.inject({
    method: 'POST',
    url: `/v1/practices/${practice.id}/sync`,
    headers: bearer(a.key),
  });
  t.match(sync.json(), { status: 'succeeded', trigger: 'manual', counts: { fetched: 3, inserted: 3 } });
  const runs = (
    await app.inject({ url: `/v1/practices/${practice.id}/sync-runs`, headers: bearer(a.key) })
  ).json();
  t.equal(runs.data.length, 1);

  const slots = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json().data;
  t.equal(slots.length, 3);
  t.match(slots[0], {
    durationMinutes: 10,
    appointmentType: { id: typeId, name: 'GP appointment' },
    practitioner: { id: practitionerId, name: 'Dr Test' },
    location: { id: locationId, name: 'Main' },
    start: /^\d{4}-\d{2}-\d{2}T09:00:00\+0[01]:00$|^\d{4}-\d{2}-\d{2}T(09|10):00:00\+0[01]:00$/,
  });
  const filtered = await app.inject({
    url: `/v1/practices/${practice.id}/slots?appointmentTypeId=${practitionerId}`,
    headers: bearer(a.key),
  });
  t.same(filtered.json(), { data: [], next: null });
  const badWindow = await app.inject({
    url: `/v1/practices/${practice.id}/slots?from=tomorrow`,
    headers: bearer(a.key),
  });
  t.match(badWindow.json(), { status: 400, code: 'SB_ERR_WINDOW_INVALID' });

  const book = (key: string, slotId: string, idempotencyKey?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/practices/${practice.id}/bookings`,
      headers: { ...bearer(key), ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) },
      payload: { slotId, patient, reason: 'Sore throat' },
    });
  const noKey = await book(a.key, slots[0].id);
  t.equal(noKey.statusCode, 400);
  t.match(noKey.json(), { code: 'SB_ERR_VALIDATION', errors: [{ in: 'headers' }] });

  const first = await book(a.key, slots[0].id, 'booking-key-1');
  t.equal(first.statusCode, 201);
  const booking = first.json();
  t.match(booking, { state: 'pending', practiceId: practice.id, appointmentTypeId: typeId, failure: null });
  t.notMatch(
    first.body,
    /Alice|Jones|1984-02-29|29\/02\/1984|9990000018|Sore throat/,
    'no patient data in the response',
  );

  const replay = await book(a.key, slots[0].id, 'booking-key-1');
  t.equal(replay.statusCode, 200);
  t.equal(replay.json().id, booking.id);

  const second = await book(a.key, slots[0].id, 'booking-key-2');
  t.equal(second.statusCode, 409);
  t.match(second.headers['content-type'], /^application\/problem\+json/);
  t.same(second.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_SLOT_TAKEN',
    title: 'Slot taken',
    status: 409,
    code: 'SB_ERR_SLOT_TAKEN',
    detail: `Slot ${slots[0].id} is already booked`,
    fix: 'Offer the patient another slot from GET /v1/practices/{practiceId}/slots.',
    instance: `/v1/practices/${practice.id}/bookings`,
  });
  t.equal(
    (await book(b.key, slots[1].id, 'booking-key-3')).statusCode,
    404,
    "another partner can't book here",
  );

  let state = booking.state;
  for (let i = 0; i < 50 && state === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = (
      await app.inject({ url: `/v1/practices/${practice.id}/bookings/${booking.id}`, headers: bearer(a.key) })
    ).json().state;
  }
  t.equal(state, 'confirmed');
  t.ok(memory.booked.has('s1'), 'written to the EHR');
  const after = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json().data;
  t.same(
    after.map((s: { id: string }) => s.id),
    [slots[1].id, slots[2].id],
  );
  t.notMatch(logs.join(''), /Alice|Jones|1984-02-29|9990000018|Sore throat/, 'no patient data in the logs');
});
