/** instantToLocalIso writes what luxon writes, across zones and their clock changes; calendar days against 24-hour spans. */
import { DateTime } from 'luxon';
import t from 'tap';
import { addDays, addLocalDays, instantToLocalIso } from '../src/time.ts';

t.test('the same text as luxon, every 7 minutes through DST changes, in several zones', async (t) => {
  const zones = [
    'Europe/London',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'America/St_Johns',
    'Asia/Kathmandu',
    'UTC',
    'Etc/GMT+5',
  ];
  const from = Date.UTC(2026, 2, 20);
  const to = Date.UTC(2026, 10, 10);
  let compared = 0;
  for (const zone of zones) {
    const mismatches: string[] = [];
    for (let ms = from; ms < to; ms += 7 * 60_000 + 13) {
      const instant = new Date(ms % 2 ? ms : ms - (ms % 1000));
      const expected = DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true });
      if (instantToLocalIso(instant, zone) !== expected)
        mismatches.push(`${instant.toISOString()} ${expected}`);
      compared += 1;
    }
    t.same(mismatches.slice(0, 3), [], zone);
  }
  t.ok(compared > 300_000);
  t.equal(instantToLocalIso(new Date('2026-03-29T00:59:59Z'), 'Europe/London'), '2026-03-29T00:59:59+00:00');
  t.equal(instantToLocalIso(new Date('2026-03-29T01:00:00Z'), 'Europe/London'), '2026-03-29T02:00:00+01:00');
  t.equal(instantToLocalIso(new Date('2026-11-24T09:00:00Z'), 'UTC'), '2026-11-24T09:00:00Z');
});

t.test(
  'addLocalDays keeps the local time across the clock changes; addDays adds 24-hour spans',
  async (t) => {
    const zone = 'Europe/London';
    // 10:00 GMT the day before the clocks go forward (28 March 2027).
    const before = new Date('2027-03-27T10:00:00Z');
    t.equal(
      addLocalDays(before, 1, zone).toISOString(),
      '2027-03-28T09:00:00.000Z',
      '10:00 BST: 23 hours later',
    );
    t.equal(addDays(before, 1).toISOString(), '2027-03-28T10:00:00.000Z', '11:00 BST');
    // 10:00 BST the day before they go back (31 October 2027).
    const autumn = new Date('2027-10-30T09:00:00Z');
    t.equal(
      addLocalDays(autumn, 1, zone).toISOString(),
      '2027-10-31T10:00:00.000Z',
      '10:00 GMT: 25 hours later',
    );
    // A 28-day horizon over the spring change ends at the same local time.
    t.equal(
      addLocalDays(new Date('2027-03-15T09:00:00Z'), 28, zone).toISOString(),
      '2027-04-12T08:00:00.000Z',
    );
    t.equal(
      addLocalDays(new Date('2027-03-27T23:00:00Z'), 2, 'Australia/Sydney').toISOString(),
      '2027-03-29T23:00:00.000Z',
      'Sydney: no change that week',
    );
  },
);
