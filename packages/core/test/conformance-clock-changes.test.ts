/** The conformance kit finds the daylight-saving changes it places slots around. */
import t from 'tap';
import { nextClockChanges } from '../src/testing/conformance.ts';

t.test('the next two clock changes of a zone, by local date and direction', async (t) => {
  const from = new Date('2026-11-30T12:00:00Z');
  t.same(nextClockChanges('Europe/London', from), [
    { date: '2027-03-28', direction: 'forward' },
    { date: '2027-10-31', direction: 'back' },
  ]);
  t.same(nextClockChanges('Australia/Sydney', from), [
    { date: '2027-04-04', direction: 'back' },
    { date: '2027-10-03', direction: 'forward' },
  ]);
  t.same(nextClockChanges('America/New_York', from, 1), [{ date: '2027-03-14', direction: 'forward' }]);
});

t.test('a zone without daylight saving has none (the kit reports its check skipped)', async (t) => {
  t.same(nextClockChanges('Asia/Tokyo', new Date('2026-11-30T12:00:00Z')), []);
  t.same(nextClockChanges('UTC', new Date('2026-11-30T12:00:00Z')), []);
});
