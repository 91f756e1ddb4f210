/**
 * Round trip against the published GP Connect 1.2.7 examples: the plugin reads each response
 * example it consumes into its model without losing what it needs; the sandbox, seeded with an
 * example's data, answers in the example's wire shape; the requests the plugin builds have the
 * request examples' shape. Shapes are compared structurally (keys and value types), so ids,
 * versions and timestamps may differ.
 */
import t from 'tap';
import { patientIdOf, slotIdsOf } from '../src/appointment.ts';
import {
  type Appointment,
  amendmentOf,
  type Bundle,
  bookingAppointment,
  type CapabilityStatement,
  cancellationOf,
  GpConnectClient,
  missingInteractions,
  readSlotBundle,
} from '../src/index.ts';
import { createGpConnectSandbox, DEMO_PATIENTS } from '../src/sandbox/index.ts';
import { ctxFor, fixture, shapeOf } from './helpers.ts';

const ZONE = 'Europe/London';
const signal = new AbortController().signal;

async function fixtureSandbox(t: { teardown(fn: () => unknown): void }) {
  const sandbox = await createGpConnectSandbox({ timeZone: ZONE, demo: { days: 1 } });
  await sandbox.listen();
  t.teardown(() => sandbox.close());
  const { diary } = sandbox;
  // The search example's practice: Organization 23 (A00001), Location 17, Practitioner 2, Schedule 14.
  diary.clear();
  diary.organisation = { id: '23', odsCode: 'A00001', name: 'The Trevelyan Practice' };
  diary.locations.set('17', {
    id: '17',
    name: 'The Trevelyan Practice',
    line: ['Trevelyan Square', 'Boar Ln', 'Leeds'],
    postalCode: 'LS1 6AE',
    phone: '03003035678',
  });
  diary.practitioners.set('2', {
    id: '2',
    prefix: 'Mrs',
    given: 'Sarah',
    family: 'Black',
    gender: 'female',
    sdsUserId: '111122223333',
    roleCode: 'R0260',
    roleDisplay: 'General Medical Practitioner',
  });
  diary.schedules.set('14', {
    id: '14',
    practitionerId: '2',
    locationId: '17',
    serviceCategory: 'General GP Appointments',
  });
  diary.patients.set('1', { ...DEMO_PATIENTS[0] });
  diary.addSlot({
    id: '1584',
    scheduleId: '14',
    serviceType: 'General GP Appointment',
    deliveryChannel: 'In-person',
    start: new Date('2016-08-15T11:30:00+01:00'),
    end: new Date('2016-08-15T11:40:00+01:00'),
  });
  diary.addSlot({
    id: '1644',
    scheduleId: '14',
    serviceType: 'NHS Health Check',
    deliveryChannel: 'In-person',
    start: new Date('2016-08-15T11:40:00+01:00'),
    end: new Date('2016-08-15T11:50:00+01:00'),
  });
  const connection = { ...sandbox.connection(), odsCode: 'A00001' };
  return { sandbox, connection, client: new GpConnectClient(connection) };
}

t.test(
  'search for free slots: the example reads into the model, and the sandbox answers its shape',
  async (t) => {
    const example = fixture<Bundle>('search_for_free_slots_response');
    const read = readSlotBundle(example);
    t.same(read.unreadable, [], 'every slot of the example is readable');
    t.same(
      read.slots.map((s) => ({
        id: s.id,
        schedule: s.scheduleId,
        practitioner: s.practitionerId,
        location: s.locationId,
        type: s.slotTypeId,
        start: s.start.toISOString(),
        end: s.end.toISOString(),
      })),
      [
        {
          id: '1584',
          schedule: '14',
          practitioner: '2',
          location: '17',
          type: 'general-gp-appointment~in-person',
          start: '2016-08-15T10:30:00.000Z',
          end: '2016-08-15T10:40:00.000Z',
        },
        {
          id: '1644',
          schedule: '14',
          practitioner: '2',
          location: '17',
          type: 'nhs-health-check~in-person',
          start: '2016-08-15T10:40:00.000Z',
          end: '2016-08-15T10:50:00.000Z',
        },
      ],
      'slots, schedule, practitioner, location, slot type and UTC instants from the +01:00 offsets',
    );
    t.same(read.practitioners.get('2'), {
      id: '2',
      name: 'Mrs Sarah Black',
      gender: 'female',
      role: 'General Medical Practitioner',
      sdsUserId: '111122223333',
    });
    t.same(read.locations.get('17'), {
      id: '17',
      name: 'The Trevelyan Practice',
      managingOrganizationId: '23',
    });

    const { client } = await fixtureSandbox(t);
    const answer = await client.searchFreeSlots(
      { start: new Date('2016-08-15T00:00:00+01:00'), end: new Date('2016-08-16T00:00:00+01:00') },
      ZONE,
      signal,
    );
    t.same(shapeOf(answer), shapeOf(example), 'the sandbox bundle has the example bundle’s structure');
    t.same(
      (answer.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`),
      (example.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`),
      'the same resources, in the same order',
    );
    const again = readSlotBundle(answer);
    t.same(
      again.slots.map(({ versionId: _v, ...s }) => s),
      read.slots.map(({ versionId: _v, ...s }) => s),
      'and it reads into the same model (versions aside)',
    );
    t.equal(
      (answer.entry![0]!.resource as unknown as { start: string }).start,
      '2016-08-15T11:30:00+01:00',
      'local wall time with the BST offset',
    );
  },
);

t.test('capability statement, find an organisation, find a patient', async (t) => {
  const capability = fixture<CapabilityStatement>('get_capability_statement_response');
  t.equal(capability.version, '1.2.7');
  t.same(missingInteractions(capability), [], 'the example offers every interaction slotbridge needs');
  const organisations = fixture<Bundle>('find_organization_response');
  const patients = fixture<Bundle>('find_patient_response');

  const { client, sandbox } = await fixtureSandbox(t);
  t.same(
    shapeOf(await client.capabilityStatement(signal)),
    shapeOf(capability),
    'capability statement shape',
  );
  const orgs = await client.findOrganisations('A00001', signal);
  t.equal(orgs.length, 1);
  t.same(
    shapeOf({ ...organisations, entry: orgs.map((resource) => ({ resource })) }),
    shapeOf(organisations),
    'Organization shape',
  );
  const found = await client.findPatients(DEMO_PATIENTS[0].nhsNumber, signal);
  t.equal(found.length, 1);
  t.same(
    shapeOf({ ...patients, entry: found.map((resource) => ({ resource })) }),
    shapeOf(patients),
    'Patient shape',
  );
  t.equal(found[0]!.birthDate, DEMO_PATIENTS[0].birthDate);
  t.same(await client.findPatients('9434765919', signal), [], 'an unknown NHS number: an empty bundle');
  void sandbox;
});

t.test('book, read, amend, cancel, retrieve: requests and answers in the examples’ shapes', async (t) => {
  const { client, sandbox, connection } = await fixtureSandbox(t);
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCHours(10, 0, 0, 0);
  const slot = sandbox.diary.addSlot({
    scheduleId: '14',
    serviceType: 'General GP Appointment',
    deliveryChannel: 'In-person',
    start,
    end: new Date(start.getTime() + 600_000),
  });

  const request = bookingAppointment(connection, {
    slotIds: [slot.id],
    start: slot.start,
    end: slot.end,
    patientId: '1',
    locationId: '17',
    practitionerId: null,
    description: 'Free text description.',
    comment: 'Free text comment.',
    created: new Date(),
    timeZone: ZONE,
  });
  t.same(
    shapeOf(request),
    shapeOf(fixture('book_appt_request')),
    'the booking request has book_appt_request’s shape',
  );

  const booked = await client.bookAppointment(request, signal);
  t.ok(booked.versionId, 'the answer carries a version (ETag)');
  // book_appt_response's contained Organization has no `type` (its request sent none): ours sent one,
  // so the answer is compared with read_appt_response, which has it.
  t.same(
    shapeOf(booked.resource),
    shapeOf(fixture('read_appt_response')),
    'the booking answer has read_appt_response’s shape',
  );
  t.equal(sandbox.diary.slot(slot.id).status, 'busy', 'the slot is busy');

  const read = await client.readAppointment(booked.resource.id!, signal);
  t.same(shapeOf(read.resource), shapeOf(fixture('read_appt_response')), 'read answer shape');
  for (const example of [
    'read_appt_response',
    'book_appt_response',
    'amend_appt_response',
    'cancel_appt_response',
  ] as const) {
    const a = fixture<Appointment>(example);
    t.ok(
      patientIdOf(a) && slotIdsOf(a).length > 0 && a.meta?.versionId,
      `${example}: patient, slots and version read`,
    );
  }

  const amend = amendmentOf(read.resource, { description: 'Free text description updated.' });
  // The amend request: the appointment as read (id and version included), only description changed.
  const asRead = fixture<Appointment>('book_appt_request');
  const amendRequest = amendmentOf(
    { ...asRead, id: '9', meta: { ...asRead.meta, versionId: '1' } },
    { description: 'Free text description updated.' },
  );
  t.same(
    shapeOf(amendRequest),
    shapeOf(fixture('amend_appt_request')),
    'the amend request has amend_appt_request’s shape',
  );
  const amended = await client.updateAppointment(amend, read.versionId!, 'amend', signal);
  t.equal(amended.resource.description, 'Free text description updated.');
  t.same(shapeOf(amended.resource), shapeOf(fixture('read_appt_response')), 'amend answer shape');
  t.not(amended.versionId, read.versionId, 'a new version');

  const stale = await client
    .updateAppointment(cancellationOf(read.resource, 'x'), read.versionId!, 'cancel', signal)
    .catch((e) => e);
  t.equal(stale.code, 'GPCONNECT_ERR_VERSION_CONFLICT', 'a stale If-Match: 409, a version conflict');

  const cancelRequest = cancellationOf(
    fixture<Appointment>('amend_appt_request'),
    'Free text cancellation reason.',
  );
  t.same(
    shapeOf(cancelRequest),
    shapeOf(fixture('cancel_appt_request')),
    'the cancel request has cancel_appt_request’s shape',
  );
  const cancelled = await client.updateAppointment(
    cancellationOf(amended.resource, 'Free text cancellation reason.'),
    amended.versionId!,
    'cancel',
    signal,
  );
  t.equal(cancelled.resource.status, 'cancelled');
  t.same(
    shapeOf(cancelled.resource),
    shapeOf({
      ...fixture<Appointment>('cancel_appt_response'),
      contained: fixture<Appointment>('read_appt_response').contained,
    }),
    'cancel answer shape (contained as read)',
  );
  t.equal(sandbox.diary.slot(slot.id).status, 'free', 'the slot is free again');

  const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(start);
  const appointments = await client.patientAppointments('1', { fromDate: day, toDate: day }, signal);
  t.equal(appointments.length, 1, 'retrieve lists the cancelled appointment too');
  const retrieveExample = fixture<Bundle>('retrieve_patients_appts_response');
  t.same(
    shapeOf({
      ...retrieveExample,
      entry: [...appointments, read.resource].map((resource) => ({ resource })),
    }),
    shapeOf({
      ...retrieveExample,
      entry: [...(retrieveExample.entry ?? []), { resource: cancelled.resource }],
    }),
    'retrieve answer shape',
  );
  void ctxFor;
});
