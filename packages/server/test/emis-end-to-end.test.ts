/**
 * The whole path over real HTTP: our API → the EMIS plugin → the EMIS sandbox, and back.
 */
import emisPlugin from '@slotbridge/plugin-emis';
import { createEmisSandbox } from '@slotbridge/plugin-emis/sandbox';
import t from 'tap';
import { setUpFromCatalogue } from '../src/demo.ts';
import { bearer, testApp } from './helpers/test-app.ts';

interface BookingBody {
  state: string;
  slot: { ehrSlotId: string };
  failure: { code: string } | null;
}

async function settle(fetchState: () => Promise<BookingBody>, from: string[]) {
  let booking = await fetchState();
  for (let i = 0; i < 80 && from.includes(booking.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    booking = await fetchState();
  }
  return booking;
}

t.test('a booking made through the API lands in the EMIS diary; cancelling frees it', async (t) => {
  const sandbox = await createEmisSandbox({ demo: { days: 7 } });
  await sandbox.listen();
  const { app, slotbridge, partner, close } = await testApp({ ehrPlugins: [emisPlugin], workers: true });
  t.teardown(async () => {
    await close();
    await sandbox.close();
  });
  const a = await partner('A');
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'EMIS practice', ehr: 'emis', timeZone: 'Europe/London', odsCode: 'A81001' },
    })
  ).json();
  const connection = await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers: bearer(a.key),
    payload: sandbox.connection(),
  });
  t.equal(connection.statusCode, 200);
  t.match(connection.json(), { status: 'healthy', secrets: { apiPassword: 'set' } });
  t.notMatch(connection.body, new RegExp(sandbox.connection().apiPassword));
  await setUpFromCatalogue(slotbridge, (await slotbridge.apiKeys.authenticate(a.key))!, practice.id);

  const sync = (
    await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers: bearer(a.key) })
  ).json();
  t.equal(sync.status, 'succeeded');
  t.ok(sync.counts.inserted > 50, `${sync.counts.inserted} slots stored`);

  const slots = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json().data;
  t.ok(slots.length > 0);
  const slot = slots[0];
  const booked = await app.inject({
    method: 'POST',
    url: `/v1/practices/${practice.id}/bookings`,
    headers: { ...bearer(a.key), 'idempotency-key': 'e2e-booking-0001' },
    payload: {
      slotId: slot.id,
      patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
    },
  });
  t.equal(booked.statusCode, 201);
  const bookingUrl = `/v1/practices/${practice.id}/bookings/${booked.json().id}`;
  const confirmed = await settle(
    async () => (await app.inject({ url: bookingUrl, headers: bearer(a.key) })).json(),
    ['pending'],
  );
  t.equal(confirmed.state, 'confirmed');

  // In the sandbox's diary, read over its HTTP control surface like the README does.
  const ehrSlotId = confirmed.slot.ehrSlotId;
  const inDiary = await (await fetch(`${sandbox.url}/_sandbox/slots/${ehrSlotId}`)).json();
  t.match(inDiary, { slotId: Number(ehrSlotId), status: 'Booked', patientNumber: 9001 });

  const second = await app.inject({
    method: 'POST',
    url: `/v1/practices/${practice.id}/bookings`,
    headers: { ...bearer(a.key), 'idempotency-key': 'e2e-booking-0002' },
    payload: {
      slotId: slot.id,
      patient: { firstName: 'Bashir', lastName: 'Khan', dateOfBirth: '1957-11-03' },
    },
  });
  t.equal(second.statusCode, 409);
  t.equal(second.json().code, 'SB_ERR_SLOT_TAKEN');

  // A bare POST with no body, as the README's curl sends it.
  const cancel = await app.inject({ method: 'POST', url: `${bookingUrl}/cancel`, headers: bearer(a.key) });
  t.equal(cancel.json().state, 'cancelling');
  const cancelled = await settle(
    async () => (await app.inject({ url: bookingUrl, headers: bearer(a.key) })).json(),
    ['cancelling'],
  );
  t.equal(cancelled.state, 'cancelled');
  t.match(await (await fetch(`${sandbox.url}/_sandbox/slots/${ehrSlotId}`)).json(), {
    status: 'Slot Available',
    patientNumber: null,
  });
});

t.test('reception books a slot in EMIS: the next sync takes it off offer', async (t) => {
  const sandbox = await createEmisSandbox({ demo: { days: 7 } });
  await sandbox.listen();
  const { app, slotbridge, partner, close } = await testApp({ ehrPlugins: [emisPlugin] });
  t.teardown(async () => {
    await close();
    await sandbox.close();
  });
  const a = await partner('A');
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'EMIS practice', ehr: 'emis', timeZone: 'Europe/London' },
    })
  ).json();
  await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers: bearer(a.key),
    payload: sandbox.connection(),
  });
  await setUpFromCatalogue(slotbridge, (await slotbridge.apiKeys.authenticate(a.key))!, practice.id);
  await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers: bearer(a.key) });
  const before = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json().data;
  const target = before[0];
  const stored = await slotbridge.db
    .selectFrom('slots')
    .select('ehr_slot_id')
    .where('id', '=', target.id)
    .executeTakeFirstOrThrow();

  const reception = await fetch(`${sandbox.url}/_sandbox/reception/book`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slotId: Number(stored.ehr_slot_id), patientNumber: 9002 }),
  });
  t.equal(reception.status, 204);
  const run = (
    await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers: bearer(a.key) })
  ).json();
  t.match(run.counts, { inserted: 0, updated: 1, deleted: 0 });
  const after = (
    await app.inject({ url: `/v1/practices/${practice.id}/slots`, headers: bearer(a.key) })
  ).json().data;
  t.equal(after.length, before.length - 1);
  t.notOk(after.some((s: { id: string }) => s.id === target.id));
});
