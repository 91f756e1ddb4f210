/** instantToLocalIso writes what luxon writes, across zones and their clock changes. */
import { DateTime } from 'luxon';
import t from 'tap';
import { instantToLocalIso } from '../src/time.ts';

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
