/**
 * Issue #9 (1): the GP Connect Appointment Management 1.2.7 provider rules we adopt
 * (docs/gp-connect.md) — the slot search window is checked, never cut short silently, and only
 * slots wholly inside it are answered.
 */
import { localDateOf } from '@slotbridge/core';
import t from 'tap';
import { offeringPractice, slotAt } from './helpers/offering-practice.ts';

const DAY = 86_400_000;

function tomorrowAt(hour: number, minute = 0): Date {
  const at = new Date();
  at.setUTCDate(at.getUTCDate() + 1);
  at.setUTCHours(hour, minute, 0, 0);
  return at;
}

const dateIn = (days: number) => localDateOf(new Date(Date.now() + days * DAY), 'Europe/London');

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
