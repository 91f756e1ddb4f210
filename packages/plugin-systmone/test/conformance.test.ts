/**
 * The shared conformance kit, run against the SystmOne sandbox over real TCP.
 */
import { addDays, localDateOf, localToInstant } from '@slotbridge/core';
import { ehrConformanceSuite } from '@slotbridge/core/testing';
import t from 'tap';
import { SYSTMONE_ERRORS, slotIdOf, systmonePlugin } from '../src/index.ts';
import {
  createSystmOneSandbox,
  DEMO_PATIENTS,
  DEMO_PLACEHOLDER_NHS_NUMBER,
  DEMO_SITES,
  DEMO_SLOT_TYPES,
  DEMO_USERS,
} from '../src/sandbox/index.ts';

const ZONE = 'Europe/London';

ehrConformanceSuite(t, {
  plugin: systmonePlugin,
  errors: SYSTMONE_ERRORS,
  // No single record for a patient given without an NHS number: booked for the placeholder patient.
  unmatchedPatient: 'hold',
  async start() {
    const sandbox = await createSystmOneSandbox({ timeZone: ZONE, demo: { days: 10 } });
    const connection = {
      ...sandbox.connection(),
      readTimeoutMs: 500,
      placeholderNhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
    };
    const firstDay = localDateOf(addDays(new Date(), 1), ZONE);
    const days = [0, 1, 2, 3, 4].map((n) =>
      localDateOf(addDays(localToInstant(firstDay, '12:00', ZONE), n), ZONE),
    );
    const slotTypeIds = [DEMO_SLOT_TYPES.ROUTINE_GP, DEMO_SLOT_TYPES.TELEPHONE];
    /** The dates the kit touches: the window's, and each it places a slot on. */
    const dates = new Set(days);
    const slotsOn = (on: Iterable<string>) =>
      [...on].flatMap((date) =>
        sandbox.diary.day(date).flatMap((clinic) =>
          clinic.slots
            .filter((slot) => (slotTypeIds as string[]).includes(slot.slotType))
            .map((slot) => ({
              slot,
              ehrSlotId: slotIdOf({
                userName: clinic.userName,
                siteName: clinic.siteName,
                clinicType: clinic.clinicType,
                slotType: slot.slotType,
                dateTimeStart: slot.dateTimeStart,
                durationMinutes: slot.duration,
              }),
            })),
        ),
      );
    const slotsInWindow = () => slotsOn(days.slice(0, 4));
    const diarySlot = (ehrSlotId: string) => {
      const found = slotsOn(dates).find((s) => s.ehrSlotId === ehrSlotId);
      if (!found) throw new Error(`No sandbox slot has the id ${ehrSlotId}`);
      return found.slot;
    };
    return {
      connection,
      timeZone: ZONE,
      window: {
        from: localToInstant(days[0]!, '00:00', ZONE),
        to: localToInstant(days[4]!, '00:00', ZONE),
        slotTypeIds,
      },
      // GetAppointmentSlots lists free slots only: the sandbox's truth is its free slots.
      async slotIdsInWindow() {
        return slotsInWindow()
          .filter(({ slot }) => slot.state === 'free')
          .map(({ ehrSlotId }) => ehrSlotId);
      },
      async isBooked(ehrSlotId) {
        return slotsInWindow().find((s) => s.ehrSlotId === ehrSlotId)?.slot.state === 'booked';
      },
      async appointmentsIn(ehrSlotId) {
        const { slotRef } = diarySlot(ehrSlotId);
        return sandbox.diary.appointments().filter((a) => a.slotRef === slotRef && a.status !== 'Cancelled')
          .length;
      },
      // A hold is an appointment of the placeholder patient (booking-write.ts).
      async isHeld(ehrSlotId) {
        const slot = diarySlot(ehrSlotId);
        return slot.state === 'booked' && slot.nhsNumber === DEMO_PLACEHOLDER_NHS_NUMBER;
      },
      async placeSlot({ date, time, minutes, slotTypeId }) {
        sandbox.diary.addClinic({
          userName: DEMO_USERS.HART,
          siteName: DEMO_SITES.RIVERSIDE,
          clinicType: 'GP Clinic',
          date,
          slots: [{ time, slotType: slotTypeId, duration: minutes }],
        });
        dates.add(date);
        return slotIdOf({
          userName: DEMO_USERS.HART,
          siteName: DEMO_SITES.RIVERSIDE,
          clinicType: 'GP Clinic',
          slotType: slotTypeId,
          dateTimeStart: `${date}T${time}:00`,
          durationMinutes: minutes,
        });
      },
      reception: {
        book(ehrSlotId) {
          sandbox.diary.receptionBook(diarySlot(ehrSlotId).slotRef, DEMO_PATIENTS[1]!.nhsNumber!);
        },
        cancel(ehrSlotId) {
          sandbox.diary.receptionCancel(diarySlot(ehrSlotId).appointmentUid!);
        },
        block(ehrSlotId) {
          sandbox.diary.setSlotBlocked(diarySlot(ehrSlotId).slotRef, true);
        },
      },
      patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29', nhsNumber: '9990000018' },
      otherPatient: {
        firstName: 'Bashir',
        lastName: 'Khan',
        dateOfBirth: '1957-11-03',
        nhsNumber: '9990000026',
      },
      // Given without an NHS number, as a booking product may: SystmOne finds no record by name and birth date.
      unknownPatient: { firstName: 'Zara', lastName: 'Quinlan', dateOfBirth: '2001-06-17' },
      unregisteredSlotTypeId: DEMO_SLOT_TYPES.UNREGISTERED_PATIENT,
      invalidConnections: [
        {},
        { ...connection, port: 70000 },
        { ...connection, apiKey: '' },
        { ...connection, host: 42 },
        { ...connection, favouriteColour: 'blue' },
      ],
      brokenSetups: [
        {
          name: 'a wrong API key',
          break: () => {
            connection.apiKey = 'not-the-key';
          },
          failingCheckId: 'systmone.api-key',
        },
        {
          name: 'a wrong device id',
          break: () => {
            connection.deviceId = 'not-the-device';
          },
          failingCheckId: 'systmone.device-id',
        },
        {
          name: 'the logged-in user has not approved the device',
          break: () => sandbox.setDeviceApproved(DEMO_USERS.GATEWAY, false),
          failingCheckId: 'systmone.device-approved',
        },
        {
          name: 'SystmOne closed on the gateway PC (answers nothing)',
          break: () => sandbox.setClientState('closed'),
          failingCheckId: 'systmone.client-answering',
        },
        {
          name: 'the gateway unreachable',
          break: () => sandbox.setGatewayOnline(false),
          failingCheckId: 'systmone.gateway-reachable',
        },
      ],
      injectOutage(operation) {
        sandbox.faults.add({
          function: operation === 'fetch' ? 'GetAppointmentSlots' : 'UpdatePatientRecord',
          kind: 'drop',
          times: 'always',
        });
      },
      stop: () => sandbox.close(),
    };
  },
});
