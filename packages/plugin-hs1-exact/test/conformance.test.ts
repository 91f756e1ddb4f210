/**
 * The shared conformance kit, run against the HS1 Exact sandbox over real HTTP. Exact has no
 * slots, so the sandbox's truth is counted here from its appointment book for a practice simple
 * enough to count by hand: one dentist working 09:00–12:00 every day, 30-minute online slots every
 * 30 minutes, Appointment Stacking on, and each day 10:00 (Healthengine) and 11:00 (no reason) booked.
 */
import { addDays, localDateOf, localToInstant } from '@slotbridge/core';
import { ehrConformanceSuite } from '@slotbridge/core/testing';
import t from 'tap';
import { HS1_ERRORS, type Hs1ExactConnection, hs1ExactPlugin, slotIdOf } from '../src/index.ts';
import { createHs1ExactSandbox, type PracticeSeed } from '../src/sandbox/index.ts';

const ZONE = 'Australia/Sydney';
const STARTS = ['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'];
/** Every half hour of a day: where an HS1 slot id can start. */
const HALF_HOURS = Array.from(
  { length: 48 },
  (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 === 0 ? '00' : '30'}`,
);
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
const timeOf = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

function practiceFor(days: string[]): PracticeSeed {
  return {
    practice: { id: '1001', name: 'Harbourside Dental' },
    appointmentStacking: true,
    providers: [
      {
        id: 'DR01',
        title: 'Dr',
        firstName: 'Olivia',
        lastName: 'Chen',
        role: 'Dentist',
        workingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '12:00' })),
      },
    ],
    bookingReasons: [
      {
        id: 'R01',
        name: 'Healthengine',
        marketing: false,
        providers: [{ providerId: 'DR01', durationMinutes: 30 }],
      },
      {
        id: 'R02',
        name: 'Check-up & Clean',
        marketing: false,
        providers: [{ providerId: 'DR01', durationMinutes: 60 }],
      },
    ],
    onlineBookingConfiguration: [
      {
        providerId: 'DR01',
        durationMinutes: 30,
        intervalMinutes: 30,
        bookableTime: { kind: 'allUnbooked' },
        // The kit places slots around the next two clock changes, up to a year or two ahead.
        daysAhead: 730,
      },
    ],
    appointments: days.flatMap((date) => [
      { providerId: 'DR01', date, startTime: '10:00', durationMinutes: 30, reasonId: 'R01' },
      { providerId: 'DR01', date, startTime: '11:00', durationMinutes: 30 },
    ]),
  };
}

ehrConformanceSuite(t, {
  plugin: hs1ExactPlugin,
  errors: HS1_ERRORS,
  // Exact matches the patient by name and birth date or registers a new one (CreateAppointment).
  unmatchedPatient: 'register',
  async start() {
    const sandbox = await createHs1ExactSandbox({ timeZone: ZONE });
    await sandbox.listen();
    const firstDay = localDateOf(addDays(new Date(), 1), ZONE);
    const days = [0, 1, 2, 3, 4].map((n) =>
      localDateOf(addDays(localToInstant(firstDay, '12:00', ZONE), n), ZONE),
    );
    sandbox.seed(practiceFor(days));
    const connection: Hs1ExactConnection = { ...sandbox.connection() };
    const live = (date: string) =>
      sandbox.practiceServer.day(date).appointments.filter((a) => a.status !== 'Cancelled');
    /** The dates the kit touches: the window's, and each it places a slot on (with the times placed). */
    const placed = new Map<string, string[]>(days.map((date) => [date, []]));
    /** The R01 slot a (hashed) id names: its date and start. */
    const slotOf = (ehrSlotId: string) => {
      for (const date of placed.keys()) {
        const startTime = HALF_HOURS.find(
          (time) => slotIdOf({ providerId: 'DR01', date, startTime: time, reasonId: 'R01' }) === ehrSlotId,
        );
        if (startTime) return { date, startTime };
      }
      throw new Error(`No DR01 R01 slot has the id ${ehrSlotId}`);
    };
    /** The live appointments over the 30 minutes of the slot. */
    const heldIn = (ehrSlotId: string) => {
      const { date, startTime } = slotOf(ehrSlotId);
      const start = minutesOf(startTime);
      return live(date).filter(
        (a) =>
          a.providerId === 'DR01' &&
          minutesOf(a.startTime) < start + 30 &&
          start < minutesOf(a.startTime) + a.durationMinutes,
      );
    };
    return {
      connection,
      timeZone: ZONE,
      window: {
        from: localToInstant(days[0]!, '00:00', ZONE),
        to: localToInstant(days[4]!, '00:00', ZONE),
        slotTypeIds: ['R01'],
      },
      async slotIdsInWindow() {
        return days.slice(0, 4).flatMap((date) => {
          const held = live(date);
          const free = STARTS.filter((start) => !held.some((a) => a.startTime === start)).map((startTime) =>
            slotIdOf({ providerId: 'DR01', date, startTime, reasonId: 'R01' }),
          );
          const booked = held
            .filter((a) => a.reasonId === 'R01')
            .map((a) =>
              slotIdOf({ providerId: a.providerId, date, startTime: a.startTime, reasonId: 'R01' }),
            );
          return [...free, ...booked];
        });
      },
      async isBooked(ehrSlotId) {
        return days.some((date) =>
          live(date).some(
            (a) =>
              a.reasonId !== null &&
              slotIdOf({ providerId: a.providerId, date, startTime: a.startTime, reasonId: a.reasonId }) ===
                ehrSlotId,
          ),
        );
      },
      async appointmentsIn(ehrSlotId) {
        return heldIn(ehrSlotId).length;
      },
      // Exact has no slots: a slot at a time is the dentist working then. The kit's slots are 30
      // minutes, the online duration; that day's hours run from the first placed to the last.
      async placeSlot({ date, time, minutes, slotTypeId }) {
        if (minutes !== 30 || slotTypeId !== 'R01')
          throw new Error(
            `The HS1 conformance practice offers R01 for 30 minutes, not ${slotTypeId} for ${minutes}`,
          );
        const times = [...(placed.get(date) ?? []), time];
        placed.set(date, times);
        const starts = times.map(minutesOf);
        sandbox.practiceServer.setWorkingDay('DR01', date, {
          start: timeOf(Math.min(...starts)),
          end: timeOf(Math.max(...starts) + minutes),
        });
        return slotIdOf({ providerId: 'DR01', date, startTime: time, reasonId: slotTypeId });
      },
      reception: {
        book(ehrSlotId) {
          const { date, startTime } = slotOf(ehrSlotId);
          sandbox.practiceServer.receptionBook({
            providerId: 'DR01',
            date,
            startTime,
            durationMinutes: 30,
            reasonId: 'R01',
          });
        },
        cancel(ehrSlotId) {
          for (const appointment of heldIn(ehrSlotId))
            sandbox.practiceServer.setAppointmentStatus(appointment.id, 'Cancelled');
        },
        // Exact has no blocked slot: reception puts an appointment without a reason in the time.
        block(ehrSlotId) {
          const { date, startTime } = slotOf(ehrSlotId);
          sandbox.practiceServer.receptionBook({ providerId: 'DR01', date, startTime, durationMinutes: 30 });
        },
      },
      patient: { firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1995-01-30' },
      otherPatient: { firstName: 'Jack', lastName: 'Thompson', dateOfBirth: '1988-06-12' },
      unknownPatient: { firstName: 'Zara', lastName: 'Quinlan', dateOfBirth: '2001-06-17' },
      unregisteredSlotTypeId: null,
      invalidConnections: [
        {},
        { ...connection, baseUrl: 'not a url' },
        { ...connection, slug: '' },
        { ...connection, apiKey: 12345 },
        { ...connection, favouriteColour: 'blue' },
      ],
      brokenSetups: [
        {
          name: 'a wrong API key',
          break: () => {
            connection.apiKey = 'not-the-key';
          },
          failingCheckId: 'hs1.credentials',
        },
        {
          name: 'a wrong slug',
          break: () => {
            connection.slug = 'harbourside';
          },
          failingCheckId: 'hs1.credentials',
        },
        { name: 'HS1 not reachable', break: () => sandbox.close(), failingCheckId: 'hs1.credentials' },
        {
          name: "the practice's Exact server offline",
          break: () => sandbox.setPracticeServerOnline(false),
          failingCheckId: 'hs1.practice-server',
        },
        {
          name: 'no provider in the Online Booking Configuration',
          break: () => sandbox.practiceServer.removeOnlineBookingProvider('DR01'),
          failingCheckId: 'exact.online-booking-configuration',
        },
        {
          name: 'Appointment Stacking not ticked',
          break: () => sandbox.practiceServer.setAppointmentStacking(false),
          failingCheckId: 'exact.appointment-stacking',
        },
        {
          name: 'no booking reasons in Web Setup',
          break: () => {
            sandbox.practiceServer.deleteBookingReason('R01');
            sandbox.practiceServer.deleteBookingReason('R02');
          },
          failingCheckId: 'exact.booking-reasons',
        },
        {
          name: 'the provider linked to no booking reason',
          break: () => {
            sandbox.practiceServer.putBookingReason({
              id: 'R01',
              name: 'Healthengine',
              marketing: false,
              providers: [],
            });
            sandbox.practiceServer.putBookingReason({
              id: 'R02',
              name: 'Check-up & Clean',
              marketing: false,
              providers: [],
            });
          },
          failingCheckId: 'exact.providers-without-reasons',
        },
        {
          name: 'the default booking reason too short to fit',
          break: () =>
            sandbox.practiceServer.putBookingReason({
              id: 'R01',
              name: 'Healthengine',
              marketing: false,
              providers: [{ providerId: 'DR01', durationMinutes: 15 }],
            }),
          failingCheckId: 'exact.default-reason',
        },
      ],
      injectOutage(operation) {
        if (operation === 'fetch') sandbox.setPracticeServerOnline(false);
        else
          sandbox.faults.add({ operation: 'CreateAppointment', kind: 'error', status: 504, times: 'always' });
      },
      stop: () => sandbox.close(),
    };
  },
});
