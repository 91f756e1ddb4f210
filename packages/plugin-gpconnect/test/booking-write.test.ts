/** onBookingWrite: patient matching by NHS number, idempotent book, slot_taken, cancel with versions. */
import type { BookingWriteCommand, EhrSlot, PatientDetails } from '@slotbridge/core/plugin';
import t from 'tap';
import { gpconnectPlugin } from '../src/index.ts';
import { DEMO_PATIENTS, DEMO_SLOT_TYPE, UNKNOWN_NHS_NUMBER } from '../src/sandbox/index.ts';
import { ctxFor, startSandbox } from './helpers.ts';

const alice: PatientDetails = {
  firstName: 'Alice',
  lastName: 'Jones',
  dateOfBirth: DEMO_PATIENTS[0].birthDate,
  nhsNumber: DEMO_PATIENTS[0].nhsNumber,
};

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const { sandbox, connection } = await startSandbox(5);
  t.teardown(() => sandbox.close());
  const ctx = ctxFor(connection);
  const from = new Date(Date.now() + 86_400_000);
  const { slots } = await gpconnectPlugin.onSlotFetch(ctx, {
    from,
    to: new Date(from.getTime() + 4 * 86_400_000),
    slotTypeIds: [DEMO_SLOT_TYPE.GP],
  });
  const book = (slot: EhrSlot, patient = alice, bookingId = 'b1'): BookingWriteCommand => {
    const { status: _s, ehrStatus: _e, ...ref } = slot;
    return {
      kind: 'book',
      bookingId,
      slot: ref,
      targetEhrSlotTypeId: null,
      patient,
      reason: 'Sore throat',
      note: 'Prefers mornings',
      unregisteredSlotTypeId: null,
    };
  };
  return { sandbox, ctx, slots, book };
}

t.test('a booking is written as GP Connect expects it', async (t) => {
  const { sandbox, ctx, slots, book } = await setUp(t);
  const slot = slots[0]!;
  const { ehrBookingRef } = await gpconnectPlugin.onBookingWrite(ctx, book(slot));
  const stored = sandbox.diary.appointments.get(ehrBookingRef)!;
  t.equal(stored.patientId, '1');
  t.same(stored.slotIds, [slot.ehrSlotId]);
  t.equal(stored.resource.description, 'Sore throat');
  t.equal(stored.resource.comment, 'Prefers mornings [slotbridge booking b1]');
  t.notOk('reason' in stored.resource, 'no reason element: the standard forbids it');
  t.same(
    stored.resource.participant.map((p) => p.actor.reference),
    ['Patient/1', `Location/${slot.ehrLocationId}`, `Practitioner/${slot.ehrPractitionerId}`],
  );
  t.same(
    sandbox.calls.slice(-3).map((c) => c.operation),
    ['FindPatient', 'RetrievePatientAppointments', 'BookAppointment'],
  );
});

t.test('a repeated book after a lost answer answers the first booking', async (t) => {
  const { sandbox, ctx, slots, book } = await setUp(t);
  const slot = slots[1]!;
  sandbox.faults.add({ operation: 'BookAppointment', kind: 'lost-answer' });
  const lost = await gpconnectPlugin.onBookingWrite(ctx, book(slot)).catch((e) => e);
  t.match(lost, { kind: 'transient' }, 'the answer was lost');
  t.equal(sandbox.diary.appointmentsIn(slot.ehrSlotId).length, 1, 'but the booking landed');
  const again = await gpconnectPlugin.onBookingWrite(ctx, book(slot));
  t.equal(again.ehrBookingRef, sandbox.diary.appointmentsIn(slot.ehrSlotId)[0]!.id, 'the retry finds it');
  t.equal(sandbox.diary.appointmentsIn(slot.ehrSlotId).length, 1, 'no double booking');
});

t.test('patients GP Connect cannot match', async (t) => {
  const { ctx, slots, book } = await setUp(t);
  const slot = slots[2]!;
  const attempt = (patient: typeof alice) =>
    gpconnectPlugin.onBookingWrite(ctx, book(slot, patient)).catch((e) => e);
  t.match(await attempt({ ...alice, nhsNumber: undefined as unknown as string }), {
    code: 'GPCONNECT_ERR_PATIENT_NO_NHS_NUMBER',
    kind: 'patient_not_matched',
  });
  t.match(await attempt({ ...alice, nhsNumber: '1234567890' }), {
    code: 'GPCONNECT_ERR_NHS_NUMBER_INVALID',
    kind: 'patient_not_matched',
  });
  t.match(await attempt({ ...alice, nhsNumber: UNKNOWN_NHS_NUMBER }), {
    code: 'GPCONNECT_ERR_PATIENT_NOT_FOUND',
  });
  t.match(await attempt({ ...alice, dateOfBirth: '1990-01-01' }), {
    code: 'GPCONNECT_ERR_PATIENT_DETAILS_MISMATCH',
  });
  const held = await gpconnectPlugin
    .onBookingWrite(ctx, {
      ...book(slot, { ...alice, nhsNumber: UNKNOWN_NHS_NUMBER }),
      unregisteredSlotTypeId: DEMO_SLOT_TYPE.GP,
    } as BookingWriteCommand)
    .catch((e) => e);
  t.match(held, { kind: 'patient_not_matched' }, 'no hold even with an unregistered-patient slot type');
});

t.test('a slot taken by reception is slot_taken', async (t) => {
  const { sandbox, ctx, slots, book } = await setUp(t);
  sandbox.receptionBook(slots[3]!.ehrSlotId);
  t.match(await gpconnectPlugin.onBookingWrite(ctx, book(slots[3]!)).catch((e) => e), {
    code: 'GPCONNECT_ERR_SLOT_TAKEN',
    kind: 'slot_taken',
  });
});

t.test(
  'cancel: status cancelled with a reason under If-Match; a stale version is read again; repeats are harmless',
  async (t) => {
    const { sandbox, ctx, slots, book } = await setUp(t);
    const slot = slots[4]!;
    const { ehrBookingRef } = await gpconnectPlugin.onBookingWrite(ctx, book(slot));
    const { status: _s, ehrStatus: _e, ...ref } = slot;
    const cancel: BookingWriteCommand = {
      kind: 'cancel',
      bookingId: 'b1',
      slot: ref,
      ehrBookingRef,
      patient: alice,
      reason: 'Feeling better',
    };
    // Someone amends the appointment between our read and our write: the first PUT is stale.
    let amended = false;
    const take = sandbox.faults.take.bind(sandbox.faults);
    sandbox.faults.take = (operation: string) => {
      if (operation === 'UpdateAppointment' && !amended) {
        amended = true;
        const stored = sandbox.diary.appointments.get(ehrBookingRef)!;
        sandbox.diary.replaceAppointment(ehrBookingRef, {
          ...stored.resource,
          comment: 'changed at reception',
        });
      }
      return take(operation);
    };
    await gpconnectPlugin.onBookingWrite(ctx, cancel);
    const stored = sandbox.diary.appointments.get(ehrBookingRef)!;
    t.equal(stored.resource.status, 'cancelled');
    t.match(stored.resource.extension, [{}, {}, {}, { valueString: 'Feeling better' }]);
    t.equal(sandbox.diary.slot(slot.ehrSlotId).status, 'free', 'the slot is free');
    t.same(
      sandbox.calls.filter((c) => c.operation === 'UpdateAppointment').map((c) => c.statusCode),
      [409, 200],
      'stale, then done',
    );
    await gpconnectPlugin.onBookingWrite(ctx, cancel);
    await gpconnectPlugin.onBookingWrite(ctx, { ...cancel, ehrBookingRef: '99999' });
    t.pass('a cancelled or unknown appointment again: no error');
  },
);
