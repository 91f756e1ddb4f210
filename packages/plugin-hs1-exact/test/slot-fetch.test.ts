/**
 * onSlotFetch against the sandbox over HTTP: stacking off publishes only the first slot after each
 * break, stacking on every slot at the provider's interval; a reason only where it fits; a
 * cancellation in Exact frees the time at the next fetch; 09:00 stays 09:00 across the clock
 * changes of Australia/Sydney and Europe/London.
 */
import { DateTime } from 'luxon';
import t from 'tap';
import { hs1ExactPlugin } from '../src/hs1-exact-plugin.ts';
import type { PracticeSeed } from '../src/sandbox/index.ts';
import { slotIdOf } from '../src/slot-id.ts';
import {
  BEFORE_OPENING,
  contextFor,
  DAY,
  DAY_WINDOW,
  SMALL_PRACTICE,
  STACKED_PRACTICE,
  slotLine,
  startSandbox,
  sydney,
} from './fixtures.ts';

t.test('stacking off: only the first slot after each break, with every reason that fits there', async (t) => {
  const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
  sandbox.seed(SMALL_PRACTICE);
  const { slots } = await hs1ExactPlugin.onSlotFetch(contextFor(sandbox.connection()), DAY_WINDOW);
  t.same(
    slots.map((s) => slotLine(s)),
    [
      'DR01 2026-02-02 08:30 R01 30 Available', // morning: first free after opening (08:00–08:30 is booked)
      'HY01 2026-02-02 09:00 R01 40 Available', // her only period: first slot of the online hygiene clinic
      'HY01 2026-02-02 09:00 R02 60 Available',
      'DR01 2026-02-02 13:00 R01 30 Available', // afternoon: first slot after lunch
      'DR01 2026-02-02 13:00 R02 60 Available',
      'DR01 2026-02-02 15:00 R02 60 InSurgery', // an appointment with a booking reason is a booked slot
    ],
  );
  t.same(
    slots.map(({ startAt, endAt, ...rest }) => rest)[0],
    {
      ehrSlotId: slotIdOf({ providerId: 'DR01', date: DAY, startTime: '08:30', reasonId: 'R01' }),
      ehrSessionId: null,
      ehrPractitionerId: 'DR01',
      ehrLocationId: '1001',
      ehrSlotTypeId: 'R01',
      status: 'free',
      ehrStatus: 'Available',
    },
    'one slot whole',
  );
  t.equal(slots[0]!.startAt.toISOString(), '2026-02-01T21:30:00.000Z', '08:30 AEDT');
  t.same(
    sandbox.calls.map((c) => `${c.operation} ${c.statusCode}`),
    ['GetOnlineBookingSetup 200', 'GetSchedule 200'],
  );
});

t.test(
  "stacking on: every slot at the provider's own interval, each reason only where it fits",
  async (t) => {
    const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
    sandbox.seed(STACKED_PRACTICE);
    const { slots } = await hs1ExactPlugin.onSlotFetch(contextFor(sandbox.connection()), DAY_WINDOW);
    const free = (provider: string, reason: string) =>
      slots
        .filter((s) => s.ehrPractitionerId === provider && s.ehrSlotTypeId === reason && s.status === 'free')
        .map((s) => slotLine(s).split(' ')[2]);
    // Dr Chen: 15-minute interval, 30-minute online slots; free 08:30–09:15, 10:00–12:00, 13:00–15:00, 16:00–16:30.
    t.same(free('DR01', 'R01'), [
      ...['08:30', '08:45'],
      ...['10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30'],
      ...['13:00', '13:15', '13:30', '13:45', '14:00', '14:15', '14:30'],
      '16:00',
    ]);
    // 60 minutes fit neither 08:30–09:15 nor 16:00–16:30, nor the last hour before lunch or 15:00.
    t.same(free('DR01', 'R02'), [
      '10:00',
      '10:15',
      '10:30',
      '10:45',
      '11:00',
      '13:00',
      '13:15',
      '13:30',
      '13:45',
      '14:00',
    ]);
    t.same(
      free('DR01', 'R03'),
      [],
      'a 15-minute reason is shorter than the 30-minute online slot: never offered',
    );
    // Ms Nair: 20-minute interval, 40-minute slots, only inside her 09:00–11:00 online clinic.
    t.same(free('HY01', 'R01'), ['09:00', '09:20', '09:40', '10:00', '10:20']);
    t.same(free('HY01', 'R02'), ['09:00', '09:20', '09:40', '10:00']);
    t.ok(
      slots.every(
        (s) =>
          s.endAt.getTime() - s.startAt.getTime() ===
          (s.ehrSlotTypeId === 'R02' ? 60 : s.ehrPractitionerId === 'HY01' ? 40 : 30) * 60_000,
      ),
      "each slot lasts that provider's duration for the reason",
    );
  },
);

t.test('only the active reasons, only inside [from, to), nothing read for no active reason', async (t) => {
  const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
  sandbox.seed(STACKED_PRACTICE);
  const ctx = contextFor(sandbox.connection());
  const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, {
    from: sydney(`${DAY}T10:00`),
    to: sydney(`${DAY}T10:30`),
    slotTypeIds: ['R02'],
  });
  t.same(
    slots.map((s) => slotLine(s)),
    [
      'DR01 2026-02-02 10:00 R02 60 Available',
      'HY01 2026-02-02 10:00 R02 60 Available',
      'DR01 2026-02-02 10:15 R02 60 Available',
    ],
  );
  sandbox.calls.length = 0;
  t.same(await hs1ExactPlugin.onSlotFetch(ctx, { ...DAY_WINDOW, slotTypeIds: [] }), { slots: [] });
  t.same(sandbox.calls, []);
});

t.test("the practice server's now and days ahead bound what is published", async (t) => {
  const sandbox = await startSandbox(t, { now: sydney(`${DAY}T10:20`) });
  sandbox.seed(SMALL_PRACTICE);
  const ctx = contextFor(sandbox.connection());
  const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  t.same(
    slots.filter((s) => s.status === 'free').map((s) => slotLine(s)),
    [
      'HY01 2026-02-02 10:20 R01 40 Available', // the first slot from now on; Check-up & Clean no longer fits
      'DR01 2026-02-02 10:30 R01 30 Available', // the morning's first slot from now on, on the 15-minute grid
      'DR01 2026-02-02 10:30 R02 60 Available',
      'DR01 2026-02-02 13:00 R01 30 Available',
      'DR01 2026-02-02 13:00 R02 60 Available',
    ],
  );

  // Ms Nair publishes 14 days ahead (to 16 February), Dr Chen 30: on the Monday 21 days on, only Dr Chen.
  sandbox.setClock(BEFORE_OPENING);
  const mondays = ['2026-02-09', '2026-02-16', '2026-02-23'];
  sandbox.seed({
    ...SMALL_PRACTICE,
    clinics: mondays.map((date) => ({
      providerId: 'HY01',
      date,
      start: '09:00',
      end: '11:00',
      name: 'Online hygiene',
    })),
    appointments: [],
  });
  const weeks = await hs1ExactPlugin.onSlotFetch(ctx, {
    from: sydney('2026-02-09T00:00'),
    to: sydney('2026-02-24T00:00'),
    slotTypeIds: ['R01'],
  });
  t.same(
    weeks.slots.filter((s) => s.ehrPractitionerId === 'HY01').map((s) => slotLine(s)),
    ['HY01 2026-02-09 09:00 R01 40 Available', 'HY01 2026-02-16 09:00 R01 40 Available'],
  );
  t.ok(weeks.slots.some((s) => slotLine(s).startsWith('DR01 2026-02-23 08:00')));
});

t.test('a cancellation made in Exact frees the time at the next fetch', async (t) => {
  const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
  sandbox.seed(SMALL_PRACTICE);
  const ctx = contextFor(sandbox.connection());
  const before = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  t.ok(before.slots.some((s) => slotLine(s) === 'DR01 2026-02-02 15:00 R02 60 InSurgery'));

  const inSurgery = sandbox.practiceServer.day(DAY).appointments.find((a) => a.startTime === '15:00')!;
  const response = await fetch(`${sandbox.url}/_sandbox/appointments/${inSurgery.id}/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'Cancelled' }),
  });
  t.equal(response.status, 200);
  sandbox.practiceServer.setAppointmentStacking(true);

  const after = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  const at15 = after.slots.filter((s) => slotLine(s).includes(' 15:00 ')).map((s) => slotLine(s));
  t.same(at15, ['DR01 2026-02-02 15:00 R01 30 Available', 'DR01 2026-02-02 15:00 R02 60 Available']);
  const sameId = after.slots.find((s) => slotLine(s) === 'DR01 2026-02-02 15:00 R02 60 Available')!;
  const bookedId = before.slots.find((s) => slotLine(s) === 'DR01 2026-02-02 15:00 R02 60 InSurgery')!;
  t.equal(sameId.ehrSlotId, bookedId.ehrSlotId, 'the booked slot comes back free under the same id');
});

/** One provider who works 09:00–09:30 every day: exactly one 09:00 slot a day. */
function oneSlotADay(from: string): PracticeSeed {
  return {
    practice: { id: '1001', name: 'Harbourside Dental' },
    appointmentStacking: true,
    providers: [
      {
        id: 'DR01',
        title: 'Dr',
        firstName: 'Olivia',
        lastName: 'Chen',
        role: 'Dentist',
        workingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '09:30' })),
      },
    ],
    bookingReasons: [
      {
        id: 'R01',
        name: 'Healthengine',
        marketing: false,
        providers: [{ providerId: 'DR01', durationMinutes: 30 }],
      },
    ],
    onlineBookingConfiguration: [
      {
        providerId: 'DR01',
        durationMinutes: 30,
        intervalMinutes: 30,
        bookableTime: { kind: 'allUnbooked' },
        daysAhead: 30,
      },
    ],
    appointments: [
      { providerId: 'DR01', date: from, startTime: '09:00', durationMinutes: 30, reasonId: 'R01' },
    ],
  };
}

const daylightSaving = [
  {
    zone: 'Australia/Sydney',
    change: 'AEDT starts (first Sunday of October)',
    now: '2026-10-01T00:00:00Z',
    from: '2026-10-02',
    to: '2026-10-06',
    // Sat 09:00 AEST (+10), Sun and Mon 09:00 AEDT (+11).
    expected: ['2026-10-02T23:00:00.000Z', '2026-10-03T22:00:00.000Z', '2026-10-04T22:00:00.000Z'],
  },
  {
    zone: 'Australia/Sydney',
    change: 'AEDT ends (first Sunday of April)',
    now: '2026-04-01T00:00:00Z',
    from: '2026-04-03',
    to: '2026-04-07',
    // Sat 09:00 AEDT (+11), Sun and Mon 09:00 AEST (+10).
    expected: ['2026-04-03T22:00:00.000Z', '2026-04-04T23:00:00.000Z', '2026-04-05T23:00:00.000Z'],
  },
  {
    zone: 'Europe/London',
    change: 'BST starts (last Sunday of March)',
    now: '2026-03-26T00:00:00Z',
    from: '2026-03-27',
    to: '2026-03-31',
    // Sat 09:00 GMT, Sun and Mon 09:00 BST (+1).
    expected: ['2026-03-28T09:00:00.000Z', '2026-03-29T08:00:00.000Z', '2026-03-30T08:00:00.000Z'],
  },
  {
    zone: 'Europe/London',
    change: 'BST ends (last Sunday of October)',
    now: '2026-10-22T00:00:00Z',
    from: '2026-10-23',
    to: '2026-10-27',
    // Sat 09:00 BST (+1), Sun and Mon 09:00 GMT.
    expected: ['2026-10-24T08:00:00.000Z', '2026-10-25T09:00:00.000Z', '2026-10-26T09:00:00.000Z'],
  },
];

for (const { zone, change, now, from, to, expected } of daylightSaving) {
  t.test(`${zone}: a 09:00 slot stays 09:00 local as ${change}`, async (t) => {
    const sandbox = await startSandbox(t, { timeZone: zone, now: new Date(now) });
    sandbox.seed(oneSlotADay(from));
    const ctx = contextFor(sandbox.connection(), { timeZone: zone });
    const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, {
      from: DateTime.fromISO(from, { zone }).toJSDate(),
      to: DateTime.fromISO(to, { zone }).toJSDate(),
      slotTypeIds: ['R01'],
    });
    const free = slots.filter((s) => s.status === 'free');
    // The first day's 09:00 is booked: it is the one booked slot.
    t.same(
      free.map((s) => s.startAt.toISOString()),
      expected,
    );
    t.ok(free.every((s) => slotLine(s, zone).includes(' 09:00 ')));
    t.ok(free.every((s) => s.endAt.getTime() - s.startAt.getTime() === 30 * 60_000));
    t.same(
      slots.filter((s) => s.status === 'booked').map((s) => slotLine(s, zone)),
      [`DR01 ${from} 09:00 R01 30 Confirmed`],
    );
  });
}
