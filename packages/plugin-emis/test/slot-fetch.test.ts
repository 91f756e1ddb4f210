/**
 * onSlotFetch against the sandbox: exactly the slots of the active slot types in the window,
 * with wall-clock times turned into instants correctly across the UK clock changes.
 */
import type { EhrSlot } from '@slotbridge/core';
import { DateTime } from 'luxon';
import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import type { DiarySeed, SessionSeed } from '../src/sandbox/index.ts';
import { contextFor, SMALL_DIARY, startSandbox } from './fixtures.ts';

const london = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' }).toJSDate();

function slotView(slot: EhrSlot) {
  return { ...slot, startAt: slot.startAt.toISOString(), endAt: slot.endAt.toISOString() };
}

t.test('returns exactly the sandbox slots of the active types in [from, to)', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 28, from: '2026-02-02' } });
  const from = london('2026-02-03T00:00');
  const to = london('2026-02-17T00:00');
  const { slots } = await emisPlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from,
    to,
    slotTypeIds: ['11', '13'],
  });

  const expected: string[] = [];
  for (
    let day = DateTime.fromISO('2026-02-03');
    day < DateTime.fromISO('2026-02-17');
    day = day.plus({ days: 1 })
  ) {
    for (const session of sandbox.diary.day(day.toISODate()!)) {
      for (const slot of session.slots) {
        if (slot.slotTypeId === '11' || slot.slotTypeId === '13') {
          expected.push(`${slot.slotId} ${session.date}T${slot.startTime} ${slot.status} ${slot.slotTypeId}`);
        }
      }
    }
  }
  const actual = slots.map(
    (s) =>
      `${s.ehrSlotId} ${DateTime.fromJSDate(s.startAt, { zone: 'Europe/London' }).toFormat("yyyy-MM-dd'T'HH:mm")} ${s.ehrStatus} ${s.ehrSlotTypeId}`,
  );
  t.same(actual.sort(), expected.sort());
  t.ok(expected.length > 300, `${expected.length} slots`);
  t.ok(slots.every((s) => s.startAt >= from && s.startAt < to));
  t.same(
    [...new Set(slots.map((s) => s.status))].sort(),
    ['booked', 'free', 'unavailable'],
    'statuses normalised',
  );
});

t.test('maps one slot whole', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const { slots } = await emisPlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-03T00:00'),
    slotTypeIds: ['11'],
  });
  const common = { ehrSessionId: '1001', ehrPractitionerId: '501', ehrLocationId: '1', ehrSlotTypeId: '11' };
  t.same(slots.map(slotView), [
    {
      ehrSlotId: '100001',
      ...common,
      startAt: '2026-02-02T09:00:00.000Z',
      endAt: '2026-02-02T09:10:00.000Z',
      status: 'free',
      ehrStatus: 'Slot Available',
    },
    {
      ehrSlotId: '100002',
      ...common,
      startAt: '2026-02-02T09:10:00.000Z',
      endAt: '2026-02-02T09:20:00.000Z',
      status: 'booked',
      ehrStatus: 'Booked',
    },
    {
      ehrSlotId: '100003',
      ...common,
      startAt: '2026-02-02T09:20:00.000Z',
      endAt: '2026-02-02T09:30:00.000Z',
      status: 'unavailable',
      ehrStatus: 'Blocked',
    },
  ]);
});

t.test('an empty active list reads nothing', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 7, from: '2026-02-02' } });
  const result = await emisPlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-09T00:00'),
    slotTypeIds: [],
  });
  t.same(result, { slots: [] });
  t.same(sandbox.calls, []);
});

t.test('a window longer than 90 days is read in 90-day calls', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const { slots } = await emisPlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-01-01T00:00'),
    to: london('2026-05-01T00:00'),
    slotTypeIds: ['11', '15'],
  });
  t.equal(slots.length, 4);
  const sessionCalls = sandbox.calls.filter((c) => c.operation === 'GetAppointmentSessions');
  t.same(
    sessionCalls.map((c) => c.statusCode),
    [200, 200],
    '2 spans, every slot type in one call each, none refused',
  );
  t.equal(
    sandbox.calls.filter((c) => c.operation === 'GetSlotsForSession').length,
    1,
    'each session read once',
  );
});

function nineOClock(dbid: number, date: string): SessionSeed {
  return {
    dbid,
    name: 'Dr Hart',
    date,
    startTime: '09:00',
    endTime: '09:10',
    slotLength: 10,
    siteId: 1,
    holderIds: [501],
    slotTypeIds: ['11'],
  };
}

t.test('a session whose counts did not change is named unchanged, not read again', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const ctx = contextFor(sandbox.connection());
  const window = { from: london('2026-02-02T00:00'), to: london('2026-02-03T00:00'), slotTypeIds: ['11'] };
  const slotReads = () => sandbox.calls.filter((c) => c.operation === 'GetSlotsForSession').length;

  const first = await emisPlugin.onSlotFetch(ctx, window);
  t.equal(first.slots.length, 3);
  t.same(Object.keys(first.sessionDigests ?? {}), ['1001'], 'the session lies wholly inside the window');
  t.same(first.unchangedSessions, []);
  t.equal(slotReads(), 1);

  const known = new Map(Object.entries(first.sessionDigests!));
  const again = await emisPlugin.onSlotFetch(ctx, { ...window, knownSessions: known });
  t.same(again.slots, [], 'its slots are not read');
  t.same(again.unchangedSessions, ['1001']);
  t.same(again.sessionDigests, first.sessionDigests);
  t.equal(slotReads(), 1, 'no GetSlotsForSession');

  sandbox.diary.receptionBook(100001, 9001, 'Follow-up');
  const booked = await emisPlugin.onSlotFetch(ctx, { ...window, knownSessions: known });
  t.same(booked.unchangedSessions, [], 'a booking changes the counts');
  t.not(booked.sessionDigests?.['1001'], first.sessionDigests?.['1001']);
  t.equal(booked.slots.find((s) => s.ehrSlotId === '100001')?.status, 'booked');
  t.equal(slotReads(), 2);
});

t.test('a session the window cuts through is always read, and never vouched for', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const ctx = contextFor(sandbox.connection());
  // From 09:15: the 09:00–09:40 session is partly before the window.
  const window = { from: london('2026-02-02T09:15'), to: london('2026-02-03T00:00'), slotTypeIds: ['11'] };
  const first = await emisPlugin.onSlotFetch(ctx, window);
  t.same(first.sessionDigests, {});
  t.same(
    first.slots.map((s) => s.ehrSlotId),
    ['100003'],
    'only the slots starting in the window',
  );
  const whole = await emisPlugin.onSlotFetch(ctx, { ...window, from: london('2026-02-02T00:00') });
  const again = await emisPlugin.onSlotFetch(ctx, {
    ...window,
    knownSessions: new Map(Object.entries(whole.sessionDigests!)),
  });
  t.same(again.unchangedSessions, [], 'a digest of the whole session does not vouch for a part of it');
  t.equal(again.slots.length, 1);
});

t.test('09:00 stays 09:00 Europe/London across the clocks changing', async (t) => {
  const sandbox = await startSandbox(t);
  const seed: DiarySeed = {
    ...SMALL_DIARY,
    sessions: [
      nineOClock(1, '2026-03-27'), // Friday, GMT
      nineOClock(2, '2026-03-29'), // Sunday the clocks go forward, BST
      nineOClock(3, '2026-03-30'), // Monday, BST
      nineOClock(4, '2026-10-23'), // Friday, BST
      nineOClock(5, '2026-10-25'), // Sunday the clocks go back, GMT
      nineOClock(6, '2026-10-26'), // Monday, GMT
    ],
  };
  sandbox.seed(seed);
  const ctx = contextFor(sandbox.connection());
  const fetchStarts = async (from: string, to: string) =>
    (
      await emisPlugin.onSlotFetch(ctx, { from: london(from), to: london(to), slotTypeIds: ['11'] })
    ).slots.map((s) => s.startAt.toISOString());
  t.same(await fetchStarts('2026-03-27T00:00', '2026-03-31T00:00'), [
    '2026-03-27T09:00:00.000Z',
    '2026-03-29T08:00:00.000Z',
    '2026-03-30T08:00:00.000Z',
  ]);
  t.same(await fetchStarts('2026-10-23T00:00', '2026-10-27T00:00'), [
    '2026-10-23T08:00:00.000Z',
    '2026-10-25T09:00:00.000Z',
    '2026-10-26T09:00:00.000Z',
  ]);
  t.same(
    await fetchStarts('2026-03-29T09:00', '2026-03-30T09:00'),
    ['2026-03-29T08:00:00.000Z'],
    'from is inclusive, to exclusive',
  );

  const sydney = contextFor(sandbox.connection(), { timeZone: 'Australia/Sydney' });
  const { slots } = await emisPlugin.onSlotFetch(sydney, {
    from: new Date('2026-03-26T00:00:00Z'),
    to: new Date('2026-03-28T00:00:00Z'),
    slotTypeIds: ['11'],
  });
  t.same(
    slots.map((s) => s.startAt.toISOString()),
    ['2026-03-26T22:00:00.000Z'],
    'the practice zone decides (09:00 AEDT on 27 March)',
  );
});
