import t, { type Test } from 'tap';
import { listAuditEvents } from '../src/audit.ts';
import { CoreErrorCode } from '../src/errors.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The memory practice, and a second practice of the same partner with an empty catalogue. */
async function twoPractices(t: Test) {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const other = await setup.slotbridge.practices.create(setup.caller, {
    name: 'Other practice',
    ehr: 'memory',
    timeZone: 'Europe/London',
  });
  return { ...setup, other };
}

t.test('practitioners, locations and appointment types: create, list, get, change, delete', async (t) => {
  const { slotbridge, caller, other } = await twoPractices(t);
  const { catalogue } = slotbridge;

  const blake = await catalogue.create(caller, other, 'practitioner', { name: 'Ms Test Blake' });
  t.same(blake, {
    id: blake.id,
    name: 'Ms Test Blake',
    createdAt: blake.createdAt,
    updatedAt: blake.createdAt,
  });
  t.match(blake.createdAt, isoTime);
  const singh = await catalogue.create(caller, other, 'practitioner', { name: 'Dr Test Singh' });
  t.same(await catalogue.list(other, 'practitioner'), [blake, singh], 'oldest first');
  t.same(await catalogue.get(other, 'practitioner', blake.id), blake);

  const renamed = await catalogue.update(caller, other, 'practitioner', blake.id, { name: 'Ms T Blake' });
  t.same(renamed, { ...blake, name: 'Ms T Blake', updatedAt: renamed.updatedAt });
  t.ok(renamed.updatedAt >= blake.updatedAt, 'updatedAt moves on');
  t.same(
    await catalogue.update(caller, other, 'practitioner', blake.id, { name: 'Ms T Blake' }),
    renamed,
    'a change to the same value changes nothing',
  );

  const riverside = await catalogue.create(caller, other, 'location', { name: 'Riverside' });
  t.same(await catalogue.list(other, 'location'), [riverside]);

  const routine = await catalogue.create(caller, other, 'appointment_type', {
    name: 'Routine',
    durationMinutes: 10,
  });
  t.same(routine, {
    id: routine.id,
    name: 'Routine',
    durationMinutes: 10,
    createdAt: routine.createdAt,
    updatedAt: routine.createdAt,
  });
  const longer = await catalogue.update(caller, other, 'appointment_type', routine.id, {
    durationMinutes: 20,
  });
  t.same(longer, { ...routine, durationMinutes: 20, updatedAt: longer.updatedAt });
  t.same(await catalogue.list(other, 'appointment_type'), [longer]);

  await catalogue.delete(caller, other, 'practitioner', singh.id);
  await catalogue.delete(caller, other, 'location', riverside.id);
  await catalogue.delete(caller, other, 'appointment_type', routine.id);
  t.same(await catalogue.list(other, 'practitioner'), [renamed]);
  t.same(await catalogue.list(other, 'location'), []);
  t.same(await catalogue.list(other, 'appointment_type'), []);
  await t.rejects(catalogue.get(other, 'location', riverside.id), {
    code: CoreErrorCode.LOCATION_NOT_FOUND,
    category: 'not_found',
    message: `No location ${riverside.id} at this practice`,
    fix: "Check the id; GET /v1/practices/{practiceId}/locations lists this practice's locations.",
  });
});

t.test('an id of another practice is not found, and the entry is left as it was', async (t) => {
  const { slotbridge, caller, practice, other, appointmentTypeId } = await twoPractices(t);
  const { catalogue } = slotbridge;
  const [drTest] = await catalogue.list(practice, 'practitioner');
  const notFound = (code: string) => ({ code, category: 'not_found' });

  await t.rejects(
    catalogue.get(other, 'practitioner', drTest!.id),
    notFound('SB_ERR_PRACTITIONER_NOT_FOUND'),
  );
  await t.rejects(
    catalogue.update(caller, other, 'practitioner', drTest!.id, { name: 'taken over' }),
    notFound('SB_ERR_PRACTITIONER_NOT_FOUND'),
  );
  await t.rejects(
    catalogue.delete(caller, other, 'appointment_type', appointmentTypeId),
    notFound('SB_ERR_APPOINTMENT_TYPE_NOT_FOUND'),
  );
  t.same(await catalogue.get(practice, 'practitioner', drTest!.id), drTest);
  t.equal((await catalogue.get(practice, 'appointment_type', appointmentTypeId)).name, 'GP appointment');
});

t.test('deleting a practitioner or a location deletes its mapping row, and the audit says so', async (t) => {
  const { slotbridge, caller, practice } = await twoPractices(t);
  const { catalogue, db } = slotbridge;
  const [drTest] = await catalogue.list(practice, 'practitioner');
  const [mainSite] = await catalogue.list(practice, 'location');

  await catalogue.delete(caller, practice, 'practitioner', drTest!.id);
  await catalogue.delete(caller, practice, 'location', mainSite!.id);

  t.same(await db.selectFrom('practitioner_mappings').selectAll().execute(), []);
  t.same(await db.selectFrom('location_mappings').selectAll().execute(), []);
  const [location, practitioner] = await listAuditEvents(db, practice.id, { limit: 2 });
  t.same(practitioner?.details, {
    id: drTest!.id,
    name: 'Dr Test',
    mappingRemoved: { ehrPractitionerId: 'p1' },
  });
  t.same(location?.details, { id: mainSite!.id, name: 'Main site', mappingRemoved: { ehrLocationId: 'l1' } });
});

t.test('deleting an appointment type: its booking feature goes, bookings keep their slot', async (t) => {
  const { slotbridge, memory, caller, practice, appointmentTypeId } = await twoPractices(t);
  const { catalogue, db } = slotbridge;
  await slotbridge.mappings.putBookingFeatures(caller, practice, [
    { appointmentTypeId, ehrSlotTypeId: 'st1' },
  ]);
  memory.slots.push(...tomorrowSlots(1));
  await slotbridge.sync.run(practice, 'manual');
  const [slot] = await slotbridge.availability.offered(db, practice);
  const { booking } = await slotbridge.bookings.create(caller, practice, 'key-delete-type', {
    slotId: slot!.id,
    patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
  });

  await catalogue.delete(caller, practice, 'appointment_type', appointmentTypeId);

  t.same(await db.selectFrom('appointment_type_mappings').selectAll().execute(), []);
  t.same(
    await db
      .selectFrom('slot_type_mappings')
      .select(['ehr_slot_type_id', 'feature', 'appointment_type_id'])
      .execute(),
    [{ ehr_slot_type_id: 'st1', feature: 'bookable', appointment_type_id: null }],
    'the slot type feature stays, without an appointment type',
  );
  const kept = await db
    .selectFrom('bookings')
    .selectAll()
    .where('id', '=', booking.id)
    .executeTakeFirstOrThrow();
  t.ok(kept.version > booking.version, 'losing its appointment type is a change: a new version');
  t.same(
    { ...kept, appointment_type_id: booking.appointment_type_id, version: booking.version },
    booking,
    'the booking is unchanged but for its appointment type (and version)',
  );
  t.equal(kept.appointment_type_id, null);
  const [deleted] = await listAuditEvents(db, practice.id, { limit: 1 });
  t.same(deleted, {
    id: deleted!.id,
    action: 'appointment_type.deleted',
    apiKeyId: caller.apiKeyId,
    apiKeyLabel: 'test',
    details: {
      id: appointmentTypeId,
      name: 'GP appointment',
      durationMinutes: 10,
      bookingFeatureRemoved: { ehrSlotTypeId: 'st1' },
      slotTypeFeaturesCleared: ['st1'],
      bookingsDetached: 1,
    },
    createdAt: deleted!.createdAt,
  });
});

t.test('every change is audited with what changed, with the key that made it', async (t) => {
  const { slotbridge, caller, other } = await twoPractices(t);
  const { catalogue, db } = slotbridge;
  const type = await catalogue.create(caller, other, 'appointment_type', {
    name: 'Nurse',
    durationMinutes: 15,
  });
  await catalogue.update(caller, other, 'appointment_type', type.id, {
    name: 'Nurse clinic',
    durationMinutes: 20,
  });
  await catalogue.update(caller, other, 'appointment_type', type.id, { name: 'Nurse clinic' });
  await catalogue.delete(caller, other, 'appointment_type', type.id);

  const events = await listAuditEvents(db, other.id, { limit: 10 });
  t.same(
    events.map((e) => [e.action, e.apiKeyId, e.details]),
    [
      [
        'appointment_type.deleted',
        caller.apiKeyId,
        {
          id: type.id,
          name: 'Nurse clinic',
          durationMinutes: 20,
          bookingFeatureRemoved: null,
          slotTypeFeaturesCleared: [],
          bookingsDetached: 0,
        },
      ],
      [
        'appointment_type.updated',
        caller.apiKeyId,
        {
          id: type.id,
          changed: { name: { from: 'Nurse', to: 'Nurse clinic' }, durationMinutes: { from: 15, to: 20 } },
        },
      ],
      ['appointment_type.created', caller.apiKeyId, { id: type.id, name: 'Nurse', durationMinutes: 15 }],
      ['practice.created', caller.apiKeyId, { name: 'Other practice', ehr: 'memory' }],
    ],
    'newest first; the change to the same value is not an event',
  );
});
