import t, { type Test } from 'tap';
import { listAuditEvents } from '../src/audit.ts';
import type { EhrCatalogue } from '../src/ehr-plugin.ts';
import { memoryPractice } from './helpers/memory-practice.ts';

/** What the memory practice's EHR lists: its mappings point at p1, l1 and st1. */
const fullCatalogue = (): EhrCatalogue => ({
  practitioners: [
    { ehrId: 'p1', name: 'Dr Test (EHR)' },
    { ehrId: 'p2', name: 'Nurse Adams' },
  ],
  locations: [{ ehrId: 'l1', name: 'Main site (EHR)' }],
  slotTypes: [
    { ehrId: 'st1', name: 'Routine', attributes: { bookable: true } },
    { ehrId: 'st2', name: 'Nurse', attributes: { bookable: false } },
  ],
});

async function discovered(t: Test) {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  setup.memory.catalogue = fullCatalogue();
  await setup.slotbridge.mappings.putBookingFeatures(setup.caller, setup.practice, [
    { appointmentTypeId: setup.appointmentTypeId, ehrSlotTypeId: 'st1' },
  ]);
  return setup;
}

t.test('discover stores what the EHR lists and answers a summary', async (t) => {
  const { slotbridge, caller, practice } = await discovered(t);
  const summary = await slotbridge.ehrCatalogue.discover(caller, practice);
  t.same(summary, { practitioners: 2, locations: 1, slotTypes: 2, gone: [], mappingsPointingAtGone: [] });

  const slotTypes = await slotbridge.ehrCatalogue.list(practice, 'slot_type');
  t.same(slotTypes, [
    {
      ehrId: 'st2',
      name: 'Nurse',
      attributes: { bookable: false },
      gone: false,
      firstSeenAt: slotTypes[0]!.firstSeenAt,
      lastSeenAt: slotTypes[0]!.lastSeenAt,
      goneAt: null,
    },
    {
      ehrId: 'st1',
      name: 'Routine',
      attributes: { bookable: true },
      gone: false,
      firstSeenAt: slotTypes[1]!.firstSeenAt,
      lastSeenAt: slotTypes[1]!.lastSeenAt,
      goneAt: null,
    },
  ]);
  t.same(
    (await slotbridge.ehrCatalogue.list(practice, 'practitioner')).map((e) => [e.ehrId, e.name]),
    [
      ['p1', 'Dr Test (EHR)'],
      ['p2', 'Nurse Adams'],
    ],
    'names as the EHR has them now',
  );
});

t.test(
  'an entity that leaves the EHR is marked gone; mappings pointing at it are reported, not dropped',
  async (t) => {
    const { slotbridge, memory, caller, practice, appointmentTypeId } = await discovered(t);
    const { ehrCatalogue, db } = slotbridge;
    await ehrCatalogue.discover(caller, practice);
    const [drTest] = await slotbridge.catalogue.list(practice, 'practitioner');
    const [mainSite] = await slotbridge.catalogue.list(practice, 'location');
    const mappingRows = async () => ({
      practitioners: await db.selectFrom('practitioner_mappings').selectAll().execute(),
      locations: await db.selectFrom('location_mappings').selectAll().execute(),
      slotTypes: await db.selectFrom('slot_type_mappings').selectAll().execute(),
      bookingFeatures: await db.selectFrom('appointment_type_mappings').selectAll().execute(),
      active: await db.selectFrom('active_slot_types').selectAll().execute(),
    });
    const before = await mappingRows();

    memory.catalogue = {
      practitioners: [{ ehrId: 'p2', name: 'Nurse Adams' }],
      locations: [],
      slotTypes: [{ ehrId: 'st2', name: 'Nurse', attributes: { bookable: false } }],
    };
    const summary = await ehrCatalogue.discover(caller, practice);
    const goneAt = summary.gone[0]?.goneAt;
    t.same(summary, {
      practitioners: 1,
      locations: 0,
      slotTypes: 1,
      gone: [
        { kind: 'location', ehrId: 'l1', name: 'Main site (EHR)', goneAt },
        { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)', goneAt },
        { kind: 'slot_type', ehrId: 'st1', name: 'Routine', goneAt },
      ],
      mappingsPointingAtGone: [
        {
          table: 'practitioner_mappings',
          row: { practitionerId: drTest!.id, practitionerName: 'Dr Test', ehrPractitionerId: 'p1' },
        },
        {
          table: 'location_mappings',
          row: { locationId: mainSite!.id, locationName: 'Main site', ehrLocationId: 'l1' },
        },
        {
          table: 'slot_type_mappings',
          row: { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId, disabled: false },
        },
        {
          table: 'appointment_type_mappings',
          row: { appointmentTypeId, appointmentTypeName: 'GP appointment', ehrSlotTypeId: 'st1' },
        },
        { table: 'active_slot_types', row: { ehrSlotTypeId: 'st1' } },
      ],
    });
    t.same(await mappingRows(), before, 'every mapping row is kept');
    t.same(
      (await ehrCatalogue.list(practice, 'practitioner')).map((e) => e.ehrId),
      ['p2'],
      'gone entities are not listed by default',
    );
    const withGone = await ehrCatalogue.list(practice, 'practitioner', { includeGone: true });
    t.match(withGone, [
      { ehrId: 'p1', gone: true, goneAt },
      { ehrId: 'p2', gone: false, goneAt: null },
    ]);

    const [audit] = await listAuditEvents(db, practice.id, { limit: 1 });
    t.same(audit?.details, {
      practitioners: 1,
      locations: 0,
      slotTypes: 1,
      newlyGone: [
        { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)' },
        { kind: 'location', ehrId: 'l1', name: 'Main site (EHR)' },
        { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
      ],
      mappingsPointingAtGone: 5,
    });

    memory.catalogue = fullCatalogue();
    const back = await ehrCatalogue.discover(caller, practice);
    t.same(back, { practitioners: 2, locations: 1, slotTypes: 2, gone: [], mappingsPointingAtGone: [] });
    t.match(await ehrCatalogue.list(practice, 'practitioner'), [
      { ehrId: 'p1', gone: false, goneAt: null },
      {},
    ]);
  },
);

t.test('when the EHR fails, discover throws its error and changes nothing', async (t) => {
  const { slotbridge, memory, caller, practice } = await discovered(t);
  await slotbridge.ehrCatalogue.discover(caller, practice);
  const catalogueBefore = await slotbridge.db
    .selectFrom('ehr_catalogue')
    .selectAll()
    .orderBy('ehr_id')
    .execute();
  const auditBefore = await listAuditEvents(slotbridge.db, practice.id, { limit: 100 });

  memory.catalogue = { practitioners: [], locations: [], slotTypes: [] };
  memory.failNext('discover', 'transient');
  await t.rejects(slotbridge.ehrCatalogue.discover(caller, practice), {
    name: 'EhrError',
    kind: 'transient',
    code: 'MEM_ERR_TRANSIENT',
    category: 'unavailable',
    message: 'injected transient',
  });
  memory.failNext('discover', 'auth_failed');
  await t.rejects(slotbridge.ehrCatalogue.discover(caller, practice), {
    name: 'EhrError',
    kind: 'auth_failed',
  });

  t.same(
    await slotbridge.db.selectFrom('ehr_catalogue').selectAll().orderBy('ehr_id').execute(),
    catalogueBefore,
  );
  t.same(await listAuditEvents(slotbridge.db, practice.id, { limit: 100 }), auditBefore);
});

t.test('a practice without a connection cannot discover', async (t) => {
  const { slotbridge, caller } = await discovered(t);
  const unconnected = await slotbridge.practices.create(caller, {
    name: 'Not connected',
    ehr: 'memory',
    timeZone: 'Europe/London',
  });
  await t.rejects(slotbridge.ehrCatalogue.discover(caller, unconnected), {
    code: 'SB_ERR_CONNECTION_MISSING',
    category: 'not_found',
  });
});
