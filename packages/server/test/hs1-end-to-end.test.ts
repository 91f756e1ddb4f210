/**
 * Issue #5 through our API, over real HTTP to the HS1 Exact sandbox: the 30/90-day horizon,
 * stacking, booking Pending → Confirmed, no online cancellation (refused, nothing written), a
 * cancellation made in Exact coming back at the next sync, and an Australian practice's times.
 */
import hs1ExactPlugin from '@slotbridge/plugin-hs1-exact';
import { createHs1ExactSandbox } from '@slotbridge/plugin-hs1-exact/sandbox';
import t, { type Test } from 'tap';
import { setUpFromCatalogue } from '../src/demo.ts';
import { bearer, testApp } from './helpers/test-app.ts';

async function hs1Practice(t: Test) {
  const sandbox = await createHs1ExactSandbox({ timeZone: 'Australia/Sydney', demo: { days: 14 } });
  await sandbox.listen();
  const setup = await testApp({ ehrPlugins: [hs1ExactPlugin], workers: true });
  t.teardown(async () => {
    await setup.close();
    await sandbox.close();
  });
  const { key } = await setup.partner('Healthengine-like partner');
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object, headers = {}) =>
    setup.app.inject({ method, url, headers: { ...bearer(key), ...headers }, ...(payload && { payload }) });
  const practice = (
    await call('POST', '/v1/practices', {
      name: 'Harbourside Dental',
      ehr: 'hs1-exact',
      timeZone: 'Australia/Sydney',
    })
  ).json();
  const p = `/v1/practices/${practice.id}`;
  const saved = await call('PUT', `${p}/connection`, sandbox.connection());
  await setUpFromCatalogue(
    setup.slotbridge,
    (await setup.slotbridge.apiKeys.authenticate(key))!,
    practice.id,
  );
  return { ...setup, sandbox, call, practice, p, saved };
}

async function settle(call: (m: 'GET', u: string) => Promise<{ json(): { state: string } }>, url: string) {
  let booking = (await call('GET', url)).json();
  for (let i = 0; i < 80 && booking.state === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    booking = (await call('GET', url)).json();
  }
  return booking;
}

t.test('the publishing horizon: 30 days by default, 90 at most, 91 refused saying the maximum', async (t) => {
  const { call, practice, p, saved } = await hs1Practice(t);
  t.match(saved.json(), { status: 'healthy' });
  t.equal(practice.publishingHorizonDays, 30);
  t.equal((await call('PATCH', p, { publishingHorizonDays: 90 })).json().publishingHorizonDays, 90);
  const tooLong = await call('PATCH', p, { publishingHorizonDays: 91 });
  t.equal(tooLong.statusCode, 422);
  t.match(tooLong.headers['content-type'], /problem\+json/);
  t.match(tooLong.json(), {
    code: 'SB_ERR_HORIZON_TOO_LONG',
    detail: 'The publishing horizon must be between 1 and 90 days for hs1-exact; 91 was asked for',
    max: 90,
  });
  const plugins = (await call('GET', '/v1/plugins')).json().data;
  t.match(
    plugins.find((x: { id: string }) => x.id === 'hs1-exact'),
    {
      capabilities: { cancel: false, reschedule: false, publishingHorizonDays: { default: 30, max: 90 } },
    },
  );
});

t.test(
  'a booking is inserted into the Exact diary; cancel and reschedule are refused, nothing written',
  async (t) => {
    const { call, p, sandbox, slotbridge } = await hs1Practice(t);
    t.equal((await call('POST', `${p}/sync`)).json().status, 'succeeded');
    const slots = (await call('GET', `${p}/slots`)).json().data;
    t.ok(slots.length > 0);
    t.match(slots[0].start, /\+1[01]:00$/, 'Sydney local time, with its offset');

    const created = await call(
      'POST',
      `${p}/bookings`,
      { slotId: slots[0].id, patient: { firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1992-06-14' } },
      { 'idempotency-key': 'hs1-booking-0001' },
    );
    t.equal(created.statusCode, 201);
    const url = `${p}/bookings/${created.json().id}`;
    const booking = await settle(call, url);
    t.equal(booking.state, 'confirmed');
    const inExact = sandbox.practiceServer.appointments().find((a) => a.externalRef === created.json().id)!;
    t.match(inExact, { status: 'Confirmed', statusHistory: ['Pending', 'Confirmed'], source: 'online' });

    const callsBefore = sandbox.calls.length;
    const cancel = await call('POST', `${url}/cancel`);
    t.equal(cancel.statusCode, 409);
    t.match(cancel.json(), {
      code: 'SB_ERR_CANCEL_UNSUPPORTED',
      detail: 'Online cancellation is not supported for HS1 Exact; the practice cancels in HS1 Exact',
    });
    const reschedule = await call(
      'POST',
      `${url}/reschedule`,
      { slotId: slots[1].id },
      { 'idempotency-key': 'hs1-move-1' },
    );
    t.equal(reschedule.statusCode, 409);
    t.equal(reschedule.json().code, 'SB_ERR_RESCHEDULE_UNSUPPORTED');
    t.equal(sandbox.calls.length, callsBefore, 'nothing reached Exact');
    t.equal((await call('GET', url)).json().state, 'confirmed', 'the booking is untouched');
    const commands = await slotbridge.db.selectFrom('outbox_commands').select('kind').execute();
    t.same(commands, [{ kind: 'book' }], 'no cancel command was stored');

    // The practice cancels in Exact: the next sync brings it back and frees the time.
    sandbox.practiceServer.setAppointmentStatus(inExact.id, 'Cancelled');
    const run = (await call('POST', `${p}/sync`)).json();
    t.equal(run.counts.bookingsChanged, 1);
    t.equal((await call('GET', url)).json().state, 'cancelled_in_ehr');
  },
);

t.test('stacking off publishes the first slot after each break; on, every slot', async (t) => {
  const { call, p, sandbox } = await hs1Practice(t);
  await call('POST', `${p}/sync`);
  const off = (await call('GET', `${p}/slots?limit=1000`)).json().data.length;
  sandbox.practiceServer.setAppointmentStacking(true);
  await call('POST', `${p}/sync`);
  const on = (await call('GET', `${p}/slots?limit=1000`)).json().data.length;
  t.ok(on > off * 3, `stacking on offers many more slots (${on} vs ${off})`);

  sandbox.practiceServer.setAppointmentStacking(false);
  await call('POST', `${p}/sync`);
  const date = (await call('GET', `${p}/slots`)).json().data[0].start.slice(0, 10);
  const diagnosis = (await call('GET', `${p}/diagnostics/availability?date=${date}`)).json();
  const stacking = diagnosis.checks.find((c: { id: string }) => /stacking/.test(c.id));
  t.match(
    stacking,
    { status: 'fail', fix: /Appointment Stacking/ },
    'the diagnostics name stacking, with the fix',
  );
});
