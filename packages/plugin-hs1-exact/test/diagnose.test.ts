/**
 * The diagnose hook against the sandbox: "why isn't this slot offered?" answered from the
 * practice's own set-up — the provider online and linked to the reason, the days ahead, the
 * duration fit, and how many slots Appointment Stacking being off hides that day.
 */
import t from 'tap';
import { hs1ExactPlugin } from '../src/hs1-exact-plugin.ts';
import { BEFORE_OPENING, contextFor, DAY, SMALL_PRACTICE, startSandbox } from './fixtures.ts';

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
  sandbox.seed(SMALL_PRACTICE);
  const ctx = contextFor(sandbox.connection());
  const diagnose = (input: { date: string; ehrSlotTypeId?: string; ehrPractitionerId?: string }) =>
    hs1ExactPlugin.diagnose!(ctx, { ...input, slots: [] });
  return { sandbox, diagnose };
}

t.test('Dr Chen, Healthengine, on the day: all pass but stacking, which hides 15 of 17 slots', async (t) => {
  const { diagnose } = await setUp(t);
  t.same(await diagnose({ date: DAY, ehrPractitionerId: 'DR01', ehrSlotTypeId: 'R01' }), [
    {
      id: 'hs1.provider-online',
      title: "Is the provider in Exact's Online Booking Configuration?",
      status: 'pass',
      evidence:
        'Dr Olivia Chen is in the Online Booking Configuration: online slots of 30 minutes every 15 minutes, all ' +
        'unbooked time, 30 days ahead.',
    },
    {
      id: 'hs1.reason-linked',
      title: 'Is the provider linked to the booking reason?',
      status: 'pass',
      evidence: 'Healthengine is configured for Dr Olivia Chen (30 minutes).',
    },
    {
      id: 'hs1.days-ahead',
      title: 'Is the date within the days ahead of the Online Booking Configuration?',
      status: 'pass',
      evidence: '2026-02-02 is 0 day(s) ahead, within the days ahead of Dr Olivia Chen (30).',
    },
    {
      id: 'hs1.duration-fit',
      title: "Does the booking reason fit the provider's online slots and free time?",
      status: 'pass',
      evidence: 'Healthengine (30 minutes) fits Dr Olivia Chen: longest free online time 120 minutes.',
    },
    {
      id: 'hs1.appointment-stacking',
      title: 'Is Appointment Stacking on?',
      status: 'fail',
      evidence:
        'Appointment Stacking is off: on 2026-02-02 only 2 of 17 available slots are published (the first after each ' +
        'break); it hides 15.',
      fix: 'In Exact open Web Setup and tick Appointment Stacking. Every available slot is then published.',
    },
  ]);
});

t.test('with stacking on, the stacking check passes and counts the slots', async (t) => {
  const { sandbox, diagnose } = await setUp(t);
  sandbox.practiceServer.setAppointmentStacking(true);
  const checks = await diagnose({ date: DAY, ehrPractitionerId: 'DR01', ehrSlotTypeId: 'R02' });
  t.same(checks[4], {
    id: 'hs1.appointment-stacking',
    title: 'Is Appointment Stacking on?',
    status: 'pass',
    evidence: 'Appointment Stacking is on: all 10 available slot(s) on 2026-02-02 are published.',
  });
});

t.test('a reason too short for the online slot, and one longer than any free time', async (t) => {
  const { sandbox, diagnose } = await setUp(t);
  const short = await diagnose({ date: DAY, ehrPractitionerId: 'DR01', ehrSlotTypeId: 'R03' });
  t.same(short[3], {
    id: 'hs1.duration-fit',
    title: "Does the booking reason fit the provider's online slots and free time?",
    status: 'fail',
    evidence:
      'Quick review is 15 minutes for Dr Olivia Chen, shorter than their 30-minute online slots, so Exact does not ' +
      'show it.',
    fix:
      'In Exact open Web Setup → the booking reason → Configure Providers and, with "ed", make its online duration at ' +
      'least the duration in Online Booking Configuration. A reason longer than the free time only fits on days ' +
      'with a longer gap.',
  });

  // Ms Nair's clinic 09:00–11:00 with 09:50–10:10 booked: two 50-minute gaps, too short for 60 minutes.
  sandbox.practiceServer.receptionBook({
    providerId: 'HY01',
    date: DAY,
    startTime: '09:50',
    durationMinutes: 20,
  });
  const long = await diagnose({ date: DAY, ehrPractitionerId: 'HY01', ehrSlotTypeId: 'R02' });
  t.same(long[3], {
    id: 'hs1.duration-fit',
    title: "Does the booking reason fit the provider's online slots and free time?",
    status: 'fail',
    evidence:
      'Check-up & Clean needs 60 minutes with Ms Priya Nair; their longest free online time on 2026-02-02 is 50 minutes.',
    fix:
      'The free time that day is shorter than the booking reason: another day, a shorter reason, or freeing time in ' +
      'the appointment book offers it.',
  });
  t.equal(long[4]?.status, 'pass', 'stacking hides nothing when nothing fits');
});

t.test('a provider not linked to the reason, or not online at all', async (t) => {
  const { sandbox, diagnose } = await setUp(t);
  const checks = await diagnose({ date: DAY, ehrPractitionerId: 'HY01', ehrSlotTypeId: 'R03' });
  t.same(checks[1], {
    id: 'hs1.reason-linked',
    title: 'Is the provider linked to the booking reason?',
    status: 'fail',
    evidence: 'Quick review is not configured for Ms Priya Nair.',
    fix:
      'In Exact open Web Setup → Quick review → Configure Providers and add Ms Priya Nair with the "+1" button and ' +
      'an online duration.',
  });
  t.same(checks[3]?.status, 'not_applicable');

  sandbox.practiceServer.removeOnlineBookingProvider('HY01');
  const offline = await diagnose({ date: DAY, ehrPractitionerId: 'HY01' });
  t.same(offline[0], {
    id: 'hs1.provider-online',
    title: "Is the provider in Exact's Online Booking Configuration?",
    status: 'fail',
    evidence: 'Ms Priya Nair is not in the Online Booking Configuration, so none of their time is published.',
    fix: 'In Exact open Online Booking Configuration and add Ms Priya Nair with the "+1" button.',
  });
  t.same(
    offline.map((c) => c.status),
    ['fail', 'not_applicable', 'not_applicable', 'not_applicable', 'pass'],
  );
});

t.test('a date beyond the days ahead names the providers it cuts off', async (t) => {
  const { diagnose } = await setUp(t);
  const checks = await diagnose({ date: '2026-02-23', ehrSlotTypeId: 'R01' });
  t.same(checks[2], {
    id: 'hs1.days-ahead',
    title: 'Is the date within the days ahead of the Online Booking Configuration?',
    status: 'fail',
    evidence: '2026-02-23 is 21 day(s) ahead, beyond the days ahead of Ms Priya Nair (14, up to 2026-02-16).',
    fix:
      'In Exact open Online Booking Configuration and raise Days ahead to at least 21 for Ms Priya Nair. slotbridge ' +
      "publishes no further than the practice's publishing horizon (30 days unless set higher, 90 at most).",
  });
  t.same(checks[1], {
    id: 'hs1.reason-linked',
    title: 'Is the provider linked to the booking reason?',
    status: 'pass',
    evidence: 'Healthengine is configured for Dr Olivia Chen, Ms Priya Nair.',
  });
  t.equal(
    (await diagnose({ date: '2026-02-01' }))[2]?.evidence,
    '2026-02-01 is before today at the practice (2026-02-02).',
  );
});

t.test('Exact unreadable (practice server offline): one failing check that says why', async (t) => {
  const { sandbox, diagnose } = await setUp(t);
  sandbox.setPracticeServerOnline(false);
  t.same(await diagnose({ date: DAY }), [
    {
      id: 'hs1.exact-readable',
      title: 'Can slotbridge read the Exact set-up?',
      status: 'fail',
      evidence:
        "The practice's Exact server is offline: HS1 could not relay GetOnlineBookingSetup (HTTP 502, PRACTICE_SERVER_OFFLINE)",
      fix:
        "HS1's cloud cannot reach the practice's Exact server. Make sure the server computer is switched on, awake " +
        'and connected to the internet, and that Exact is running on it. slotbridge retries on its own and catches ' +
        'up when the server is back.',
    },
  ]);
});
