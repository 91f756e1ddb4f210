/**
 * checkSetup against the sandbox: every finding in the practice manager's words, with its fix,
 * in seed 003's order; a failure that blocks the rest stops there.
 */
import t from 'tap';
import { hs1ExactPlugin } from '../src/hs1-exact-plugin.ts';
import type { PracticeSeed } from '../src/sandbox/index.ts';
import { contextFor, SMALL_PRACTICE, startSandbox } from './fixtures.ts';

const STACKING_OFF = {
  id: 'exact.appointment-stacking',
  ok: false,
  severity: 'warning',
  message:
    'Appointment Stacking is off: only the first available slot after each break is published — typically one ' +
    'morning and one afternoon slot a day.',
  fix: 'In Exact open Web Setup and tick Appointment Stacking. Every available slot is then published.',
};

const REACHED = [
  {
    id: 'hs1.credentials',
    ok: true,
    severity: 'error',
    message: 'HS1 accepts the slug and API key of Harbourside Dental.',
  },
  {
    id: 'hs1.practice-server',
    ok: true,
    severity: 'warning',
    message: "The practice's Exact server answers through HS1's cloud.",
  },
];

async function checksFor(t: { teardown(fn: () => unknown): void }, seed: PracticeSeed) {
  const sandbox = await startSandbox(t);
  sandbox.seed(seed);
  return hs1ExactPlugin.checkSetup(contextFor(sandbox.connection()));
}

t.test(
  'the demo practice: everything in order but Appointment Stacking, which Exact ships off',
  async (t) => {
    const sandbox = await startSandbox(t, { demo: { days: 7 } });
    t.same(await hs1ExactPlugin.checkSetup(contextFor(sandbox.connection())), [
      ...REACHED,
      {
        id: 'exact.online-booking-configuration',
        ok: true,
        severity: 'error',
        message:
          '3 provider(s) are in the Online Booking Configuration: Dr Olivia Chen, Dr Marcus Webb, Ms Priya Nair.',
      },
      STACKING_OFF,
      {
        id: 'exact.booking-reasons',
        ok: true,
        severity: 'error',
        message:
          'Web Setup has 4 booking reason(s): Healthengine, Check-up & Clean, Emergency, New Patient Special.',
      },
      {
        id: 'exact.providers-without-reasons',
        ok: true,
        severity: 'warning',
        message: 'Every provider in the Online Booking Configuration has at least one booking reason.',
      },
      {
        id: 'exact.default-reason',
        ok: true,
        severity: 'warning',
        message:
          'The default booking reason is Healthengine (it is named Healthengine). It is configured for every provider ' +
          'and fits their online slots.',
      },
    ]);

    sandbox.practiceServer.setAppointmentStacking(true);
    const checks = await hs1ExactPlugin.checkSetup(contextFor(sandbox.connection()));
    t.same(checks[3], {
      id: 'exact.appointment-stacking',
      ok: true,
      severity: 'warning',
      message: 'Appointment Stacking is on: every available slot is published.',
    });
  },
);

t.test('a wrong slug or API key stops the checks with the fix', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seedDemoDiary({ days: 1 });
  const connection = sandbox.connection();
  t.same(await hs1ExactPlugin.checkSetup(contextFor({ ...connection, slug: 'harbourside' })), [
    {
      id: 'hs1.credentials',
      ok: false,
      severity: 'error',
      message: 'HS1 knows no practice with the slug "harbourside".',
      fix: 'HS1 knows no practice by this slug. Enter the slug exactly as HS1 gave it for the integration (no spaces).',
    },
  ]);
  t.same(await hs1ExactPlugin.checkSetup(contextFor({ ...connection, apiKey: 'not-the-key' })), [
    {
      id: 'hs1.credentials',
      ok: false,
      severity: 'error',
      message: 'HS1 refused the API key for the slug "harbourside-dental".',
      fix:
        'HS1 refused the API key for this slug. Enter the API key exactly as HS1 gave it with the slug (no spaces); ' +
        'if it was reissued, enter the new one.',
    },
  ]);
  const closed = await startSandbox(t);
  const baseUrl = closed.url;
  await closed.close();
  t.same(await hs1ExactPlugin.checkSetup(contextFor({ ...connection, baseUrl })), [
    {
      id: 'hs1.credentials',
      ok: false,
      severity: 'error',
      message: `slotbridge could not reach HS1's online-booking API at ${baseUrl}.`,
      fix: 'Check the API address. If it is right, HS1 may be down: try again in a few minutes.',
    },
  ]);
});

t.test(
  'the practice server offline: a warning (the slug and key are good), the Exact checks wait',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seedDemoDiary({ days: 1 });
    sandbox.setPracticeServerOnline(false);
    t.same(await hs1ExactPlugin.checkSetup(contextFor(sandbox.connection())), [
      REACHED[0],
      {
        id: 'hs1.practice-server',
        ok: false,
        severity: 'warning',
        message:
          "The practice's Exact server is offline: HS1's cloud cannot reach it, so the Exact set-up could not be checked.",
        fix:
          "HS1's cloud cannot reach the practice's Exact server. Make sure the server computer is switched on, awake " +
          'and connected to the internet, and that Exact is running on it. slotbridge retries on its own and catches ' +
          'up when the server is back. Then run the checks again.',
      },
    ]);
  },
);

t.test(
  'providers: none online is an error; linked but not online, or online with no reason, warnings naming them',
  async (t) => {
    t.same((await checksFor(t, { ...SMALL_PRACTICE, onlineBookingConfiguration: [] }))[2], {
      id: 'exact.online-booking-configuration',
      ok: false,
      severity: 'error',
      message: 'No provider is in the Online Booking Configuration, so nothing can be published.',
      fix:
        'In Exact open Online Booking Configuration and add every practitioner who takes online bookings with the "+1" ' +
        'button.',
    });

    const nairOffline = SMALL_PRACTICE.onlineBookingConfiguration.filter((o) => o.providerId !== 'HY01');
    t.same((await checksFor(t, { ...SMALL_PRACTICE, onlineBookingConfiguration: nairOffline }))[2], {
      id: 'exact.online-booking-configuration',
      ok: false,
      severity: 'warning',
      message:
        'Ms Priya Nair has booking reasons but is not in the Online Booking Configuration, so none of their time is published.',
      fix: 'In Exact open Online Booking Configuration and add them with the "+1" button.',
    });

    const nairUnlinked = SMALL_PRACTICE.bookingReasons.map((r) => ({
      ...r,
      providers: r.providers.filter((p) => p.providerId !== 'HY01'),
    }));
    const checks = await checksFor(t, { ...SMALL_PRACTICE, bookingReasons: nairUnlinked });
    t.same(checks[5], {
      id: 'exact.providers-without-reasons',
      ok: false,
      severity: 'warning',
      message:
        'Ms Priya Nair is in the Online Booking Configuration but linked to no booking reason, so none of their time is ' +
        'published.',
      fix:
        'In Exact open Web Setup, choose a booking reason (for example Healthengine), click Configure Providers and add ' +
        'Ms Priya Nair with the "+1" button and an online duration.',
    });
    t.match(checks[6], {
      id: 'exact.default-reason',
      ok: false,
      message: /It is not configured for Ms Priya Nair\./,
    });
  },
);

t.test('no booking reasons: an error, and nothing after it', async (t) => {
  const checks = await checksFor(t, { ...SMALL_PRACTICE, bookingReasons: [], appointments: [] });
  t.same(
    checks.map((c) => c.id),
    [
      'hs1.credentials',
      'hs1.practice-server',
      'exact.online-booking-configuration',
      'exact.appointment-stacking',
      'exact.booking-reasons',
    ],
  );
  t.same(checks[4], {
    id: 'exact.booking-reasons',
    ok: false,
    severity: 'error',
    message: 'Web Setup has no booking reasons, so there is nothing to book online.',
    fix:
      'In Exact open Web Setup and create booking reasons with the "+1" button (for example one named Healthengine), ' +
      'then use Configure Providers on each to add the providers and their online durations.',
  });
});

t.test(
  'a default reason too short to fit an online slot is named, with the fit rule and its fix',
  async (t) => {
    // No reason named Healthengine ("Health Engine" is not written as shown), so the marketing reason is the
    // default: 15 minutes for Dr Chen, whose online slots are 30 minutes, and not configured for Ms Nair.
    const reasons = SMALL_PRACTICE.bookingReasons.map((r) =>
      r.id === 'R01' ? { ...r, name: 'Health Engine' } : r,
    );
    const checks = await checksFor(t, { ...SMALL_PRACTICE, bookingReasons: reasons });
    t.same(checks[6], {
      id: 'exact.default-reason',
      ok: false,
      severity: 'warning',
      message:
        'The default booking reason is Quick review (no reason is named Healthengine, so the marketing reason is used). ' +
        'It is too short to fit an online slot, so it is not shown, for Dr Olivia Chen: 15 minutes, online slots of 30 ' +
        'minutes. It is not configured for Ms Priya Nair.',
      fix:
        'In Exact open Web Setup → Quick review → Configure Providers and, with "ed", make its online duration at least ' +
        'the duration in Online Booking Configuration (the seed advice: longer than 30 minutes). Add them to Quick ' +
        'review with Configure Providers → "+1".',
    });
  },
);
