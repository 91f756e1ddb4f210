/**
 * A realistic small practice for the demo and tests: two sites, three session holders, the slot
 * types a GP practice using an online booking product has (including the unregistered-patient
 * placeholder of seed 002 and a slot type that is not bookable), weekday sessions of 10-minute
 * slots for the next `days` days, some already booked, blocked or embargoed. The same options
 * (and `seed`) always build the same diary.
 */
import { seededRandom } from '@slotbridge/core/sandbox-kit';
import { DateTime } from 'luxon';
import type { SlotStatusWord } from '../partner-api.ts';
import type { DiarySeed, SandboxPatient, SessionSeed, SlotSeed } from './diary.ts';

export interface DemoDiaryOptions {
  /** Calendar days to fill, counting `from` (weekends stay empty). Default 28. */
  days?: number;
  /** The practice's time zone, used to know today's date. Default Europe/London. */
  timeZone?: string;
  /** First day, yyyy-mm-dd; default today in `timeZone`. */
  from?: string;
  /** Seed of the pseudo-random choice of booked, blocked and embargoed slots. Default 1. */
  seed?: number;
}

export const DEMO_SLOT_TYPE = {
  ROUTINE_GP: '11',
  NURSE: '12',
  TELEPHONE: '13',
  UNREGISTERED_PATIENT: '14',
  BABY_CLINIC: '15',
} as const;

export const DEMO_PATIENTS: SandboxPatient[] = [
  {
    patientNumber: 9001,
    title: 'Mrs',
    firstNames: 'Alice',
    familyName: 'Jones',
    dateOfBirth: '1984-02-29',
    nhsNumber: '9990000018',
    sex: 'F',
  },
  {
    patientNumber: 9002,
    title: 'Mr',
    firstNames: 'Bashir',
    familyName: 'Khan',
    dateOfBirth: '1957-11-03',
    nhsNumber: '9990000026',
    sex: 'M',
  },
  {
    patientNumber: 9003,
    title: 'Ms',
    firstNames: 'Chloe Anne',
    familyName: "O'Neill",
    dateOfBirth: '1999-07-15',
    nhsNumber: '9990000034',
    sex: 'F',
  },
  {
    patientNumber: 9004,
    title: 'Master',
    firstNames: 'Dylan',
    familyName: 'Evans',
    dateOfBirth: '2023-05-01',
    nhsNumber: '9990000042',
    sex: 'M',
  },
  // Two records for one person (a duplicate registration): matching them is ambiguous.
  {
    patientNumber: 9005,
    title: 'Mr',
    firstNames: 'John',
    familyName: 'Smith',
    dateOfBirth: '1970-01-01',
    nhsNumber: '9990000050',
    sex: 'M',
  },
  {
    patientNumber: 9006,
    title: 'Mr',
    firstNames: 'John',
    familyName: 'Smith',
    dateOfBirth: '1970-01-01',
    nhsNumber: null,
    sex: 'M',
  },
];

interface SessionPlan {
  name: string;
  startTime: string;
  endTime: string;
  siteId: number;
  holderId: number;
  slotTypeIds: string[];
  /** ISO weekdays (1 = Monday) the session runs on. */
  weekdays: number[];
}

const SESSION_PLANS: SessionPlan[] = [
  {
    name: 'Dr Hart AM',
    startTime: '08:30',
    endTime: '12:00',
    siteId: 1,
    holderId: 501,
    slotTypeIds: [DEMO_SLOT_TYPE.ROUTINE_GP],
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    name: 'Dr Hart PM',
    startTime: '14:00',
    endTime: '17:00',
    siteId: 1,
    holderId: 501,
    slotTypeIds: [DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.TELEPHONE],
    weekdays: [1, 2, 4, 5],
  },
  {
    name: 'Dr Patel AM',
    startTime: '09:00',
    endTime: '12:00',
    siteId: 2,
    holderId: 502,
    slotTypeIds: [DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.TELEPHONE],
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    name: 'Nurse clinic',
    startTime: '09:00',
    endTime: '12:00',
    siteId: 1,
    holderId: 503,
    slotTypeIds: [DEMO_SLOT_TYPE.NURSE],
    weekdays: [1, 2, 3, 4, 5],
  },
  {
    name: 'Baby clinic',
    startTime: '13:30',
    endTime: '15:00',
    siteId: 1,
    holderId: 503,
    slotTypeIds: [DEMO_SLOT_TYPE.BABY_CLINIC],
    weekdays: [3],
  },
];

const SLOT_LENGTH_MINUTES = 10;

function slotsFor(plan: SessionPlan, random: () => number): SlotSeed[] {
  const [startHours, startMinutes] = plan.startTime.split(':').map(Number);
  const [endHours, endMinutes] = plan.endTime.split(':').map(Number);
  const slots: SlotSeed[] = [];
  for (
    let m = startHours! * 60 + startMinutes!;
    m + SLOT_LENGTH_MINUTES <= endHours! * 60 + endMinutes!;
    m += SLOT_LENGTH_MINUTES
  ) {
    const startTime = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const slotTypeId = plan.slotTypeIds[slots.length % plan.slotTypeIds.length]!;
    const roll = random();
    if (roll < 0.25) {
      const patient = DEMO_PATIENTS[Math.floor(random() * DEMO_PATIENTS.length)]!;
      slots.push({
        startTime,
        slotTypeId,
        patientNumber: patient.patientNumber,
        reason: 'Booked at reception',
      });
    } else {
      const status: SlotStatusWord = roll < 0.3 ? 'Blocked' : roll < 0.35 ? 'Embargoed' : 'Slot Available';
      slots.push({ startTime, slotTypeId, status });
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
  const sessions: SessionSeed[] = [];
  for (let offset = 0; offset < (options.days ?? 28); offset += 1) {
    const day = first.plus({ days: offset });
    for (const plan of SESSION_PLANS) {
      if (!plan.weekdays.includes(day.weekday)) continue;
      sessions.push({
        name: plan.name,
        date: day.toISODate()!,
        startTime: plan.startTime,
        endTime: plan.endTime,
        slotLength: SLOT_LENGTH_MINUTES,
        siteId: plan.siteId,
        holderIds: [plan.holderId],
        slots: slotsFor(plan, random),
      });
    }
  }
  return {
    sites: [
      { dbid: 1, name: 'Riverside Surgery' },
      { dbid: 2, name: 'Hillview Branch Surgery' },
    ],
    holders: [
      { dbid: 501, title: 'Dr', firstNames: 'Amelia', lastName: 'Hart' },
      { dbid: 502, title: 'Dr', firstNames: 'Rajesh', lastName: 'Patel' },
      { dbid: 503, title: 'Ms', firstNames: 'Grace', lastName: 'Okafor' },
    ],
    slotTypes: [
      {
        id: DEMO_SLOT_TYPE.ROUTINE_GP,
        description: 'Routine GP',
        display: 'GP',
        bookable: true,
        emisAccess: true,
      },
      {
        id: DEMO_SLOT_TYPE.NURSE,
        description: 'Nurse appointment',
        display: 'Nurse',
        bookable: true,
        emisAccess: true,
      },
      {
        id: DEMO_SLOT_TYPE.TELEPHONE,
        description: 'Telephone consultation',
        display: 'Tel',
        bookable: true,
        emisAccess: false,
      },
      {
        id: DEMO_SLOT_TYPE.UNREGISTERED_PATIENT,
        description: 'Hero unregistered patient',
        display: 'Unreg',
        bookable: true,
        emisAccess: false,
      },
      {
        id: DEMO_SLOT_TYPE.BABY_CLINIC,
        description: 'Baby clinic',
        display: 'Baby',
        bookable: false,
        emisAccess: false,
      },
    ],
    patients: DEMO_PATIENTS,
    sessions,
  };
}
