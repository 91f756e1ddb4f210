/**
 * A realistic small Australian dental practice for the demo and tests: two dentists and a
 * hygienist with their working hours and lunch breaks, the booking reasons such a practice
 * links to online booking (a Healthengine reason, Check-up & Clean, Emergency and a marketing
 * reason), each provider's Online Booking Configuration (all unbooked time; unbooked time outside
 * the surgery clinic; only the online hygiene clinic), and an appointment book about a third full.
 * Appointment Stacking is off, as Exact ships. The same options (and `seed`) always build the
 * same diary.
 */
import { seededRandom } from '@slotbridge/core/sandbox-kit';
import { DateTime } from 'luxon';
import type { AppointmentStatus } from '../exact-api.ts';
import type { AppointmentSeed, ClinicSeed, PracticeSeed, SandboxProvider } from './practice-server.ts';

export interface DemoDiaryOptions {
  /** Calendar days to fill, counting `from`. Default 28. */
  days?: number;
  /** The practice's time zone, used to know today's date. Default Australia/Sydney. */
  timeZone?: string;
  /** First day, yyyy-mm-dd; default today in `timeZone`. */
  from?: string;
  /** Seed of the pseudo-random appointment book. Default 1. */
  seed?: number;
}

export const DEMO_PRACTICE = { id: '1001', name: 'Harbourside Dental' } as const;

export const DEMO_PROVIDER = { CHEN: 'DR01', WEBB: 'DR02', NAIR: 'HY01' } as const;

export const DEMO_REASON = {
  HEALTHENGINE: 'R01',
  CHECK_UP_AND_CLEAN: 'R02',
  EMERGENCY: 'R03',
  NEW_PATIENT_SPECIAL: 'R04',
} as const;

const LUNCH = (start: string, end: string) => [{ start, end, label: 'Lunch' }];

export const DEMO_PROVIDERS: SandboxProvider[] = [
  {
    id: DEMO_PROVIDER.CHEN,
    title: 'Dr',
    firstName: 'Olivia',
    lastName: 'Chen',
    role: 'Dentist',
    workingHours: [1, 2, 3, 4, 5].map((weekday) => ({
      weekday,
      start: '08:00',
      end: '17:00',
      breaks: LUNCH('12:30', '13:30'),
    })),
  },
  {
    id: DEMO_PROVIDER.WEBB,
    title: 'Dr',
    firstName: 'Marcus',
    lastName: 'Webb',
    role: 'Dentist',
    workingHours: [
      ...[1, 2, 3, 4].map((weekday) => ({
        weekday,
        start: '09:00',
        end: '18:00',
        breaks: LUNCH('13:00', '14:00'),
      })),
      { weekday: 6, start: '08:00', end: '12:00' },
    ],
  },
  {
    id: DEMO_PROVIDER.NAIR,
    title: 'Ms',
    firstName: 'Priya',
    lastName: 'Nair',
    role: 'Hygienist',
    workingHours: [2, 3, 4, 5, 6].map((weekday) => ({
      weekday,
      start: '08:30',
      end: '16:30',
      breaks: LUNCH('12:00', '12:30'),
    })),
  },
];

function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

const STATUSES: AppointmentStatus[] = ['Confirmed', 'Confirmed', 'Unset', 'Pending'];

/** Reception's appointments for one provider's working day: about a third of the time, in 30/60-minute blocks. */
function receptionBook(
  provider: SandboxProvider,
  date: string,
  weekday: number,
  random: () => number,
): AppointmentSeed[] {
  const hours = provider.workingHours.find((h) => h.weekday === weekday);
  if (!hours) return [];
  const appointments: AppointmentSeed[] = [];
  const periods: [number, number][] = [];
  let start = minutesOf(hours.start);
  for (const pause of hours.breaks ?? []) {
    periods.push([start, minutesOf(pause.start)]);
    start = minutesOf(pause.end);
  }
  periods.push([start, minutesOf(hours.end)]);
  for (const [periodStart, periodEnd] of periods) {
    for (let m = periodStart; m + 30 <= periodEnd; m += 30) {
      if (random() >= 0.33) continue;
      const durationMinutes = m + 60 <= periodEnd && random() < 0.4 ? 60 : 30;
      appointments.push({
        providerId: provider.id,
        date,
        startTime: timeOf(m),
        durationMinutes,
        reasonId: durationMinutes === 60 ? DEMO_REASON.CHECK_UP_AND_CLEAN : null,
        status: STATUSES[Math.floor(random() * STATUSES.length)]!,
      });
      m += durationMinutes - 30;
    }
  }
  return appointments;
}

export function buildDemoDiary(options: DemoDiaryOptions = {}): PracticeSeed {
  const timeZone = options.timeZone ?? 'Australia/Sydney';
  const first = options.from
    ? DateTime.fromISO(options.from, { zone: timeZone })
    : DateTime.now().setZone(timeZone).startOf('day');
  if (!first.isValid) throw new Error(`Invalid demo diary start: ${options.from} in ${timeZone}`);
  const random = seededRandom(options.seed ?? 1);
  const clinics: ClinicSeed[] = [];
  const appointments: AppointmentSeed[] = [];
  for (let offset = 0; offset < (options.days ?? 28); offset += 1) {
    const day = first.plus({ days: offset });
    const date = day.toISODate()!;
    // Dr Webb's surgery clinic (Mondays and Wednesdays after lunch) is not offered online.
    if (day.weekday === 1 || day.weekday === 3) {
      clinics.push({ providerId: DEMO_PROVIDER.WEBB, date, start: '14:00', end: '18:00', name: 'Surgery' });
    }
    // Ms Nair offers only her morning hygiene clinic online.
    if (day.weekday >= 2 && day.weekday <= 6) {
      clinics.push({
        providerId: DEMO_PROVIDER.NAIR,
        date,
        start: '08:30',
        end: '12:00',
        name: 'Online hygiene',
      });
    }
    for (const provider of DEMO_PROVIDERS)
      appointments.push(...receptionBook(provider, date, day.weekday, random));
  }
  return {
    practice: { ...DEMO_PRACTICE },
    appointmentStacking: false,
    providers: DEMO_PROVIDERS,
    bookingReasons: [
      {
        id: DEMO_REASON.HEALTHENGINE,
        name: 'Healthengine',
        marketing: false,
        providers: [
          { providerId: DEMO_PROVIDER.CHEN, durationMinutes: 30 },
          { providerId: DEMO_PROVIDER.WEBB, durationMinutes: 30 },
          { providerId: DEMO_PROVIDER.NAIR, durationMinutes: 45 },
        ],
      },
      {
        id: DEMO_REASON.CHECK_UP_AND_CLEAN,
        name: 'Check-up & Clean',
        marketing: false,
        providers: [
          { providerId: DEMO_PROVIDER.CHEN, durationMinutes: 60 },
          { providerId: DEMO_PROVIDER.WEBB, durationMinutes: 60 },
          { providerId: DEMO_PROVIDER.NAIR, durationMinutes: 60 },
        ],
      },
      {
        id: DEMO_REASON.EMERGENCY,
        name: 'Emergency',
        marketing: false,
        providers: [
          { providerId: DEMO_PROVIDER.CHEN, durationMinutes: 30 },
          { providerId: DEMO_PROVIDER.WEBB, durationMinutes: 30 },
        ],
      },
      {
        id: DEMO_REASON.NEW_PATIENT_SPECIAL,
        name: 'New Patient Special',
        marketing: true,
        providers: [
          { providerId: DEMO_PROVIDER.CHEN, durationMinutes: 45 },
          { providerId: DEMO_PROVIDER.WEBB, durationMinutes: 45 },
          { providerId: DEMO_PROVIDER.NAIR, durationMinutes: 60 },
        ],
      },
    ],
    onlineBookingConfiguration: [
      {
        providerId: DEMO_PROVIDER.CHEN,
        durationMinutes: 30,
        intervalMinutes: 15,
        bookableTime: { kind: 'allUnbooked' },
        daysAhead: 90,
      },
      {
        providerId: DEMO_PROVIDER.WEBB,
        durationMinutes: 30,
        intervalMinutes: 15,
        bookableTime: { kind: 'unbookedNonClinic' },
        daysAhead: 60,
      },
      {
        providerId: DEMO_PROVIDER.NAIR,
        durationMinutes: 45,
        intervalMinutes: 15,
        bookableTime: { kind: 'clinic', clinicName: 'Online hygiene' },
        daysAhead: 30,
      },
    ],
    clinics,
    patients: [
      { id: 'PT6001', firstName: 'Jack', lastName: 'Thompson', dateOfBirth: '1988-06-12' },
      { id: 'PT6002', firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1995-01-30' },
    ],
    appointments: appointments.map((appointment, index) => ({
      ...appointment,
      patientId: index % 2 === 0 ? 'PT6001' : 'PT6002',
    })),
  };
}
