/**
 * Shared set-up for the HS1 Exact tests: a sandbox listening on 127.0.0.1 (closed when the test
 * ends), a hook context for it, and a small hand-made practice whose published slots can be
 * counted by hand.
 */
import type { EhrContext, EhrSlot } from '@slotbridge/core';
import { hookContext, type LogEntry } from '@slotbridge/core/testing';
import { DateTime } from 'luxon';
import type { Hs1ExactConnection } from '../src/connection.ts';
import {
  createHs1ExactSandbox,
  type Hs1ExactSandbox,
  type Hs1ExactSandboxOptions,
  type PracticeSeed,
} from '../src/sandbox/index.ts';

export async function startSandbox(
  t: { teardown(fn: () => unknown): void },
  options: Hs1ExactSandboxOptions = {},
): Promise<Hs1ExactSandbox> {
  const sandbox = await createHs1ExactSandbox(options);
  await sandbox.listen();
  t.teardown(() => sandbox.close());
  return sandbox;
}

/** A hook context on `connection`; `logs` collects what the plugin logged. */
export function contextFor(
  connection: Hs1ExactConnection,
  options: { timeZone?: string; signal?: AbortSignal } = {},
): EhrContext<Hs1ExactConnection> & { logs: LogEntry[] } {
  return hookContext(connection, {
    practice: { name: 'Harbourside Dental', odsCode: null, timeZone: options.timeZone ?? 'Australia/Sydney' },
    ...(options.signal && { signal: options.signal }),
  });
}

/** Monday 2 February 2026, the small practice's day. */
export const DAY = '2026-02-02';
/** 07:00 on DAY in Sydney (AEDT, +11): the practice server's clock in most tests. */
export const BEFORE_OPENING = new Date('2026-02-01T20:00:00Z');

export const sydney = (iso: string) => DateTime.fromISO(iso, { zone: 'Australia/Sydney' }).toJSDate();

/** A slot as `provider HH:mm reason minutes status`, in `timeZone`. */
export function slotLine(slot: EhrSlot, timeZone = 'Australia/Sydney'): string {
  const start = DateTime.fromJSDate(slot.startAt, { zone: timeZone });
  const minutes = (slot.endAt.getTime() - slot.startAt.getTime()) / 60_000;
  return `${slot.ehrPractitionerId} ${start.toFormat('yyyy-MM-dd HH:mm')} ${slot.ehrSlotTypeId} ${minutes} ${slot.ehrStatus}`;
}

/**
 * Dr Chen works 08:00–17:00 with lunch 12:00–13:00 (online slots of 30 minutes every 15, all
 * unbooked time, 30 days ahead); Ms Nair 09:00–12:00 (slots of 40 minutes every 20, only in her
 * "Online hygiene" clinic 09:00–11:00, 14 days ahead). Reasons: Healthengine (30 / 40 minutes),
 * Check-up & Clean (60 / 60), Quick review (15, Dr Chen only: too short for her 30-minute slots).
 * On DAY Dr Chen's book holds 08:00–08:30, 09:15–10:00, 15:00–16:00 (Check-up & Clean, in
 * surgery), 16:30–17:00 (did not attend) and a cancelled 14:00–15:00, so her free time is
 * 08:30–09:15, 10:00–12:00, 13:00–15:00 and 16:00–16:30.
 */
export const SMALL_PRACTICE: PracticeSeed = {
  practice: { id: '1001', name: 'Harbourside Dental' },
  providers: [
    {
      id: 'DR01',
      title: 'Dr',
      firstName: 'Olivia',
      lastName: 'Chen',
      role: 'Dentist',
      workingHours: [1, 2, 3, 4, 5].map((weekday) => ({
        weekday,
        start: '08:00',
        end: '17:00',
        breaks: [{ start: '12:00', end: '13:00', label: 'Lunch' }],
      })),
    },
    {
      id: 'HY01',
      title: 'Ms',
      firstName: 'Priya',
      lastName: 'Nair',
      role: 'Hygienist',
      workingHours: [{ weekday: 1, start: '09:00', end: '12:00' }],
    },
  ],
  bookingReasons: [
    {
      id: 'R01',
      name: 'Healthengine',
      marketing: false,
      providers: [
        { providerId: 'DR01', durationMinutes: 30 },
        { providerId: 'HY01', durationMinutes: 40 },
      ],
    },
    {
      id: 'R02',
      name: 'Check-up & Clean',
      marketing: false,
      providers: [
        { providerId: 'DR01', durationMinutes: 60 },
        { providerId: 'HY01', durationMinutes: 60 },
      ],
    },
    {
      id: 'R03',
      name: 'Quick review',
      marketing: true,
      providers: [{ providerId: 'DR01', durationMinutes: 15 }],
    },
  ],
  onlineBookingConfiguration: [
    {
      providerId: 'DR01',
      durationMinutes: 30,
      intervalMinutes: 15,
      bookableTime: { kind: 'allUnbooked' },
      daysAhead: 30,
    },
    {
      providerId: 'HY01',
      durationMinutes: 40,
      intervalMinutes: 20,
      bookableTime: { kind: 'clinic', clinicName: 'Online hygiene' },
      daysAhead: 14,
    },
  ],
  clinics: [{ providerId: 'HY01', date: DAY, start: '09:00', end: '11:00', name: 'Online hygiene' }],
  appointments: [
    { providerId: 'DR01', date: DAY, startTime: '08:00', durationMinutes: 30, status: 'Confirmed' },
    { providerId: 'DR01', date: DAY, startTime: '09:15', durationMinutes: 45, status: 'Unset' },
    {
      providerId: 'DR01',
      date: DAY,
      startTime: '14:00',
      durationMinutes: 60,
      reasonId: 'R02',
      status: 'Cancelled',
    },
    {
      providerId: 'DR01',
      date: DAY,
      startTime: '15:00',
      durationMinutes: 60,
      reasonId: 'R02',
      status: 'InSurgery',
    },
    { providerId: 'DR01', date: DAY, startTime: '16:30', durationMinutes: 30, status: 'DidNotAttend' },
  ],
};

/** The small practice with Appointment Stacking ticked. */
export const STACKED_PRACTICE: PracticeSeed = { ...SMALL_PRACTICE, appointmentStacking: true };

/** The whole of DAY in Sydney. */
export const DAY_WINDOW = {
  from: sydney(`${DAY}T00:00`),
  to: sydney('2026-02-03T00:00'),
  slotTypeIds: ['R01', 'R02', 'R03'],
};
