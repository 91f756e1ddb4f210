/**
 * The shared conformance kit, run against the GP Connect sandbox over real HTTP.
 */
import { addDays, localDateOf, localToInstant } from '@slotbridge/core';
import { ehrConformanceSuite } from '@slotbridge/core/testing';
import t from 'tap';
import { GPCONNECT_ERRORS, type GpConnectConnection, gpconnectPlugin, slotTypeIdOf } from '../src/index.ts';
import {
  createGpConnectSandbox,
  DEMO_PATIENTS,
  DEMO_SLOT_TYPE,
  UNKNOWN_NHS_NUMBER,
} from '../src/sandbox/index.ts';

const ZONE = 'Europe/London';

const patientOf = (p: (typeof DEMO_PATIENTS)[number]) => ({
  firstName: p.given,
  lastName: p.family,
  dateOfBirth: p.birthDate,
  nhsNumber: p.nhsNumber,
});

ehrConformanceSuite(t, {
  plugin: gpconnectPlugin,
  errors: GPCONNECT_ERRORS,
  // GP Connect books registered patients only, and cannot hold a slot: an unmatched patient is refused.
  unmatchedPatient: 'refuse',
  async start() {
    const sandbox = await createGpConnectSandbox({ timeZone: ZONE, demo: { days: 10 } });
    await sandbox.listen();
    const connection: GpConnectConnection = { ...sandbox.connection() };
    const firstDay = localDateOf(addDays(new Date(), 1), ZONE);
    const days = [0, 1, 2, 3, 4].map((n) =>
      localDateOf(addDays(localToInstant(firstDay, '12:00', ZONE), n), ZONE),
    );
    const slotTypeIds = [DEMO_SLOT_TYPE.GP, DEMO_SLOT_TYPE.TELEPHONE];
    const from = localToInstant(days[0]!, '00:00', ZONE);
    const to = localToInstant(days[4]!, '00:00', ZONE);
    return {
      connection,
      timeZone: ZONE,
      window: { from, to, slotTypeIds },
      // Search for free slots lists free slots only: the sandbox's truth is its free slots.
      async slotIdsInWindow() {
        return [...sandbox.diary.slots.values()]
          .filter(
            (s) =>
              s.start >= from &&
              s.start < to &&
              s.status === 'free' &&
              !s.blocked &&
              (slotTypeIds as string[]).includes(slotTypeIdOf(s.serviceType, s.deliveryChannel)),
          )
          .map((s) => s.id);
      },
      async isBooked(ehrSlotId) {
        return sandbox.diary.slot(ehrSlotId).status === 'busy';
      },
      async appointmentsIn(ehrSlotId) {
        return sandbox.diary.appointmentsIn(ehrSlotId).length;
      },
      async placeSlot(slot) {
        return sandbox.placeSlot(slot).id;
      },
      reception: {
        book: (id) => void sandbox.receptionBook(id),
        cancel: (id) => sandbox.receptionCancel(id),
        block: (id) => sandbox.block(id),
      },
      patient: patientOf(DEMO_PATIENTS[0]),
      otherPatient: patientOf(DEMO_PATIENTS[1]),
      unknownPatient: {
        firstName: 'Nobody',
        lastName: 'Known',
        dateOfBirth: '1970-01-01',
        nhsNumber: UNKNOWN_NHS_NUMBER,
      },
      unregisteredSlotTypeId: null,
      invalidConnections: [
        {},
        { ...connection, baseUrl: 'not a url' },
        { ...connection, providerAsid: '12345' },
        { ...connection, consumerAsid: 'ABCDEFGHIJKL' },
        { ...connection, odsCode: 'a81001' },
        { ...connection, clientKeyPem: 'not a key' },
        { ...connection, favouriteColour: 'blue' },
      ],
      brokenSetups: [
        {
          name: 'the provider does not offer booking (no Appointment create in the capability statement)',
          break: () => {
            sandbox.setup.capabilityWithoutBook = true;
          },
          failingCheckId: 'gpconnect.capability',
        },
        {
          name: 'the provider implements GP Connect 1.1, not 1.2',
          break: () => {
            sandbox.setup.version = '1.1.2';
          },
          failingCheckId: 'gpconnect.capability',
        },
        {
          name: 'an ODS code the provider does not know',
          break: () => {
            connection.odsCode = 'Z99999';
          },
          failingCheckId: 'gpconnect.ods-code',
        },
        {
          name: 'the consumer ASID is not authorised by the Spine',
          break: () => {
            sandbox.setup.authorisedConsumerAsids = [];
          },
          failingCheckId: 'gpconnect.asid',
        },
        {
          name: 'the wrong provider ASID',
          break: () => {
            connection.providerAsid = '999999999999';
          },
          failingCheckId: 'gpconnect.asid',
        },
        {
          name: 'the endpoint is offline',
          break: () => {
            sandbox.setup.offline = true;
          },
          failingCheckId: 'gpconnect.reachable',
        },
        {
          name: 'an https address without the TLS client certificate',
          break: () => {
            connection.baseUrl = sandbox.url.replace('http:', 'https:');
          },
          failingCheckId: 'gpconnect.tls',
        },
      ],
      injectOutage(operation) {
        if (operation === 'fetch') {
          sandbox.faults.add({ operation: 'SearchFreeSlots', kind: 'error', status: 503, times: 'always' });
        } else {
          sandbox.faults.add({ operation: 'BookAppointment', kind: 'drop', times: 'always' });
        }
      },
      stop: () => sandbox.close(),
    };
  },
});
