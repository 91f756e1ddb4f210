/**
 * "Why isn't this slot offered?" — each of seed 001's reasons and each availability rule,
 * made to happen in the EMIS sandbox or our set-up, and explained by the diagnostics.
 */
import { DEMO_SLOT_TYPE } from '@slotbridge/plugin-emis/sandbox';
import t from 'tap';
import { emisPractice, nextDay } from './helpers/emis-practice.ts';

interface Check {
  id: string;
  status: string;
  evidence: string;
  fix?: string;
}
const byId = (body: { checks: Check[] }) => Object.fromEntries(body.checks.map((c) => [c.id, c]));

t.test("a normal weekday: seed 001's four checks pass, and the count agrees with /slots", async (t) => {
  const { call, weekday } = await emisPractice(t);
  const res = await call('GET', `/diagnostics/availability?date=${weekday}`);
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(
    body.checks.map((c: Check) => c.id),
    [
      'ehr_session_exists',
      'slot_type_active',
      'sync_recency',
      'connection_healthy',
      'slot_type_bookable',
      'appointment_type_mapped',
      'practitioner_mapped',
      'location_mapped',
      'slot_free',
      'not_held_by_booking',
      'in_future',
      'within_horizon',
      'sync_fresh',
    ],
    'the four seed checks first, then every rule, in order',
  );
  for (const id of ['ehr_session_exists', 'slot_type_active', 'sync_recency', 'connection_healthy']) {
    t.equal(byId(body)[id]!.status, 'pass', id);
  }
  t.equal(byId(body).slot_free!.status, 'fail', 'the demo diary has booked and blocked slots that day');
  const slots = (await call('GET', `/slots?from=${weekday}&to=${weekday}T23:59:59Z`)).json().data;
  t.ok(slots.length > 0);
  t.equal(body.slotsOffered, slots.length, 'the diagnostics and /slots agree');
});

t.test('one bookable slot type on a normal weekday: everything passes', async (t) => {
  const { call, weekday } = await emisPractice(t);
  const body = (
    await call('GET', `/diagnostics/availability?date=${weekday}&ehrSlotTypeId=${DEMO_SLOT_TYPE.ROUTINE_GP}`)
  ).json();
  const checks = byId(body);
  for (const id of [
    'ehr_session_exists',
    'slot_type_active',
    'sync_recency',
    'connection_healthy',
    'slot_type_bookable',
    'appointment_type_mapped',
    'practitioner_mapped',
    'location_mapped',
    'in_future',
    'within_horizon',
    'sync_fresh',
  ]) {
    t.equal(checks[id]!.status, 'pass', id);
  }
  t.match(checks.ehr_session_exists!.evidence, /EMIS Web has \d+ slot\(s\) that day of slot type Routine GP/);
  t.ok(body.slotsOffered > 0);
});

t.test('no session that day (a Sunday): the first check says so and how to fix it', async (t) => {
  const { call } = await emisPractice(t);
  const sunday = nextDay(1, [0]);
  const body = (await call('GET', `/diagnostics/availability?date=${sunday}`)).json();
  t.match(byId(body).ehr_session_exists, {
    status: 'fail',
    evidence: `EMIS Web has no slots on ${sunday}.`,
    fix: `Build the session in the EMIS Web appointment book for ${sunday}.`,
  });
  t.equal(byId(body).practitioner_mapped!.status, 'not_applicable');
});

t.test(
  'an inactive slot type and an unmapped practitioner: both failures reported, with fixes',
  async (t) => {
    const { call, weekday } = await emisPractice(t);
    const active = (await call('GET', '/active-slot-types')).json().ehrSlotTypeIds;
    await call('PUT', '/active-slot-types', {
      ehrSlotTypeIds: active.filter((id: string) => id !== DEMO_SLOT_TYPE.NURSE),
    });
    const nurse = (
      await call('GET', `/diagnostics/availability?date=${weekday}&ehrSlotTypeId=${DEMO_SLOT_TYPE.NURSE}`)
    ).json();
    t.match(byId(nurse).slot_type_active, {
      status: 'fail',
      evidence: 'Nurse appointment is not on the active list, so the sync ignores it.',
      fix: 'Add Nurse appointment to the active slot types (PUT …/active-slot-types).',
    });
    await call('POST', '/sync');

    const rows = (await call('GET', '/mappings/practitioners')).json().rows;
    const hart = rows.find((r: { ehrPractitionerId: string }) => r.ehrPractitionerId === '501');
    await call('PUT', '/mappings/practitioners', {
      rows: rows.map((r: { practitionerId: string; ehrPractitionerId: string }) => ({
        practitionerId: r.practitionerId,
        ehrPractitionerId: r.practitionerId === hart.practitionerId ? null : r.ehrPractitionerId,
      })),
    });
    const body = (
      await call(
        'GET',
        `/diagnostics/availability?date=${weekday}&ehrSlotTypeId=${DEMO_SLOT_TYPE.ROUTINE_GP}`,
      )
    ).json();
    t.match(byId(body).practitioner_mapped, {
      status: 'fail',
      evidence: /slot\(s\) \(e\.g\. .*\): .*Hart is not mapped to any of our practitioners\./,
      fix: /In the practitioner mapping, choose .*Hart for the matching practitioner\./,
    });
    t.ok(body.failing.includes('Is the practitioner mapped?'));
  },
);

t.test('--DISABLED-- and not bookable slot types are named', async (t) => {
  const { call, weekday } = await emisPractice(t);
  const rows = (await call('GET', '/mappings/slot-types')).json().rows;
  await call('PUT', '/mappings/slot-types', {
    rows: rows.map((r: { ehrSlotTypeId: string; feature: string; appointmentTypeId: string | null }) => ({
      ehrSlotTypeId: r.ehrSlotTypeId,
      feature: r.feature,
      appointmentTypeId: r.ehrSlotTypeId === DEMO_SLOT_TYPE.ROUTINE_GP ? 'disabled' : r.appointmentTypeId,
    })),
  });
  const body = (
    await call('GET', `/diagnostics/availability?date=${weekday}&ehrSlotTypeId=${DEMO_SLOT_TYPE.ROUTINE_GP}`)
  ).json();
  t.match(byId(body).appointment_type_mapped, {
    status: 'fail',
    evidence: /Routine GP is set to --DISABLED--\.$/,
  });
  t.equal(body.slotsOffered, 0);
});

t.test('a change in EMIS newer than the last sync: said, with the next sync due', async (t) => {
  const { call, weekday, sandbox } = await emisPractice(t);
  const session = sandbox.diary.day(weekday).find((s) => s.slots.some((x) => x.status === 'Slot Available'))!;
  const free = session.slots.find((x) => x.status === 'Slot Available')!;
  sandbox.diary.receptionBook(free.slotId, 9002, 'Booked at reception');
  const body = (await call('GET', `/diagnostics/availability?date=${weekday}`)).json();
  t.match(byId(body).sync_recency, {
    status: 'fail',
    evidence:
      /^1 slot\(s\) in EMIS Web differ from what was last synced \(e\.g\. \d\d:\d\d\)\. The last sync finished at .*; (the next is due by .*|when the next is due is not known)\.$/,
    fix: 'Give the sync a little longer, or run one now (POST /v1/practices/{practiceId}/sync).',
  });
  await call('POST', '/sync');
  t.equal(
    byId((await call('GET', `/diagnostics/availability?date=${weekday}`)).json()).sync_recency!.status,
    'pass',
  );
});

t.test('the connection failing: the EHR cannot be read, the connection check says why', async (t) => {
  const { call, weekday, sandbox } = await emisPractice(t);
  sandbox.access.updateSetup({ applicationActivated: false });
  sandbox.access.expireTokens();
  await call('POST', '/sync');
  const body = (await call('GET', `/diagnostics/availability?date=${weekday}`)).json();
  t.match(byId(body).ehr_session_exists, {
    status: 'fail',
    evidence: /could not be read just now \(EMIS_ERR_/,
  });
  const connection = (await call('GET', '/connection')).json();
  t.match(connection, { status: 'failing', syncFailures: 1, lastSyncError: /^EMIS_ERR_NO_ACCESS/ });
  const signIn = connection.setupChecks.find((c: { id: string }) => c.id === 'emis.sign-in');
  t.match(
    signIn,
    { ok: false, fix: /Deactivate Application then Activate Application/ },
    'the set-up checks ran again',
  );
  t.equal(connection.lastSyncFix, signIn.fix, "the practice's own fix, from the failing check");
  t.match(byId(body).connection_healthy, {
    status: 'fail',
    evidence: /The connection is failing\. The last sync failed \(1 in a row\): EMIS_ERR_/,
    fix: signIn.fix,
  });
  t.ok(body.failing.length >= 2, 'every failing check is reported');
});

t.test(
  'the practice fixes EMIS: the next background read makes the connection healthy, no human step',
  async (t) => {
    const { call, sandbox, slotbridge, practiceId } = await emisPractice(t);
    sandbox.access.updateSetup({ applicationActivated: false });
    sandbox.access.expireTokens();
    await call('POST', '/sync');
    t.equal((await call('GET', '/connection')).json().status, 'failing');

    sandbox.access.updateSetup({ applicationActivated: true });
    const practice = await slotbridge.db
      .selectFrom('practices')
      .selectAll()
      .where('id', '=', practiceId)
      .executeTakeFirstOrThrow();
    const from = new Date();
    // The read the scheduler makes of the near window every 15 s.
    const outcome = await slotbridge.sync.read(
      practice,
      'near',
      { from, to: new Date(from.getTime() + 48 * 3_600_000) },
      { record: 'when-changed' },
    );
    t.equal(outcome.status, 'succeeded');
    const healed = (await call('GET', '/connection')).json();
    t.match(healed, { status: 'healthy', syncFailures: 0, lastSyncError: null, lastSyncFix: null });
    t.ok(
      healed.setupChecks.every((c: { ok: boolean }) => c.ok),
      'the failing set-up checks ran again and pass',
    );
  },
);

t.test('horizon, stale sync, and a slot we booked', async (t) => {
  const { call, weekday, slotbridge, practiceId } = await emisPractice(t);
  const slot = (await call('GET', `/slots?from=${weekday}`)).json().data[0];
  await slotbridge.db
    .insertInto('bookings')
    .values({
      practice_id: practiceId,
      slot_id: slot.id,
      ehr_slot_id: 'x',
      ehr_slot_type_id: DEMO_SLOT_TYPE.ROUTINE_GP,
      start_at: new Date(slot.start),
      end_at: new Date(slot.end),
      state: 'pending',
      failure_code: null,
      failure_reason: null,
      ehr_booking_ref: null,
      patient_ciphertext: 'x',
      idempotency_key: 'diagnostics-test',
      request_fingerprint: 'x',
      api_key_id: null,
      appointment_type_id: null,
      ehr_session_id: null,
      ehr_practitioner_id: null,
      ehr_location_id: null,
    })
    .execute();
  const held = (await call('GET', `/diagnostics/availability?date=${weekday}&slotId=${slot.id}`)).json();
  t.match(byId(held).not_held_by_booking, { status: 'fail', evidence: /^1 of 1 slot\(s\)/ });

  await call('PATCH', '', { publishingHorizonDays: 1 });
  const far = (await call('GET', `/diagnostics/availability?date=${weekday}`)).json();
  t.match(byId(far).within_horizon, {
    status: 'fail',
    fix: 'Lengthen the publishing horizon (PATCH /v1/practices/{practiceId} publishingHorizonDays), up to the plugin maximum.',
  });

  await slotbridge.db
    .updateTable('connections')
    .set({ last_good_sync_at: new Date(Date.now() - 3_600_000) })
    .where('practice_id', '=', practiceId)
    .execute();
  const stale = (await call('GET', `/diagnostics/availability?date=${weekday}`)).json();
  t.match(byId(stale).sync_fresh, { status: 'fail', evidence: /older than 10 minutes/ });
  t.equal(stale.slotsOffered, 0);
});

t.test('bad input: 400 problem+json', async (t) => {
  const { call } = await emisPractice(t);
  t.match((await call('GET', '/diagnostics/availability')).json(), {
    status: 400,
    code: 'SB_ERR_VALIDATION',
  });
  t.match((await call('GET', '/diagnostics/availability?date=2026-02-30')).json(), {
    status: 400,
    code: 'SB_ERR_WINDOW_INVALID',
  });
});
