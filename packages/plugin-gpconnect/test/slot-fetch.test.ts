/** onSlotFetch: searches of at most 14 days, slots starting in the window, UTC instants across DST. */
import t from 'tap';
import { gpconnectPlugin, MAX_SEARCH_DAYS, OVERHANG_MS, planSearches } from '../src/index.ts';
import { DEMO_SLOT_TYPE } from '../src/sandbox/index.ts';
import { ctxFor, startSandbox } from './helpers.ts';

const ZONE = 'Europe/London';

t.test('planSearches: every search at most 14 local days, the parts adjoining', async (t) => {
  const from = new Date('2027-03-20T00:00:00Z');
  const to = new Date('2027-04-03T00:00:00+01:00');
  const plans = planSearches(from, to, ZONE);
  t.equal(plans.length, 2, 'a 14-day window across the clocks going forward: two searches');
  t.same(plans[0]!.keep.from, from);
  t.same(plans.at(-1)!.keep.to, to);
  t.same(plans[1]!.keep.from, plans[0]!.keep.to);
  for (const p of plans) {
    t.ok(p.search.end.getTime() - p.search.start.getTime() <= MAX_SEARCH_DAYS * 86_400_000, 'within 14 days');
    t.ok(p.search.end.getTime() >= Math.min(p.keep.to.getTime() + OVERHANG_MS, p.search.end.getTime()));
  }
  t.equal(
    planSearches(from, new Date(from.getTime() + 2 * 86_400_000), ZONE).length,
    1,
    'a short window: one search',
  );
});

t.test('a slot straddling the end of the window is still found; one starting at `to` is not', async (t) => {
  const { sandbox, connection } = await startSandbox(0);
  t.teardown(() => sandbox.close());
  sandbox.diary.schedules.set('9', { id: '9', practitionerId: '1', locationId: '1', serviceCategory: 'X' });
  sandbox.seedDemoDiary({ days: 0 });
  const a = sandbox.placeSlot({
    date: '2027-06-01',
    time: '23:55',
    minutes: 10,
    slotTypeId: DEMO_SLOT_TYPE.GP,
  });
  const b = sandbox.placeSlot({
    date: '2027-06-02',
    time: '00:00',
    minutes: 10,
    slotTypeId: DEMO_SLOT_TYPE.GP,
  });
  const { slots } = await gpconnectPlugin.onSlotFetch(ctxFor(connection), {
    from: new Date('2027-06-01T00:00:00+01:00'),
    to: new Date('2027-06-02T00:00:00+01:00'),
    slotTypeIds: [DEMO_SLOT_TYPE.GP],
  });
  t.same(
    slots.map((s) => s.ehrSlotId),
    [a.id],
  );
  t.notOk(slots.some((s) => s.ehrSlotId === b.id));
  t.equal(slots[0]!.startAt.toISOString(), '2027-06-01T22:55:00.000Z', 'BST: 23:55 local is 22:55 UTC');
  t.match(slots[0], {
    ehrSessionId: String,
    ehrPractitionerId: String,
    ehrLocationId: String,
    status: 'free',
    ehrStatus: 'free',
  });
});

t.test('winter and summer times, only the active slot types, booked slots gone', async (t) => {
  const { sandbox, connection } = await startSandbox(0);
  t.teardown(() => sandbox.close());
  const winter = sandbox.placeSlot({
    date: '2027-01-12',
    time: '09:00',
    minutes: 10,
    slotTypeId: DEMO_SLOT_TYPE.GP,
  });
  const summer = sandbox.placeSlot({
    date: '2027-07-13',
    time: '09:00',
    minutes: 10,
    slotTypeId: DEMO_SLOT_TYPE.TELEPHONE,
  });
  const ctx = ctxFor(connection);
  const fetch = (date: string, types: string[]) =>
    gpconnectPlugin.onSlotFetch(ctx, {
      from: new Date(`${date}T00:00:00Z`),
      to: new Date(`${date}T23:00:00Z`),
      slotTypeIds: types,
    });
  t.equal(
    (await fetch('2027-01-12', [DEMO_SLOT_TYPE.GP])).slots[0]?.startAt.toISOString(),
    '2027-01-12T09:00:00.000Z',
  );
  t.equal(
    (await fetch('2027-07-13', [DEMO_SLOT_TYPE.TELEPHONE])).slots[0]?.startAt.toISOString(),
    '2027-07-13T08:00:00.000Z',
  );
  t.same((await fetch('2027-07-13', [DEMO_SLOT_TYPE.GP])).slots, [], 'another slot type: not listed');
  sandbox.receptionBook(summer.id);
  t.same((await fetch('2027-07-13', [DEMO_SLOT_TYPE.TELEPHONE])).slots, [], 'booked at reception: gone');
  sandbox.block(winter.id);
  t.same((await fetch('2027-01-12', [DEMO_SLOT_TYPE.GP])).slots, [], 'blocked: gone');
});
