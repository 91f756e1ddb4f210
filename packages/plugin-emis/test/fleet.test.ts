/**
 * The sandbox's fleet mode, over real HTTP with the plugin's own hooks: many practices behind
 * one URL, each its own demo diary, every call delayed, every patient matched, reception changes.
 */
import type { BookingWriteCommand, EhrSlot } from '@slotbridge/core';
import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import { createEmisFleet, DEMO_SLOT_TYPE, type EmisFleet, fleetOdsCode } from '../src/sandbox/index.ts';
import { contextFor } from './fixtures.ts';

const ACTIVE = [DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.NURSE, DEMO_SLOT_TYPE.TELEPHONE];

async function startFleet(t: { teardown(fn: () => unknown): void }, latencyMs = 20): Promise<EmisFleet> {
  const fleet = await createEmisFleet({ latencyMs, days: 7 });
  await fleet.listen();
  t.teardown(() => fleet.close());
  return fleet;
}

function ctxOf(fleet: EmisFleet, cdbNumber: string) {
  return contextFor(fleet.connection(cdbNumber), { odsCode: fleetOdsCode(cdbNumber) });
}

async function slotsOf(fleet: EmisFleet, cdbNumber: string, hours = 7 * 24): Promise<EhrSlot[]> {
  const from = new Date();
  const result = await emisPlugin.onSlotFetch(ctxOf(fleet, cdbNumber), {
    from,
    to: new Date(from.getTime() + hours * 3_600_000),
    slotTypeIds: ACTIVE,
  });
  return result.slots;
}

t.test('each CDB number is its own practice, set up correctly, with its own diary', async (t) => {
  const fleet = await startFleet(t);
  for (const cdb of ['60001', '60002']) {
    const checks = await emisPlugin.checkSetup!(ctxOf(fleet, cdb));
    t.same(
      checks.filter((check) => !check.ok && check.severity === 'error'),
      [],
      `practice ${cdb} passes the set-up checks`,
    );
    const catalogue = await emisPlugin.discover!(ctxOf(fleet, cdb));
    t.same(
      catalogue.slotTypes.map((type) => type.ehrId),
      ['11', '12', '13', '14', '15'],
    );
  }
  const [first, second] = [await slotsOf(fleet, '60001'), await slotsOf(fleet, '60002')];
  t.ok(first.length > 0 && second.length > 0, 'both diaries have slots');
  const statuses = (slots: EhrSlot[]) => slots.map((slot) => slot.status).join();
  t.not(statuses(first), statuses(second), 'the diaries differ (seeded by the CDB number)');
  t.same(statuses(await slotsOf(fleet, '60001')), statuses(first), 'and stay the same for one number');
  t.equal(fleet.stats().practices, 2);
});

t.test('every call waits the latency; the stats count calls by operation', async (t) => {
  const fleet = await startFleet(t, 150);
  const started = performance.now();
  await emisPlugin.discover!(ctxOf(fleet, '60001'));
  const elapsed = performance.now() - started;
  t.ok(elapsed >= 2 * 150 - 5, `sign-in and one read take two latencies (${elapsed.toFixed(0)} ms)`);
  t.match(fleet.stats(), {
    practices: 1,
    calls: { Token: 1, GetAppointmentConfiguration: 1 },
    inFlight: 0,
    maxInFlight: 1,
  });
  await slotsOf(fleet, '60001', 48);
  await slotsOf(fleet, '60001', 7 * 24);
  t.same(fleet.stats().sessionReads, { near: 1, far: 1 }, 'one call per read, by window');
});

t.test('a token reaches only the practice it signed in to', async (t) => {
  const fleet = await startFleet(t, 0);
  const { applicationId, apiPassword, username } = fleet.connection('60001');
  const signIn = async (organisationId: string, password = apiPassword) =>
    fetch(`${fleet.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { applicationId, 'content-type': 'application/json' },
      body: JSON.stringify({ organisationId, userName: username, password }),
    });
  const answer = (await (await signIn('60001')).json()) as { access_token: string };
  const organisation = await fetch(`${fleet.url}/api/v1/organisation/GetOrganisation`, {
    headers: { applicationId, authorization: `Bearer ${answer.access_token}` },
  });
  t.match(await organisation.json(), {
    organisationList: [{ dbid: '60001', nationalCode: 'Y60001', locationName: 'Fleet Surgery 60001' }],
  });
  t.equal((await signIn('60002', 'wrong')).status, 401, 'a wrong password is refused');
  t.equal((await signIn('not-a-number')).status, 401, 'a CDB number is digits');
  const noToken = await fetch(`${fleet.url}/api/v1/organisation/GetOrganisation`, {
    headers: { applicationId, authorization: 'Bearer nope' },
  });
  t.equal(noToken.status, 401);
  t.equal(fleet.stats().practices, 2, 'every CDB number of digits is a practice; others open none');
});

t.test('every patient matches, so a booking is confirmed, logged, and not written twice', async (t) => {
  const fleet = await startFleet(t, 0);
  const slot = (await slotsOf(fleet, '60003')).find((s) => s.status === 'free')!;
  const command: BookingWriteCommand = {
    kind: 'book',
    bookingId: 'b-1',
    slot,
    targetEhrSlotTypeId: null,
    patient: { firstName: 'Zed', lastName: 'Nobody', dateOfBirth: '2001-12-31' },
    reason: 'bench b-1',
    note: '',
  };
  const ctx = ctxOf(fleet, '60003');
  t.same(await emisPlugin.onBookingWrite(ctx, command), { ehrBookingRef: `${slot.ehrSlotId}:9001` });
  t.same(
    await emisPlugin.onBookingWrite(ctx, command),
    { ehrBookingRef: `${slot.ehrSlotId}:9001` },
    'a retry',
  );
  t.match(fleet.practice('60003').diary.slot(Number(slot.ehrSlotId)), {
    status: 'Booked',
    patientNumber: 9001,
  });
  const log = (await (await fetch(`${fleet.url}/_fleet/bookings`)).json()) as { bookings: unknown[] };
  t.match(log.bookings, [{ cdbNumber: '60003', slotId: Number(slot.ehrSlotId), reason: 'bench b-1' }]);
  t.equal(log.bookings.length, 1, 'the retry found the slot booked for the patient: one write');
});

t.test('reception changes a slot in the next 48 hours, and the next read shows it', async (t) => {
  const fleet = await startFleet(t, 0);
  const before = await slotsOf(fleet, '60004', 48);
  const response = await fetch(`${fleet.url}/_fleet/practices/60004/change`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'book', fromHours: 0, toHours: 48 }),
  });
  if (response.status === 404) {
    t.pass('no free offered slot in the next 48 hours today (a weekend with no sessions)');
    return;
  }
  const change = (await response.json()) as {
    change: string;
    slotId: number;
    startAt: string;
    freeAtStart: number;
  };
  t.equal(change.change, 'booked');
  const sameStart = (slots: EhrSlot[]) =>
    slots.filter((s) => s.startAt.toISOString() === change.startAt && s.status === 'free').length;
  t.equal(sameStart(before) - 1, change.freeAtStart, 'one fewer free slot at that time');
  t.ok(Date.parse(change.startAt) < Date.now() + 48 * 3_600_000, 'inside the near window');
  const status = (slots: EhrSlot[]) => slots.find((s) => s.ehrSlotId === String(change.slotId))?.status;
  t.equal(status(before), 'free');
  t.equal(status(await slotsOf(fleet, '60004', 48)), 'booked');
  const freed = fleet.change('60004', { kind: 'free', fromHours: 0, toHours: 48 });
  t.equal(freed?.change, 'freed');
  t.equal(fleet.practice('60004').diary.slot(freed!.slotId)?.status, 'Slot Available');
});
