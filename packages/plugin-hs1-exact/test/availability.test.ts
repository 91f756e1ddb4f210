/**
 * The availability rules as a pure function: which time is bookable online (a clinic, unbooked
 * time outside clinics, all unbooked time), the interval grid, breaks, cancelled appointments.
 */
import t from 'tap';
import { onlineSlots, workingPeriods } from '../src/availability.ts';
import type { BookableTime, OnlineBookingSetup } from '../src/exact-api.ts';

const DATE = '2026-02-02';

function setupWith(bookableTime: BookableTime, stacking = true): OnlineBookingSetup {
  return {
    serverTime: '2026-02-02T07:00:00',
    practice: { id: '1001', name: 'Harbourside Dental' },
    appointmentStacking: stacking,
    providers: [{ id: 'DR01', title: 'Dr', firstName: 'Olivia', lastName: 'Chen', role: 'Dentist' }],
    onlineBookingConfiguration: [
      { providerId: 'DR01', durationMinutes: 30, intervalMinutes: 15, bookableTime, daysAhead: 30 },
    ],
    bookingReasons: [
      {
        id: 'R01',
        name: 'Healthengine',
        marketing: false,
        providers: [{ providerId: 'DR01', durationMinutes: 30 }],
      },
    ],
  };
}

const schedule = {
  workingDays: [
    {
      providerId: 'DR01',
      date: DATE,
      start: '09:00',
      end: '12:00',
      breaks: [{ start: '10:30', end: '10:45', label: 'Morning tea' }],
    },
  ],
  clinics: [
    { id: 'CL1', providerId: 'DR01', date: DATE, start: '11:00', end: '12:00', name: 'New Patients' },
  ],
  appointments: [
    {
      id: 'A1',
      providerId: 'DR01',
      date: DATE,
      startTime: '09:00',
      durationMinutes: 10,
      reasonId: null,
      status: 'Arrived' as const,
    },
    {
      id: 'A2',
      providerId: 'DR01',
      date: DATE,
      startTime: '09:45',
      durationMinutes: 30,
      reasonId: null,
      status: 'Cancelled' as const,
    },
  ],
};

const starts = (bookableTime: BookableTime, stacking = true) =>
  onlineSlots({
    setup: setupWith(bookableTime, stacking),
    schedule,
    dates: [DATE],
    clock: { date: DATE, minutes: 7 * 60 },
  }).map((s) => s.startTime);

t.test('working periods are the hours cut at every break', async (t) => {
  t.same(workingPeriods(schedule.workingDays[0]!), [
    [540, 630],
    [645, 720],
  ]);
});

t.test(
  'all unbooked time: on the 15-minute grid after a 10-minute appointment; a cancelled one holds nothing',
  async (t) => {
    t.same(starts({ kind: 'allUnbooked' }), [
      '09:15',
      '09:30',
      '09:45',
      '10:00',
      '10:45',
      '11:00',
      '11:15',
      '11:30',
    ]);
  },
);

t.test('unbooked time outside clinics leaves out the New Patients clinic', async (t) => {
  t.same(starts({ kind: 'unbookedNonClinic' }), ['09:15', '09:30', '09:45', '10:00']);
});

t.test('a named clinic (any capitals) is the only time offered', async (t) => {
  t.same(starts({ kind: 'clinic', clinicName: 'new patients' }), ['11:00', '11:15', '11:30']);
  t.same(starts({ kind: 'clinic', clinicName: 'Emergencies' }), []);
});

t.test(
  'stacking off: the first slot after the start of the day and after the morning tea break',
  async (t) => {
    t.same(starts({ kind: 'allUnbooked' }, false), ['09:15', '10:45']);
  },
);
