/**
 * Issue #9 (1): the GP Connect Appointment Management 1.2.7 provider rules we adopt
 * (docs/gp-connect.md) — the slot search window is checked, never cut short silently, and only
 * slots wholly inside it are answered; nothing in the past is booked, cancelled or moved; each
 * booking has a version (ETag) that If-Match on a cancel or a move must name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { localDateOf } from '@slotbridge/core';
import t from 'tap';
import { type OfferingPractice, offeringPractice, slotAt } from './helpers/offering-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };
const DAY = 86_400_000;

function tomorrowAt(hour: number, minute = 0): Date {
  const at = new Date();
  at.setUTCDate(at.getUTCDate() + 1);
  at.setUTCHours(hour, minute, 0, 0);
  return at;
}

const dateIn = (days: number) => localDateOf(new Date(Date.now() + days * DAY), 'Europe/London');

async function confirmed(p: OfferingPractice, id: string) {
  for (let i = 0; ; i++) {
    const res = await p.call('GET', `/bookings/${id}`);
    if (res.json().state === 'confirmed') return res;
    if (i > 200) throw new Error(`booking ${id} never confirmed: ${res.body}`);
    await sleep(50);
  }
}

t.test('slot search: the window is checked against the clock and the horizon, and named', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9))]);
  const slots = (query: string) => p.call('GET', `/slots?${query}`);

  t.match((await slots(`from=${dateIn(3)}&to=${dateIn(2)}`)).json(), {
    status: 422,
    code: 'SB_ERR_WINDOW_REVERSED',
  });
  t.match(
    (await slots(`from=${dateIn(2)}&to=${dateIn(2)}`)).json(),
    {
      status: 422,
      code: 'SB_ERR_WINDOW_REVERSED',
    },
    'an empty window too',
  );
  t.match(
    (await slots(`to=${dateIn(-1)}`)).json(),
    {
      status: 422,
      code: 'SB_ERR_WINDOW_REVERSED',
    },
    '"to" before now, "from" left out',
  );
  t.match((await slots('from=2026-02-30')).json(), { status: 400, code: 'SB_ERR_WINDOW_INVALID' });

  const past = await slots(`from=${dateIn(-5)}`);
  t.match(past.json(), { status: 422, code: 'SB_ERR_WINDOW_IN_PAST', min: /^\d{4}-\d\d-\d\dT00:00:00/ });
  t.equal((await slots(`from=${dateIn(0)}`)).statusCode, 200, "today's date is fine");

  // The memory EHR publishes 28 days ahead by default: the latest `to` is the end of day 28.
  const beyond = await slots(`from=${dateIn(0)}&to=${dateIn(60)}`);
  t.equal(beyond.statusCode, 422, 'not 200 cut short');
  const problem = beyond.json();
  t.match(problem, {
    code: 'SB_ERR_WINDOW_BEYOND_HORIZON',
    horizonDays: 28,
    detail: /publishes slots 28 days ahead/,
    fix: /Leave "to" out/,
  });
  t.equal(problem.max.slice(0, 10), dateIn(29), 'max: midnight ending the day on which the horizon ends');
  t.equal((await slots(`to=${encodeURIComponent(problem.max)}`)).statusCode, 200, '"to" at max is fine');
  t.match((await slots(`from=${dateIn(40)}`)).json(), { status: 422, code: 'SB_ERR_WINDOW_BEYOND_HORIZON' });
  const whole = await slots('');
  t.equal(whole.json().data.length, 1, 'no window: the whole horizon');
});

t.test('slot search: only slots wholly inside the window', async (t) => {
  const p = await offeringPractice(t, [
    slotAt('s1', tomorrowAt(9), 10), // 09:00–09:10
    slotAt('s2', tomorrowAt(9, 10), 30), // 09:10–09:40
    slotAt('s3', tomorrowAt(9, 40), 10), // 09:40–09:50
  ]);
  const all: { id: string }[] = (await p.call('GET', '/slots')).json().data;
  const ehrIds = async (query: string) => {
    const res = await p.call('GET', `/slots?${query}`);
    t.equal(res.statusCode, 200, res.body);
    return res.json().data.map((s: { id: string }) => `s${all.findIndex((x) => x.id === s.id) + 1}`);
  };
  const iso = (d: Date) => encodeURIComponent(d.toISOString());
  t.same(await ehrIds(`to=${iso(tomorrowAt(9, 30))}`), ['s1'], 's2 runs past "to" (09:40 > 09:30)');
  t.same(await ehrIds(`to=${iso(tomorrowAt(9, 40))}`), ['s1', 's2'], 'a slot ending at "to" is inside');
  t.same(
    await ehrIds(`from=${iso(tomorrowAt(9, 5))}&to=${iso(tomorrowAt(10))}`),
    ['s2', 's3'],
    's1 starts before "from"',
  );
});

t.test('nothing in the past is booked, cancelled or moved', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9)), slotAt('s2', tomorrowAt(10))], {
    workers: true,
  });
  const [first, second] = (await p.call('GET', '/slots')).json().data;
  const booked = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'past-rules-0001' },
    payload: { slotId: first.id, patient },
  });
  const id = booked.json().id;
  await confirmed(p, id);

  // Time passes: both appointments have started (their rows say so; the clock is real).
  const started = new Date(Date.now() - 60_000);
  await p.slotbridge.db.updateTable('slots').set({ start_at: started }).where('id', '=', second.id).execute();
  await p.slotbridge.db.updateTable('bookings').set({ start_at: started }).where('id', '=', id).execute();

  const late = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'past-rules-0002' },
    payload: { slotId: second.id, patient },
  });
  t.match(late.json(), { status: 422, code: 'SB_ERR_SLOT_IN_PAST', fix: /only future slots/ });
  t.ok(late.json().failing.includes('in_future'), 'the offer rule it fails is named');
  t.match((await p.call('POST', `/bookings/${id}/cancel`)).json(), {
    status: 422,
    code: 'SB_ERR_BOOKING_IN_PAST',
  });
  t.match(
    (
      await p.call('POST', `/bookings/${id}/reschedule`, {
        headers: { 'idempotency-key': 'past-rules-0003' },
        payload: { slotId: second.id },
      })
    ).json(),
    { status: 422, code: 'SB_ERR_BOOKING_IN_PAST' },
  );
  t.match((await p.call('GET', `/bookings/${id}`)).json(), { state: 'confirmed' }, 'nothing changed');
  t.equal((await p.slotbridge.db.selectFrom('bookings').select('id').execute()).length, 1, 'nothing booked');
});

t.test('versions: ETag on every booking answer; If-Match on a cancel or a move', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9)), slotAt('s2', tomorrowAt(10))], {
    workers: true,
  });
  const [first, second] = (await p.call('GET', '/slots')).json().data;
  const booked = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'versions-0001' },
    payload: { slotId: first.id, patient },
  });
  t.equal(booked.statusCode, 201);
  t.equal(booked.headers.etag, 'W/"1"', 'a new booking is version 1');
  t.equal(booked.json().version, 1);
  const replayed = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'versions-0001' },
    payload: { slotId: first.id, patient },
  });
  t.equal(replayed.headers.etag, `W/"${replayed.json().version}"`, 'a replay carries the current ETag');
  const id = booked.json().id;

  const read = await confirmed(p, id);
  const etag = read.headers.etag as string;
  t.equal(etag, `W/"${read.json().version}"`, 'GET: the ETag is the version in the body');
  t.ok(read.json().version > 1, 'confirming it changed the version');

  // A move or a cancel that names an older version changes nothing.
  const staleMove = await p.call('POST', `/bookings/${id}/reschedule`, {
    headers: { 'idempotency-key': 'versions-0002', 'if-match': 'W/"1"' },
    payload: { slotId: second.id },
  });
  t.match(staleMove.json(), { status: 412, code: 'SB_ERR_BOOKING_VERSION_MISMATCH', etag });
  const stale = await p.call('POST', `/bookings/${id}/cancel`, { headers: { 'if-match': 'W/"1"' } });
  t.equal(stale.statusCode, 412);
  t.match(stale.json(), {
    code: 'SB_ERR_BOOKING_VERSION_MISMATCH',
    etag,
    fix: /GET the booking/,
    detail: /is at W\/"\d+" \(confirmed\), not W\/"1"/,
  });
  t.match(
    (await p.call('POST', `/bookings/${id}/cancel`, { headers: { 'if-match': 'garbage' } })).json(),
    { status: 412 },
    'an If-Match that is no entity tag does not hold',
  );
  const unchanged = await p.call('GET', `/bookings/${id}`);
  t.match(unchanged.json(), { state: 'confirmed' });
  t.equal(unchanged.headers.etag, etag, 'refusals change nothing, not even the version');

  // The current version (strong or weak) cancels, and the answer carries the new version.
  const cancelled = await p.call('POST', `/bookings/${id}/cancel`, {
    headers: { 'if-match': etag.replace('W/', '') },
  });
  t.equal(cancelled.statusCode, 200, cancelled.body);
  t.match(cancelled.json(), { state: 'cancelling' });
  t.not(cancelled.headers.etag, etag, 'a cancel changes the version');
  t.equal(cancelled.headers.etag, `W/"${cancelled.json().version}"`);
  // A retry of that cancel (its answer lost) is answered, not refused: the change was made.
  const retried = await p.call('POST', `/bookings/${id}/cancel`, { headers: { 'if-match': etag } });
  t.equal(retried.statusCode, 200);
});
