/**
 * The shared conformance kit, run against the SystmOne sandbox over real TCP.
 */
import { addDays, localDateOf, localToInstant } from '@slotbridge/core';
import { ehrConformanceSuite } from '@slotbridge/core/testing';
import t from 'tap';
import { slotIdOf, systmonePlugin } from '../src/index.ts';
import { createSystmOneSandbox, DEMO_SLOT_TYPES, DEMO_USERS } from '../src/sandbox/index.ts';

const ZONE = 'Europe/London';

ehrConformanceSuite(t, {
  plugin: systmonePlugin,
  async start() {
    const sandbox = await createSystmOneSandbox({ timeZone: ZONE, demo: { days: 10 } });
    const connection = { ...sandbox.connection(), readTimeoutMs: 500 };
    const firstDay = localDateOf(addDays(new Date(), 1), ZONE);
    const days = [0, 1, 2, 3, 4].map((n) =>
      localDateOf(addDays(localToInstant(firstDay, '12:00', ZONE), n), ZONE),
    );
    const slotTypeIds = [DEMO_SLOT_TYPES.ROUTINE_GP, DEMO_SLOT_TYPES.TELEPHONE];
    const slotsInWindow = () =>
      days.slice(0, 4).flatMap((date) =>
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
      patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29', nhsNumber: '9990000018' },
      otherPatient: {
        firstName: 'Bashir',
        lastName: 'Khan',
        dateOfBirth: '1957-11-03',
        nhsNumber: '9990000026',
      },
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
