/**
 * SystmOne through our API, over real TCP to its sandbox: a booking by NHS number lands in the
 * diary; a patient SystmOne cannot match is held against the practice's placeholder record and
 * resolved by the practice through the API (SystmOne lists free slots only, so no sync can).
 */
import systmonePlugin from '@slotbridge/plugin-systmone';
import { createSystmOneSandbox, DEMO_PLACEHOLDER_NHS_NUMBER } from '@slotbridge/plugin-systmone/sandbox';
import t from 'tap';
import { setUpFromCatalogue } from '../src/demo.ts';
import { bearer, testApp } from './helpers/test-app.ts';

t.test('SystmOne: booked by NHS number; an unmatched patient held, listed and resolved', async (t) => {
  const sandbox = await createSystmOneSandbox({ demo: { days: 7 } });
  const { app, slotbridge, partner, close } = await testApp({ ehrPlugins: [systmonePlugin], workers: true });
  t.teardown(async () => {
    await close();
    await sandbox.close();
  });
  const { key } = await partner('A');
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, headers = {}) =>
    app.inject({ method, url, headers: { ...bearer(key), ...headers }, ...(payload && { payload }) });
  const practice = (
    await call('POST', '/v1/practices', {
      name: 'Hillview',
      ehr: 'systmone',
      timeZone: 'Europe/London',
      odsCode: 'B82001',
    })
  ).json();
  const p = `/v1/practices/${practice.id}`;
  const saved = await call('PUT', `${p}/connection`, {
    ...sandbox.connection(),
    placeholderNhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
  });
  t.match(saved.json(), { status: 'healthy', secrets: { apiKey: 'set' } });
  await setUpFromCatalogue(slotbridge, (await slotbridge.apiKeys.authenticate(key))!, practice.id);
  t.equal((await call('POST', `${p}/sync`)).json().status, 'succeeded');
  const [first, second] = (await call('GET', `${p}/slots`)).json().data;

  const settle = async (id: string) => {
    let booking = (await call('GET', `${p}/bookings/${id}`)).json();
    for (let i = 0; i < 80 && booking.state === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      booking = (await call('GET', `${p}/bookings/${id}`)).json();
    }
    return booking;
  };
  const book = async (slotId: string, idempotencyKey: string, patient: object) =>
    (await call('POST', `${p}/bookings`, { slotId, patient }, { 'idempotency-key': idempotencyKey })).json();

  const alice = await settle(
    (
      await book(first.id, 'tpp-0001', {
        firstName: 'Alice',
        lastName: 'Jones',
        dateOfBirth: '1984-02-29',
        nhsNumber: '9990000018',
      })
    ).id,
  );
  t.equal(alice.state, 'confirmed');
  t.ok(
    sandbox.diary.appointments().some((a) => a.nhsNumber === '9990000018' && a.status !== 'Cancelled'),
    'in the SystmOne diary for her NHS number',
  );

  const held = await settle(
    (await book(second.id, 'tpp-0002', { firstName: 'John', lastName: 'Smith', dateOfBirth: '1970-01-01' }))
      .id,
  );
  t.equal(held.state, 'needs_reconciliation');
  const placeholder = sandbox.diary.appointments().find((a) => a.nhsNumber === DEMO_PLACEHOLDER_NHS_NUMBER)!;
  t.match(placeholder.comments, /Online booking .*could not match John Smith/, 'a note for reception');
  t.same(
    (await call('GET', `${p}/reconciliation`)).json().data.map((r: { bookingId: string }) => r.bookingId),
    [held.id],
  );
  t.match((await call('POST', `${p}/reconciliation/${held.id}/resolve`)).json(), { state: 'confirmed' });
  t.same((await call('GET', `${p}/reconciliation`)).json().data, []);
});
