/**
 * A realistic small GP practice for the demo and tests: two sites, GPs, a nurse and a healthcare
 * assistant, the integration user logged in on the gateway PC, clinic types, and the slot types
 * a practice using online booking has (one reserved for holding a slot for an unregistered
 * patient, one not bookable by third parties), a placeholder patient for online bookings that
 * cannot be matched yet. Weekday clinics for `days` days, about a quarter
 * of the slots booked at reception and some blocked. The same options always build the same diary.
 */
import { seededRandom } from '@slotbridge/core/sandbox-kit';
import { DateTime } from 'luxon';
import type { ClinicSeed, DiarySeed, SandboxPatient, SlotSeed } from './diary.ts';

export interface DemoDiaryOptions {
  /** Calendar days to fill, counting `from` (weekends stay empty). Default 28. */
  days?: number;
  /** The practice's time zone, used to know today's date. Default Europe/London. */
  timeZone?: string;
  /** First day, yyyy-mm-dd; default today in `timeZone`. */
  from?: string;
  /** Seed of the pseudo-random choice of booked and blocked slots. Default 1. */
  seed?: number;
}

export const DEMO_USERS = {
  HART: 'AHart',
  PATEL: 'RPatel',
  OKAFOR: 'GOkafor',
  BROWN: 'SBrown',
  GATEWAY: 'HeroGateway',
} as const;

export const DEMO_SITES = { RIVERSIDE: 'Riverside Surgery', HILLVIEW: 'Hillview Branch Surgery' } as const;

export const DEMO_SLOT_TYPES = {
  ROUTINE_GP: 'Routine GP',
  TELEPHONE: 'Telephone Consultation',
  NURSE: 'Nurse Appointment',
  BLOOD_TEST: 'Blood Test',
  UNREGISTERED_PATIENT: 'Unregistered Patient (Online)',
  BABY_CLINIC: 'Baby Clinic',
} as const;

/** NHS number of the demo's placeholder patient 'Unregistered, Online Booking' (valid check digit). */
export const DEMO_PLACEHOLDER_NHS_NUMBER = '9990000093';

export const DEMO_PATIENTS: SandboxPatient[] = [
  { nhsNumber: '9990000018', title: 'Mrs', firstName: 'Alice', surname: 'Jones', dateOfBirth: '1984-02-29' },
  { nhsNumber: '9990000026', title: 'Mr', firstName: 'Bashir', surname: 'Khan', dateOfBirth: '1957-11-03' },
  {
    nhsNumber: '9990000034',
    title: 'Ms',
    firstName: 'Chloe Anne',
    surname: "O'Neill",
    dateOfBirth: '1999-07-15',
  },
  {
    nhsNumber: '9990000042',
    title: 'Master',
    firstName: 'Dylan',
    surname: 'Evans',
    dateOfBirth: '2023-05-01',
  },
  // Two records with one name and date of birth: matching by name is ambiguous.
  { nhsNumber: '9990000050', title: 'Mr', firstName: 'John', surname: 'Smith', dateOfBirth: '1970-01-01' },
  { nhsNumber: '9990000069', title: 'Mr', firstName: 'John', surname: 'Smith', dateOfBirth: '1970-01-01' },
  // A temporary resident not yet traced: no NHS number.
  { nhsNumber: null, title: 'Ms', firstName: 'Eva', surname: 'Novak', dateOfBirth: '1991-09-09' },
  // The placeholder record online bookings that match no one (or several) are held on; its name
  // and date of birth are no real patient's, so a name search never finds it.
  {
    nhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
    title: 'Mx',
    firstName: 'Online Booking',
    surname: 'Unregistered',
    dateOfBirth: '1900-01-01',
  },
];

interface ClinicPlan {
  userName: string;
  siteName: string;
  clinicType: string;
  startTime: string;
  endTime: string;
  slotMinutes: number;
  /** Slot types cycled over the clinic's slots. */
  slotTypes: string[];
  /** Slot type of the clinic's last slot instead (the unregistered-patient hold). */
  lastSlotType?: string;
  /** ISO weekdays (1 = Monday). */
  weekdays: number[];
}

const { HART, PATEL, OKAFOR, BROWN } = DEMO_USERS;
const { RIVERSIDE, HILLVIEW } = DEMO_SITES;
const T = DEMO_SLOT_TYPES;

const CLINIC_PLANS: ClinicPlan[] = [
  {
    userName: HART,
    siteName: RIVERSIDE,
    clinicType: 'GP Clinic',
    startTime: '08:30',
    endTime: '12:00',
    slotMinutes: 10,
    slotTypes: [T.ROUTINE_GP],
    lastSlotType: T.UNREGISTERED_PATIENT,
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    userName: HART,
    siteName: RIVERSIDE,
    clinicType: 'GP Clinic',
    startTime: '14:00',
    endTime: '17:00',
    slotMinutes: 10,
    slotTypes: [T.ROUTINE_GP, T.ROUTINE_GP, T.TELEPHONE],
    weekdays: [1, 2, 4, 5],
  },
  {
    userName: PATEL,
    siteName: HILLVIEW,
    clinicType: 'GP Clinic',
    startTime: '09:00',
    endTime: '12:00',
    slotMinutes: 10,
    slotTypes: [T.ROUTINE_GP, T.TELEPHONE],
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    userName: OKAFOR,
    siteName: RIVERSIDE,
    clinicType: 'Nurse Clinic',
    startTime: '09:00',
    endTime: '12:00',
    slotMinutes: 15,
    slotTypes: [T.NURSE, T.NURSE, T.BLOOD_TEST],
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    userName: OKAFOR,
    siteName: RIVERSIDE,
    clinicType: 'Baby Clinic',
    startTime: '13:30',
    endTime: '15:00',
    slotMinutes: 15,
    slotTypes: [T.BABY_CLINIC],
    weekdays: [3],
  },
  {
    userName: BROWN,
    siteName: HILLVIEW,
    clinicType: 'Phlebotomy Clinic',
    startTime: '08:00',
    endTime: '09:30',
    slotMinutes: 5,
    slotTypes: [T.BLOOD_TEST],
    weekdays: [1, 2, 3, 4, 5],
  },
];

function slotsFor(plan: ClinicPlan, random: () => number): SlotSeed[] {
  const [startHours, startMinutes] = plan.startTime.split(':').map(Number);
  const [endHours, endMinutes] = plan.endTime.split(':').map(Number);
  const end = endHours! * 60 + endMinutes!;
  const slots: SlotSeed[] = [];
  for (let m = startHours! * 60 + startMinutes!; m + plan.slotMinutes <= end; m += plan.slotMinutes) {
    const time = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const isLast = m + 2 * plan.slotMinutes > end;
    const slotType =
      isLast && plan.lastSlotType ? plan.lastSlotType : plan.slotTypes[slots.length % plan.slotTypes.length]!;
    const roll = random();
    const withNhsNumber = DEMO_PATIENTS.filter(
      (patient) => patient.nhsNumber !== null && patient.nhsNumber !== DEMO_PLACEHOLDER_NHS_NUMBER,
    );
    if (roll < 0.25) {
      const patient = withNhsNumber[Math.floor(random() * withNhsNumber.length)]!;
      slots.push({ time, slotType, nhsNumber: patient.nhsNumber!, comments: 'Booked at reception' });
    } else {
      slots.push({ time, slotType, blocked: roll < 0.3 });
    }
  }
  return slots;
}

export function buildDemoDiary(options: DemoDiaryOptions = {}): DiarySeed {
  const timeZone = options.timeZone ?? 'Europe/London';
  const first = options.from
    ? DateTime.fromISO(options.from, { zone: timeZone })
    : DateTime.now().setZone(timeZone).startOf('day');
  if (!first.isValid) throw new Error(`Invalid demo diary start: ${options.from} in ${timeZone}`);
  const random = seededRandom(options.seed ?? 1);
  const clinics: ClinicSeed[] = [];
  for (let offset = 0; offset < (options.days ?? 28); offset += 1) {
    const day = first.plus({ days: offset });
    for (const plan of CLINIC_PLANS) {
      if (!plan.weekdays.includes(day.weekday)) continue;
      clinics.push({
        userName: plan.userName,
        siteName: plan.siteName,
        clinicType: plan.clinicType,
        date: day.toISODate()!,
        slotMinutes: plan.slotMinutes,
        slots: slotsFor(plan, random),
      });
    }
  }
  return {
    organisation: { name: 'Riverside Medical Practice', odsCode: 'A81001' },
    users: [
      { userName: HART, fullName: 'Dr Amelia Hart', role: 'GP', deviceApproved: true },
      { userName: PATEL, fullName: 'Dr Rajesh Patel', role: 'GP', deviceApproved: true },
      { userName: OKAFOR, fullName: 'Grace Okafor', role: 'Practice Nurse', deviceApproved: true },
      { userName: BROWN, fullName: 'Sam Brown', role: 'Healthcare Assistant', deviceApproved: false },
      { userName: DEMO_USERS.GATEWAY, fullName: 'Hero Gateway', role: 'Integration', deviceApproved: true },
    ],
    sites: [RIVERSIDE, HILLVIEW],
    clinicTypes: ['GP Clinic', 'Nurse Clinic', 'Baby Clinic', 'Phlebotomy Clinic'],
    slotTypes: [
      { name: T.ROUTINE_GP, bookableByThirdParties: true },
      { name: T.TELEPHONE, bookableByThirdParties: true },
      { name: T.NURSE, bookableByThirdParties: true },
      { name: T.BLOOD_TEST, bookableByThirdParties: true },
      { name: T.UNREGISTERED_PATIENT, bookableByThirdParties: true },
      { name: T.BABY_CLINIC, bookableByThirdParties: false },
    ],
    patients: DEMO_PATIENTS,
    clinics,
  };
}
