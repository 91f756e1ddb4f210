/**
 * Issue #3's "done when": a practice set up from nothing to bookable slots through the API
 * alone — over HTTP to our API, and over HTTP from the plugin to the EMIS sandbox.
 */
import emisPlugin from '@slotbridge/plugin-emis';
import { createEmisSandbox, DEMO_SLOT_TYPE } from '@slotbridge/plugin-emis/sandbox';
import t from 'tap';
import { bearer, testApp } from './helpers/test-app.ts';

t.test('from nothing to a confirmed booking, through the API alone', async (t) => {
  const sandbox = await createEmisSandbox({ demo: { days: 7 } });
  await sandbox.listen();
  const { app, partner, close } = await testApp({ ehrPlugins: [emisPlugin], workers: true });
  t.teardown(async () => {
    await close();
    await sandbox.close();
  });
  const { key } = await partner('Hero-like partner');
  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...bearer(key), ...headers },
      ...(payload && { payload }),
    });
    t.ok(res.statusCode < 300, `${method} ${url} → ${res.statusCode}`);
    return res.statusCode === 204 ? null : res.json();
  };

  const practice = await api('POST', '/v1/practices', {
    name: 'Riverside Surgery',
    ehr: 'emis',
    odsCode: 'A81001',
    timeZone: 'Europe/London',
  });
  const p = `/v1/practices/${practice.id}`;
  t.match(await api('PUT', `${p}/connection`, sandbox.connection()), { status: 'healthy' });

  const gp = await api('POST', `${p}/appointment-types`, { name: 'GP appointment', durationMinutes: 10 });
  const phone = await api('POST', `${p}/appointment-types`, { name: 'Phone call', durationMinutes: 10 });
  const riverside = await api('POST', `${p}/locations`, { name: 'Riverside' });
  const hillview = await api('POST', `${p}/locations`, { name: 'Hillview' });

  const discovery = await api('POST', `${p}/discover`);
  t.match(discovery, { gone: [], mappingsPointingAtGone: [] });
  const ehrPractitioners = (await api('GET', `${p}/ehr/practitioners`)).data;
  const ehrSites = (await api('GET', `${p}/ehr/locations`)).data;
  const ehrSlotTypes = (await api('GET', `${p}/ehr/slot-types`)).data;
  t.ok(ehrPractitioners.length >= 2 && ehrSites.length === 2 && ehrSlotTypes.length >= 4);

  // Stage 1: one practitioner of ours per EHR session holder, plus one offering through us only.
  const rows = [];
  for (const holder of ehrPractitioners) {
    const ours = await api('POST', `${p}/practitioners`, { name: holder.name });
    rows.push({ practitionerId: ours.id, ehrPractitionerId: holder.ehrId });
  }
  const online = await api('POST', `${p}/practitioners`, { name: 'Online-only physio' });
  rows.push({ practitionerId: online.id, ehrPractitionerId: null });
  await api('PUT', `${p}/mappings/practitioners`, { rows });
  // Stage 2.
  const siteId = (name: string) => ehrSites.find((s: { name: string }) => s.name.startsWith(name)).ehrId;
  await api('PUT', `${p}/mappings/locations`, {
    rows: [
      { locationId: riverside.id, ehrLocationId: siteId('Riverside') },
      { locationId: hillview.id, ehrLocationId: siteId('Hillview') },
    ],
  });
  // Stage 3.
  await api('PUT', `${p}/mappings/slot-types`, {
    rows: [
      { ehrSlotTypeId: DEMO_SLOT_TYPE.ROUTINE_GP, feature: 'bookable', appointmentTypeId: gp.id },
      { ehrSlotTypeId: DEMO_SLOT_TYPE.TELEPHONE, feature: 'bookable', appointmentTypeId: phone.id },
      { ehrSlotTypeId: DEMO_SLOT_TYPE.NURSE, feature: 'not_bookable', appointmentTypeId: 'disabled' },
      {
        ehrSlotTypeId: DEMO_SLOT_TYPE.UNREGISTERED_PATIENT,
        feature: 'unregistered_patient',
        appointmentTypeId: null,
      },
    ],
  });
  // Stage 4.
  await api('PUT', `${p}/mappings/appointment-types`, {
    rows: [
      { appointmentTypeId: gp.id, ehrSlotTypeId: DEMO_SLOT_TYPE.ROUTINE_GP },
      { appointmentTypeId: phone.id, ehrSlotTypeId: null },
    ],
  });
  await api('PUT', `${p}/active-slot-types`, {
    ehrSlotTypeIds: [
      DEMO_SLOT_TYPE.ROUTINE_GP,
      DEMO_SLOT_TYPE.TELEPHONE,
      DEMO_SLOT_TYPE.UNREGISTERED_PATIENT,
    ],
  });

  const run = await api('POST', `${p}/sync`);
  t.equal(run.status, 'succeeded');
  const slots = (await api('GET', `${p}/slots?appointmentTypeId=${gp.id}`)).data;
  t.ok(slots.length > 0, `${slots.length} GP slots offered`);
  t.ok(slots.every((s: { appointmentType: { id: string } }) => s.appointmentType.id === gp.id));
  const phoneSlots = (await api('GET', `${p}/slots?appointmentTypeId=${phone.id}`)).data;
  t.ok(phoneSlots.length > 0, 'telephone slots offered too');

  const booking = await api(
    'POST',
    `${p}/bookings`,
    { slotId: slots[0].id, patient: { firstName: 'Bashir', lastName: 'Khan', dateOfBirth: '1957-11-03' } },
    { 'idempotency-key': 'from-nothing-0001' },
  );
  let state = booking.state;
  for (let i = 0; i < 60 && state === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = (await api('GET', `${p}/bookings/${booking.id}`)).state;
  }
  t.equal(state, 'confirmed');
  t.match(sandbox.diary.slot(Number(booking.slot.ehrSlotId)), { status: 'Booked', patientNumber: 9002 });

  const audit = (await api('GET', `${p}/audit?limit=200`)).data.map((e: { action: string }) => e.action);
  for (const action of [
    'connection.saved',
    'practitioner_mappings.replaced',
    'location_mappings.replaced',
    'slot_type_mappings.replaced',
    'appointment_type_mappings.replaced',
    'active_slot_types.replaced',
  ]) {
    t.ok(audit.includes(action), `audited: ${action}`);
  }
});
