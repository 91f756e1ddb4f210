/**
 * The demo practice: Demo Surgery (GP Connect), ODS A81001, Europe/London by default. Three
 * clinicians at two sites, weekday morning and afternoon sessions of 10-minute slots of four
 * service types (each with its delivery channel), a quarter of them already booked, and test
 * patients with NHS numbers in the 999 range. Deterministic for a given seed and start date.
 */
import { seededRandom } from '@slotbridge/core/sandbox-kit';
import { DateTime } from 'luxon';
import { type GpConnectDiary, nhsNumberOf } from './diary.ts';
import { receptionAppointment } from './provider-routes.ts';

export interface DemoDiaryOptions {
  /** Days of slots from `from` (default 28). */
  days?: number;
  timeZone?: string;
  /** First day, yyyy-MM-dd (default today in the zone). */
  from?: string;
  seed?: number;
}

export const DEMO_SERVICE = {
  GP: { serviceType: 'General GP Appointment', deliveryChannel: 'In-person' },
  TELEPHONE: { serviceType: 'Telephone Consultation', deliveryChannel: 'Telephone' },
  HEALTH_CHECK: { serviceType: 'NHS Health Check', deliveryChannel: 'In-person' },
  VIDEO: { serviceType: 'Video Consultation', deliveryChannel: 'Video' },
} as const;

/** The slot-type ids the plugin derives for them. */
export const DEMO_SLOT_TYPE = {
  GP: 'general-gp-appointment~in-person',
  TELEPHONE: 'telephone-consultation~telephone',
  HEALTH_CHECK: 'nhs-health-check~in-person',
  VIDEO: 'video-consultation~video',
} as const;

/** Test NHS numbers (999 range, valid check digits). */
function testNhsNumbers(count: number): string[] {
  const found: string[] = [];
  for (let n = 1; found.length < count; n++) {
    const number = nhsNumberOf(`999${String(n).padStart(6, '0')}`);
    if (number) found.push(number);
  }
  return found;
}

const NUMBERS = testNhsNumbers(6);

export const DEMO_PATIENTS = [
  {
    id: '1',
    nhsNumber: NUMBERS[0]!,
    prefix: 'Mrs',
    given: 'Alice',
    family: 'Jones',
    gender: 'female',
    birthDate: '1984-02-29',
    phone: '01134960001',
  },
  {
    id: '2',
    nhsNumber: NUMBERS[1]!,
    prefix: 'Mr',
    given: 'Bashir',
    family: 'Khan',
    gender: 'male',
    birthDate: '1957-11-03',
    phone: '01134960002',
  },
  {
    id: '3',
    nhsNumber: NUMBERS[2]!,
    prefix: 'Ms',
    given: 'Chloe',
    family: 'Evans',
    gender: 'female',
    birthDate: '1992-07-14',
    phone: '01134960003',
  },
  {
    id: '4',
    nhsNumber: NUMBERS[3]!,
    prefix: 'Mr',
    given: 'Dylan',
    family: 'Price',
    gender: 'male',
    birthDate: '2001-01-09',
    phone: '01134960004',
  },
] as const;

/** A valid NHS number no demo patient has. */
export const UNKNOWN_NHS_NUMBER = NUMBERS[5]!;

export function seedDemoDiary(diary: GpConnectDiary, options: DemoDiaryOptions = {}): void {
  const zone = diary.timeZone;
  diary.clear();
  diary.organisation = { id: '1', odsCode: 'A81001', name: 'Demo Surgery (GP Connect)' };
  diary.locations.set('1', {
    id: '1',
    name: 'Demo Surgery',
    line: ['1 High Street', 'Riverside'],
    postalCode: 'LS1 6AE',
    phone: '03003035678',
  });
  diary.locations.set('2', {
    id: '2',
    name: 'Hillview Branch Surgery',
    line: ['Hillview Road', 'Leeds'],
    postalCode: 'LS6 2QR',
    phone: '03003035679',
  });
  const gp = { roleCode: 'R0260', roleDisplay: 'General Medical Practitioner' };
  diary.practitioners.set('1', {
    id: '1',
    prefix: 'Dr',
    given: 'Sarah',
    family: 'Black',
    gender: 'female',
    sdsUserId: '111122223333',
    ...gp,
  });
  diary.practitioners.set('2', {
    id: '2',
    prefix: 'Dr',
    given: 'Amir',
    family: 'Khan',
    gender: 'male',
    sdsUserId: '111122224444',
    ...gp,
  });
  diary.practitioners.set('3', {
    id: '3',
    prefix: 'Mr',
    given: 'Jo',
    family: 'Patel',
    gender: 'male',
    sdsUserId: '111122225555',
    roleCode: 'R0690',
    roleDisplay: 'Practice Nurse',
  });
  diary.schedules.set('1', {
    id: '1',
    practitionerId: '1',
    locationId: '1',
    serviceCategory: 'General GP Appointments',
  });
  diary.schedules.set('2', {
    id: '2',
    practitionerId: '2',
    locationId: '2',
    serviceCategory: 'General GP Appointments',
  });
  diary.schedules.set('3', {
    id: '3',
    practitionerId: '3',
    locationId: '1',
    serviceCategory: 'Nurse Clinic',
  });
  for (const p of DEMO_PATIENTS) diary.patients.set(p.id, { ...p });

  const random = seededRandom(options.seed ?? 7);
  const first = options.from
    ? DateTime.fromISO(options.from, { zone })
    : DateTime.now().setZone(zone).startOf('day');
  const sessions = [
    { schedule: '1', start: '08:30', end: '11:30', services: [DEMO_SERVICE.GP, DEMO_SERVICE.TELEPHONE] },
    { schedule: '2', start: '14:00', end: '17:00', services: [DEMO_SERVICE.GP, DEMO_SERVICE.VIDEO] },
    { schedule: '3', start: '09:00', end: '12:00', services: [DEMO_SERVICE.HEALTH_CHECK] },
  ];
  for (let d = 0; d < (options.days ?? 28); d++) {
    const day = first.plus({ days: d });
    if (day.weekday > 5) continue;
    for (const session of sessions) {
      let at = DateTime.fromISO(`${day.toISODate()}T${session.start}`, { zone });
      const end = DateTime.fromISO(`${day.toISODate()}T${session.end}`, { zone });
      let n = 0;
      while (at < end) {
        const service = session.services[n % session.services.length]!;
        const slot = diary.addSlot({
          scheduleId: session.schedule,
          ...service,
          start: at.toJSDate(),
          end: at.plus({ minutes: 10 }).toJSDate(),
        });
        if (random() < 0.25 && slot.start.getTime() > Date.now()) {
          const patient = DEMO_PATIENTS[2 + Math.floor(random() * 2)]!;
          diary.createAppointment(receptionAppointment(diary, slot.id, patient.id), [slot.id], patient.id);
        }
        at = at.plus({ minutes: 10 });
        n++;
      }
    }
  }
}
