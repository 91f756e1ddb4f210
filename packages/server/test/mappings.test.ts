/**
 * Seed 000's four stages and seed 001's active list, through the API.
 */
import { insertCatalogue } from '@slotbridge/core/testing';
import t, { type Test } from 'tap';
import { bearer, testApp } from './helpers/test-app.ts';

async function practiceWithCatalogue(t: Test) {
  const setup = await testApp();
  t.teardown(setup.close);
  const a = await setup.partner('A');
  const practice = (
    await setup.app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'P', ehr: 'memory', timeZone: 'Europe/London' },
    })
  ).json();
  await insertCatalogue(setup.slotbridge.db, practice.id, [
    { kind: 'practitioner', ehrId: '101', name: 'Ms Test Blake' },
    { kind: 'practitioner', ehrId: '102', name: 'Dr Test Singh' },
    { kind: 'location', ehrId: '201', name: 'Riverside Surgery' },
    { kind: 'slot_type', ehrId: '11', name: 'Routine GP' },
    { kind: 'slot_type', ehrId: '12', name: 'Nurse appointment' },
    { kind: 'slot_type', ehrId: '14', name: 'Hero unregistered patient' },
    { kind: 'slot_type', ehrId: '15', name: 'Baby clinic' },
  ]);
  const record = await setup.slotbridge.practices.get(
    { apiKeyId: '', partnerId: null, practiceId: null },
    practice.id,
  );
  const ours = {
    blake: await setup.slotbridge.catalogue.addPractitioner(record, 'Blake'),
    singh: await setup.slotbridge.catalogue.addPractitioner(record, 'Singh'),
    locum: await setup.slotbridge.catalogue.addPractitioner(record, 'Locum (Hero only)'),
    riverside: await setup.slotbridge.catalogue.addLocation(record, 'Riverside'),
    typeA: await setup.slotbridge.catalogue.addAppointmentType(record, 'Appointment Type A', 10),
    typeB: await setup.slotbridge.catalogue.addAppointmentType(record, 'Appointment Type B', 10),
  };
  const call = (method: 'GET' | 'PUT', path: string, payload?: object) =>
    setup.app.inject({
      method,
      url: `/v1/practices/${practice.id}${path}`,
      headers: bearer(a.key),
      ...(payload && { payload }),
    });
  return { ...setup, key: a.key, practice, ours, call };
}

t.test(
  'stage 1: the same EHR holder for two practitioners is refused, red rows named, nothing saved',
  async (t) => {
    const { call, ours } = await practiceWithCatalogue(t);
    const good = await call('PUT', '/mappings/practitioners', {
      rows: [
        { practitionerId: ours.blake, ehrPractitionerId: '101' },
        { practitionerId: ours.locum, ehrPractitionerId: null },
      ],
    });
    t.equal(good.statusCode, 200);

    const duplicate = await call('PUT', '/mappings/practitioners', {
      rows: [
        { practitionerId: ours.blake, ehrPractitionerId: '102' },
        { practitionerId: ours.singh, ehrPractitionerId: '102' },
        { practitionerId: ours.locum, ehrPractitionerId: null },
      ],
    });
    t.equal(duplicate.statusCode, 422);
    t.match(duplicate.headers['content-type'], /problem\+json/);
    t.match(duplicate.json(), {
      code: 'SB_ERR_MAPPING_DUPLICATE',
      detail: /was not saved: 2 row problem/,
      errors: [
        {
          code: 'SB_ERR_MAPPING_DUPLICATE',
          row: 0,
          field: 'ehrPractitionerId',
          message:
            'EHR practitioner Dr Test Singh is chosen for 2 rows (0, 1); each may be mapped once (1 to 1)',
        },
        { code: 'SB_ERR_MAPPING_DUPLICATE', row: 1, field: 'ehrPractitionerId' },
      ],
    });

    const table = (await call('GET', '/mappings/practitioners')).json().rows;
    t.same(
      table.map((r: { practitionerName: string; ehrPractitionerId: string | null }) => [
        r.practitionerName,
        r.ehrPractitionerId,
      ]),
      [
        ['Blake', '101'],
        ['Singh', null],
        ['Locum (Hero only)', null],
      ],
      'the previous table stands',
    );
    t.same(table[0].ehrPractitioner, { ehrId: '101', name: 'Ms Test Blake', gone: false });
  },
);

t.test('stage 1 and 2: ids that do not exist, or belong to another practice, are named', async (t) => {
  const { call, ours, app, slotbridge, partner } = await practiceWithCatalogue(t);
  const b = await partner('B');
  const other = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(b.key),
      payload: { name: 'Other', ehr: 'memory', timeZone: 'Europe/London' },
    })
  ).json();
  const otherRecord = await slotbridge.practices.get(
    { apiKeyId: '', partnerId: null, practiceId: null },
    other.id,
  );
  const foreign = await slotbridge.catalogue.addPractitioner(otherRecord, 'Not yours');
  const res = await call('PUT', '/mappings/practitioners', {
    rows: [
      { practitionerId: foreign, ehrPractitionerId: '101' },
      { practitionerId: ours.singh, ehrPractitionerId: '999' },
    ],
  });
  t.equal(res.statusCode, 422);
  t.same(
    res.json().errors.map((e: { row: number; field: string; code: string }) => [e.row, e.field, e.code]),
    [
      [0, 'practitionerId', 'SB_ERR_MAPPING_UNKNOWN_ID'],
      [1, 'ehrPractitionerId', 'SB_ERR_MAPPING_UNKNOWN_ID'],
    ],
  );
  const locations = await call('PUT', '/mappings/locations', {
    rows: [{ locationId: ours.riverside, ehrLocationId: '201' }],
  });
  t.same(locations.json().rows, [
    {
      locationId: ours.riverside,
      locationName: 'Riverside',
      ehrLocationId: '201',
      ehrLocation: { ehrId: '201', name: 'Riverside Surgery', gone: false },
    },
  ]);
});

t.test('stage 3: --DISABLED--, and one unregistered-patient slot type used for nothing else', async (t) => {
  const { call, ours } = await practiceWithCatalogue(t);
  const saved = await call('PUT', '/mappings/slot-types', {
    rows: [
      { ehrSlotTypeId: '11', feature: 'bookable', appointmentTypeId: ours.typeA },
      { ehrSlotTypeId: '12', feature: 'not_bookable', appointmentTypeId: 'disabled' },
      { ehrSlotTypeId: '14', feature: 'unregistered_patient', appointmentTypeId: null },
    ],
  });
  t.equal(saved.statusCode, 200);
  t.same(saved.json().rows, [
    {
      ehrSlotTypeId: '11',
      feature: 'bookable',
      appointmentTypeId: ours.typeA,
      ehrSlotType: { ehrId: '11', name: 'Routine GP', gone: false },
      configured: true,
    },
    {
      ehrSlotTypeId: '12',
      feature: 'not_bookable',
      appointmentTypeId: 'disabled',
      ehrSlotType: { ehrId: '12', name: 'Nurse appointment', gone: false },
      configured: true,
    },
    {
      ehrSlotTypeId: '14',
      feature: 'unregistered_patient',
      appointmentTypeId: null,
      ehrSlotType: { ehrId: '14', name: 'Hero unregistered patient', gone: false },
      configured: true,
    },
    {
      ehrSlotTypeId: '15',
      feature: 'not_bookable',
      appointmentTypeId: null,
      ehrSlotType: { ehrId: '15', name: 'Baby clinic', gone: false },
      configured: false,
    },
  ]);

  const two = await call('PUT', '/mappings/slot-types', {
    rows: [
      { ehrSlotTypeId: '14', feature: 'unregistered_patient', appointmentTypeId: null },
      { ehrSlotTypeId: '15', feature: 'unregistered_patient', appointmentTypeId: null },
    ],
  });
  t.equal(two.statusCode, 422);
  t.match(two.json(), {
    code: 'SB_ERR_UNREGISTERED_SLOT_TYPE_NOT_UNIQUE',
    errors: [
      { row: 0, field: 'feature' },
      { row: 1, field: 'feature' },
    ],
  });

  const reused = await call('PUT', '/mappings/slot-types', {
    rows: [{ ehrSlotTypeId: '14', feature: 'unregistered_patient', appointmentTypeId: ours.typeB }],
  });
  t.match(reused.json(), {
    status: 422,
    code: 'SB_ERR_UNREGISTERED_SLOT_TYPE_REUSED',
    errors: [{ field: 'appointmentTypeId' }],
  });

  const unknownType = await call('PUT', '/mappings/slot-types', {
    rows: [
      { ehrSlotTypeId: '11', feature: 'bookable', appointmentTypeId: '00000000-0000-4000-8000-000000000000' },
    ],
  });
  t.match(unknownType.json(), {
    status: 422,
    code: 'SB_ERR_MAPPING_UNKNOWN_ID',
    errors: [{ field: 'appointmentTypeId' }],
  });
  const badFeature = await call('PUT', '/mappings/slot-types', {
    rows: [{ ehrSlotTypeId: '11', feature: 'sometimes', appointmentTypeId: null }],
  });
  t.equal(badFeature.statusCode, 400);
});

t.test(
  'stage 4: a blank booking feature is allowed; the unregistered slot type cannot be chosen',
  async (t) => {
    const { call, ours } = await practiceWithCatalogue(t);
    await call('PUT', '/mappings/slot-types', {
      rows: [{ ehrSlotTypeId: '14', feature: 'unregistered_patient', appointmentTypeId: null }],
    });
    const saved = await call('PUT', '/mappings/appointment-types', {
      rows: [
        { appointmentTypeId: ours.typeA, ehrSlotTypeId: '11' },
        { appointmentTypeId: ours.typeB, ehrSlotTypeId: null },
      ],
    });
    t.equal(saved.statusCode, 200);
    t.match(saved.json().rows, [
      { appointmentTypeName: 'Appointment Type A', ehrSlotTypeId: '11', ehrSlotType: { name: 'Routine GP' } },
      { appointmentTypeName: 'Appointment Type B', ehrSlotTypeId: null, ehrSlotType: null },
    ]);
    const unregistered = await call('PUT', '/mappings/appointment-types', {
      rows: [{ appointmentTypeId: ours.typeA, ehrSlotTypeId: '14' }],
    });
    t.match(unregistered.json(), {
      status: 422,
      code: 'SB_ERR_UNREGISTERED_SLOT_TYPE_REUSED',
      errors: [{ row: 0 }],
    });

    // …and the other way round: a slot type already used by a booking feature cannot become the unregistered one.
    const conflict = await call('PUT', '/mappings/slot-types', {
      rows: [{ ehrSlotTypeId: '11', feature: 'unregistered_patient', appointmentTypeId: null }],
    });
    t.match(conflict.json(), {
      code: 'SB_ERR_UNREGISTERED_SLOT_TYPE_REUSED',
      errors: [{ message: /book Appointment Type A as it/ }],
    });
  },
);

t.test('seed 001: the active list takes known slot types only, and the change is audited', async (t) => {
  const { call, slotbridge, practice } = await practiceWithCatalogue(t);
  t.same((await call('GET', '/active-slot-types')).json(), { ehrSlotTypeIds: [], slotTypes: [] });
  const saved = await call('PUT', '/active-slot-types', { ehrSlotTypeIds: ['11', '14'] });
  t.same(saved.json(), {
    ehrSlotTypeIds: ['11', '14'],
    slotTypes: [
      { ehrId: '11', name: 'Routine GP', gone: false },
      { ehrId: '14', name: 'Hero unregistered patient', gone: false },
    ],
  });
  const unknown = await call('PUT', '/active-slot-types', { ehrSlotTypeIds: ['11', '77'] });
  t.match(unknown.json(), { status: 422, code: 'SB_ERR_MAPPING_UNKNOWN_ID', errors: [{ row: 1 }] });
  await call('PUT', '/active-slot-types', { ehrSlotTypeIds: ['11'] });
  const audit = await slotbridge.db
    .selectFrom('audit_events')
    .select(['action', 'details', 'api_key_id'])
    .where('practice_id', '=', practice.id)
    .where('action', '=', 'active_slot_types.replaced')
    .orderBy('created_at')
    .execute();
  t.same(
    audit.map((e) => e.details),
    [
      { added: ['11', '14'], removed: [] },
      { added: [], removed: ['14'] },
    ],
  );
  t.ok(
    audit.every((e) => e.api_key_id),
    'with the key that made the change',
  );
});
