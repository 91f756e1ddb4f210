/**
 * discover against the sandbox (Healthengine's "Refresh linked PMS appointment types"): providers,
 * the practice as the location, booking reasons as slot types with their providers and durations;
 * and the default-reason order: Healthengine, else the marketing reason, else the first.
 */
import t from 'tap';
import { defaultReasonOf } from '../src/default-reason.ts';
import type { BookingReason } from '../src/exact-api.ts';
import { hs1ExactPlugin } from '../src/hs1-exact-plugin.ts';
import { contextFor, SMALL_PRACTICE, startSandbox } from './fixtures.ts';

t.test('the catalogue, whole', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_PRACTICE);
  t.same(await hs1ExactPlugin.discover(contextFor(sandbox.connection())), {
    practitioners: [
      {
        ehrId: 'DR01',
        name: 'Dr Olivia Chen',
        attributes: {
          role: 'Dentist',
          onlineBooking: {
            durationMinutes: 30,
            intervalMinutes: 15,
            bookableTime: { kind: 'allUnbooked' },
            daysAhead: 30,
          },
          bookingReasonIds: ['R01', 'R02', 'R03'],
        },
      },
      {
        ehrId: 'HY01',
        name: 'Ms Priya Nair',
        attributes: {
          role: 'Hygienist',
          onlineBooking: {
            durationMinutes: 40,
            intervalMinutes: 20,
            bookableTime: { kind: 'clinic', clinicName: 'Online hygiene' },
            daysAhead: 14,
          },
          bookingReasonIds: ['R01', 'R02'],
        },
      },
    ],
    locations: [{ ehrId: '1001', name: 'Harbourside Dental' }],
    slotTypes: [
      {
        ehrId: 'R01',
        name: 'Healthengine',
        attributes: {
          bookable: true,
          marketing: false,
          default: true,
          providers: [
            { providerId: 'DR01', durationMinutes: 30 },
            { providerId: 'HY01', durationMinutes: 40 },
          ],
        },
      },
      {
        ehrId: 'R02',
        name: 'Check-up & Clean',
        attributes: {
          bookable: true,
          marketing: false,
          default: false,
          providers: [
            { providerId: 'DR01', durationMinutes: 60 },
            { providerId: 'HY01', durationMinutes: 60 },
          ],
        },
      },
      {
        ehrId: 'R03',
        name: 'Quick review',
        attributes: {
          bookable: true,
          marketing: true,
          default: false,
          providers: [{ providerId: 'DR01', durationMinutes: 15 }],
        },
      },
    ],
  });
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['GetOnlineBookingSetup'],
  );
});

t.test('a provider with no online booking shows it', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed({
    ...SMALL_PRACTICE,
    onlineBookingConfiguration: SMALL_PRACTICE.onlineBookingConfiguration.slice(0, 1),
  });
  const { practitioners } = await hs1ExactPlugin.discover(contextFor(sandbox.connection()));
  t.same(practitioners[1]?.attributes?.onlineBooking, null);
});

const reason = (id: string, name: string, marketing = false): BookingReason => ({
  id,
  name,
  marketing,
  providers: [],
});

t.test('the default reason: Healthengine, else the marketing reason, else the first', async (t) => {
  const first = reason('R1', 'Check-up');
  const marketing = reason('R2', 'Winter special', true);
  const healthengine = reason('R3', ' HEALTHENGINE ');
  t.same(defaultReasonOf([first, marketing, healthengine]), { reason: healthengine, rule: 'healthengine' });
  t.same(defaultReasonOf([first, marketing]), { reason: marketing, rule: 'marketing' });
  t.same(
    defaultReasonOf([first, reason('R4', 'Health Engine')]),
    { reason: first, rule: 'first' },
    'written as shown',
  );
  t.same(defaultReasonOf([]), null);
});
