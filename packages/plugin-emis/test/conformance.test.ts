/**
 * The shared conformance kit, run against the EMIS sandbox over real HTTP.
 */
import { addDays, localDateOf, localToInstant } from '@slotbridge/core';
import { ehrConformanceSuite } from '@slotbridge/core/testing';
import t from 'tap';
import { EMIS_ERRORS, type EmisConnection, emisPlugin } from '../src/index.ts';
import { createEmisSandbox, DEMO_PATIENTS, DEMO_SLOT_TYPE } from '../src/sandbox/index.ts';

const ZONE = 'Europe/London';
const BOOKED = ['Booked', 'Arrived', 'Send In', 'Left', 'DNA'];

/** HH:mm plus minutes, within the day. */
function timeAfter(time: string, minutes: number): string {
  const [h, m] = time.split(':').map(Number);
  const total = h! * 60 + m! + minutes;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

ehrConformanceSuite(t, {
  plugin: emisPlugin,
  errors: EMIS_ERRORS,
  // No single EMIS record: the slot is held with the unregistered-patient slot type (booking-write.ts).
  unmatchedPatient: 'hold',
  async start() {
    const sandbox = await createEmisSandbox({ timeZone: ZONE, demo: { days: 10 } });
    await sandbox.listen();
    const connection: EmisConnection = { ...sandbox.connection() };
    const firstDay = localDateOf(addDays(new Date(), 1), ZONE);
    const days = [0, 1, 2, 3, 4].map((n) =>
      localDateOf(addDays(localToInstant(firstDay, '12:00', ZONE), n), ZONE),
    );
    const slotTypeIds = [DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.TELEPHONE];
    return {
      connection,
      timeZone: ZONE,
      window: {
        from: localToInstant(days[0]!, '00:00', ZONE),
        to: localToInstant(days[4]!, '00:00', ZONE),
        slotTypeIds,
      },
      async slotIdsInWindow() {
        return days
          .slice(0, 4)
          .flatMap((date) => sandbox.diary.day(date))
          .flatMap((session) => session.slots)
          .filter((slot) => (slotTypeIds as string[]).includes(slot.slotTypeId))
          .map((slot) => String(slot.slotId));
      },
      async isBooked(ehrSlotId) {
        return BOOKED.includes(sandbox.diary.slot(Number(ehrSlotId))?.status ?? '');
      },
      // An EMIS slot holds one appointment at most: its patient.
      async appointmentsIn(ehrSlotId) {
        return sandbox.diary.slot(Number(ehrSlotId))?.patientNumber == null ? 0 : 1;
      },
      async isHeld(ehrSlotId) {
        const slot = sandbox.diary.slot(Number(ehrSlotId));
        return slot?.slotTypeId === DEMO_SLOT_TYPE.UNREGISTERED_PATIENT && slot.patientNumber === null;
      },
      async placeSlot({ date, time, minutes, slotTypeId }) {
        // A one-slot session of the demo's first session holder, at its site.
        const [model] = sandbox.diary.day(days[0]!);
        const sessionId = sandbox.diary.addSession({
          name: 'Conformance session',
          date,
          startTime: time,
          endTime: timeAfter(time, minutes),
          slotLength: minutes,
          siteId: model!.siteId,
          holderIds: model!.holderIds,
          slots: [{ startTime: time, slotTypeId }],
        });
        const session = sandbox.diary.day(date).find((s) => s.sessionId === sessionId)!;
        return String(session.slots[0]!.slotId);
      },
      reception: {
        book: (ehrSlotId) =>
          sandbox.diary.receptionBook(
            Number(ehrSlotId),
            DEMO_PATIENTS[1]!.patientNumber,
            'Booked at reception',
          ),
        cancel: (ehrSlotId) => sandbox.diary.receptionCancel(Number(ehrSlotId)),
        block: (ehrSlotId) => sandbox.diary.setSlotAvailability(Number(ehrSlotId), 'Blocked'),
      },
      patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
      otherPatient: { firstName: 'Bashir', lastName: 'Khan', dateOfBirth: '1957-11-03' },
      unknownPatient: { firstName: 'Zara', lastName: 'Quinlan', dateOfBirth: '2001-06-17' },
      unregisteredSlotTypeId: DEMO_SLOT_TYPE.UNREGISTERED_PATIENT,
      invalidConnections: [
        {},
        { ...connection, baseUrl: 'not a url' },
        { ...connection, cdbNumber: 'ABC' },
        { ...connection, apiPassword: 12345 },
        { ...connection, favouriteColour: 'blue' },
      ],
      brokenSetups: [
        {
          name: 'the EMIS user password typed instead of the API password',
          break: () => {
            connection.apiPassword = sandbox.access.user('Herouser').emisPassword;
          },
          failingCheckId: 'emis.sign-in',
        },
        {
          name: 'a space at the end of the API password',
          break: () => {
            connection.apiPassword = `${connection.apiPassword} `;
          },
          failingCheckId: 'credentials.spaces',
        },
        {
          name: 'the application not activated in EMAS Manager',
          break: () => void sandbox.access.updateSetup({ applicationActivated: false }),
          failingCheckId: 'emis.sign-in',
        },
        {
          name: 'Login Access: Allow Login not ticked',
          break: () => void sandbox.access.updateUser('Herouser', { allowLogin: false }),
          failingCheckId: 'emis.sign-in',
        },
        {
          name: 'the user not ticked under Edit Users',
          break: () => void sandbox.access.updateUser('Herouser', { apiPassword: null }),
          failingCheckId: 'emis.sign-in',
        },
        {
          name: 'Login Access: Auto Login not ticked',
          break: () => void sandbox.access.updateUser('Herouser', { autoLogin: false }),
          failingCheckId: 'emis.sign-in',
        },
        {
          name: 'an organisation ID (CDB number) EMIS does not know',
          break: () => {
            connection.cdbNumber = '50010';
          },
          failingCheckId: 'emis.organisation',
        },
        {
          name: "the organisation ID (CDB number) of another practice (the practice's ODS code differs)",
          break: () =>
            void sandbox.access.updateSetup({ odsCode: 'B82002', organisationName: 'Hillview Practice' }),
          failingCheckId: 'emis.organisation',
        },
        {
          name: 'an earlier partner user for the product (Herouser1 set up beside Herouser)',
          break: () => {
            sandbox.access.addUser({
              username: 'Herouser1',
              userInRoleId: '7002',
              emisPassword: 'second-login',
            });
            sandbox.access.updateUser('Herouser1', {
              apiPassword: 'second-api',
              autoLogin: true,
              allowLogin: true,
            });
            Object.assign(connection, sandbox.connection('Herouser1'));
          },
          failingCheckId: 'emis.partner-user',
        },
        {
          name: 'no unregistered-patient slot type in EMIS',
          break: () => sandbox.diary.removeSlotType(DEMO_SLOT_TYPE.UNREGISTERED_PATIENT),
          failingCheckId: 'emis.unregistered-slot-type',
        },
        {
          name: 'the unregistered-patient slot type also bookable online',
          break: () =>
            void sandbox.diary.updateSlotType(DEMO_SLOT_TYPE.UNREGISTERED_PATIENT, { emisAccess: true }),
          failingCheckId: 'emis.unregistered-slot-type',
        },
        {
          name: 'EMIS not reachable',
          break: () => sandbox.close(),
          failingCheckId: 'emis.reachable',
        },
      ],
      injectOutage(operation) {
        sandbox.faults.add({
          operation: operation === 'fetch' ? 'GetAppointmentSessions' : 'BookAppointment',
          kind: 'error',
          status: 503,
          times: 'always',
        });
      },
      stop: () => sandbox.close(),
    };
  },
});
