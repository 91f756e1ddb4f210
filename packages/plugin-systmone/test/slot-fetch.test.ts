/**
 * onSlotFetch against the sandbox: exactly the sandbox's free slots of the active slot types in
 * the window, each with its stable id, with wall-clock times turned into instants correctly
 * across the UK clock changes.
 */
import type { EhrSlot } from '@slotbridge/core';
import { DateTime } from 'luxon';
import t from 'tap';
import type { ClinicSeed, DiarySeed } from '../src/sandbox/index.ts';
import { slotIdOf } from '../src/slot-id.ts';
import { systmonePlugin } from '../src/systmone-plugin.ts';
import { contextFor, SMALL_DIARY, startSandbox } from './fixtures.ts';

const london = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' }).toJSDate();

function slotView(slot: EhrSlot) {
  return { ...slot, startAt: slot.startAt.toISOString(), endAt: slot.endAt.toISOString() };
}

t.test('returns exactly the sandbox free slots of the active types in [from, to)', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 28, from: '2026-02-02' } });
  const active = ['Routine GP', 'Blood Test', 'Baby Clinic'];
  const from = london('2026-02-03T10:00');
  const to = london('2026-02-17T00:00');
  const { slots } = await systmonePlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from,
    to,
    slotTypeIds: active,
  });

  const expected: string[] = [];
  for (
    let day = DateTime.fromISO('2026-02-03');
    day < DateTime.fromISO('2026-02-17');
    day = day.plus({ days: 1 })
  ) {
    for (const clinic of sandbox.diary.day(day.toISODate()!)) {
      for (const slot of clinic.slots) {
        const start = DateTime.fromISO(slot.dateTimeStart, { zone: 'Europe/London' }).toJSDate();
        // Baby Clinic is not bookable by third parties: SystmOne never lists it, active or not.
        if (slot.state !== 'free' || !['Routine GP', 'Blood Test'].includes(slot.slotType) || start < from)
          continue;
        const id = slotIdOf({ ...clinic, ...slot, durationMinutes: slot.duration });
        expected.push(`${id} ${slot.dateTimeStart} ${slot.slotType} ${clinic.userName} ${slot.duration}`);
      }
    }
  }
  const actual = slots.map(
    (s) =>
      `${s.ehrSlotId} ${DateTime.fromJSDate(s.startAt, { zone: 'Europe/London' }).toFormat("yyyy-MM-dd'T'HH:mm:ss")} ` +
      `${s.ehrSlotTypeId} ${s.ehrPractitionerId} ${(s.endAt.getTime() - s.startAt.getTime()) / 60_000}`,
  );
  t.same(actual.sort(), expected.sort());
  t.ok(expected.length > 200, `${expected.length} slots`);
  t.ok(slots.every((s) => s.startAt >= from && s.startAt < to && s.status === 'free'));
  t.same(
    sandbox.calls.map((c) => c.function),
    ['GetAppointmentSlots', 'GetAppointmentSlots'],
    'two week-long requests for 14 days',
  );
});

t.test('maps one slot whole; booked, blocked and other types are not listed', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const { slots } = await systmonePlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-03T00:00'),
    slotTypeIds: ['Routine GP', 'Baby Clinic'],
  });
  t.same(slots.map(slotView), [
    {
      ehrSlotId: slotIdOf({
        userName: 'AHart',
        siteName: 'Riverside Surgery',
        clinicType: 'GP Clinic',
        slotType: 'Routine GP',
        dateTimeStart: '2026-02-02T09:00:00',
        durationMinutes: 10,
      }),
      ehrSessionId: '["AHart","Riverside Surgery","GP Clinic","2026-02-02"]',
      ehrPractitionerId: 'AHart',
      ehrLocationId: 'Riverside Surgery',
      ehrSlotTypeId: 'Routine GP',
      startAt: '2026-02-02T09:00:00.000Z',
      endAt: '2026-02-02T09:10:00.000Z',
      status: 'free',
      ehrStatus: 'Available',
    },
  ]);
});

t.test('a slot booked in SystmOne disappears; cancelled, it comes back with the same id', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const ctx = contextFor(sandbox.connection());
  const window = {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-04T00:00'),
    slotTypeIds: ['Routine GP'],
  };
  const ids = async () => (await systmonePlugin.onSlotFetch(ctx, window)).slots.map((s) => s.ehrSlotId);
  const before = await ids();
  t.equal(before.length, 2);
  const uid = sandbox.diary.receptionBook(6, '9990000018');
  t.same(await ids(), before.slice(0, 1));
  sandbox.diary.receptionCancel(uid);
  t.same(await ids(), before);
});

t.test('an empty active list reads nothing', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 7, from: '2026-02-02' } });
  const result = await systmonePlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-09T00:00'),
    slotTypeIds: [],
  });
  t.same(result, { slots: [] });
  t.same(sandbox.calls, []);
});

function nineOClock(date: string): ClinicSeed {
  return {
    userName: 'AHart',
    siteName: 'Riverside Surgery',
    clinicType: 'GP Clinic',
    date,
    slots: [{ time: '09:00', slotType: 'Routine GP' }],
  };
}

t.test('09:00 stays 09:00 Europe/London across the clocks changing', async (t) => {
  const sandbox = await startSandbox(t);
  const seed: DiarySeed = {
    ...SMALL_DIARY,
    clinics: [
      nineOClock('2026-03-27'), // Friday, GMT
      nineOClock('2026-03-29'), // Sunday the clocks go forward, BST
      nineOClock('2026-03-30'), // Monday, BST
      nineOClock('2026-10-23'), // Friday, BST
      nineOClock('2026-10-25'), // Sunday the clocks go back, GMT
      nineOClock('2026-10-26'), // Monday, GMT
    ],
  };
  sandbox.seed(seed);
  const ctx = contextFor(sandbox.connection());
  const fetchStarts = async (from: string, to: string) =>
    (
      await systmonePlugin.onSlotFetch(ctx, {
        from: london(from),
        to: london(to),
        slotTypeIds: ['Routine GP'],
      })
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
  t.equal(sandbox.calls.length, 3, 'one request for each window of a week or less');

  const sydney = contextFor(sandbox.connection(), { timeZone: 'Australia/Sydney' });
  const { slots } = await systmonePlugin.onSlotFetch(sydney, {
    from: new Date('2026-03-26T00:00:00Z'),
    to: new Date('2026-03-28T00:00:00Z'),
    slotTypeIds: ['Routine GP'],
  });
  t.same(
    slots.map((s) => s.startAt.toISOString()),
    ['2026-03-26T22:00:00.000Z'],
    'the practice zone decides (09:00 AEDT on 27 March)',
  );
});

t.test('a window is read a week at a time, over whole local days', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const requests: string[] = [];
  const original = sandbox.diary.freeSlots.bind(sandbox.diary);
  sandbox.diary.freeSlots = (min, max) => {
    requests.push(`${min} ${max}`);
    return original(min, max);
  };
  await systmonePlugin.onSlotFetch(contextFor(sandbox.connection()), {
    from: london('2026-03-25T15:00'),
    to: london('2026-04-08T00:00'),
    slotTypeIds: ['Routine GP'],
  });
  t.same(requests, ['2026-03-25T00:00:00 2026-03-31T23:59:59', '2026-04-01T00:00:00 2026-04-07T23:59:59']);
});

t.test('SystmOne not answering fails the fetch as transient', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.setClientState('closed');
  await t.rejects(
    systmonePlugin.onSlotFetch(contextFor({ ...sandbox.connection(), readTimeoutMs: 200 }), {
      from: london('2026-02-02T00:00'),
      to: london('2026-02-03T00:00'),
      slotTypeIds: ['Routine GP'],
    }),
    { kind: 'transient', code: 'SYSTMONE_ERR_NO_ANSWER' },
  );
});
