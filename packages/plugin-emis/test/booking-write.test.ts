/**
 * onBookingWrite against the sandbox: bookings land in the EMIS diary, a taken slot is
 * slot_taken, cancel frees the slot, an unmatched patient is patient_not_matched.
 */
import type { BookingWriteCommand, EhrSlotRef, PatientDetails } from '@slotbridge/core';
import { EhrError } from '@slotbridge/core';
import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import { contextFor, startSandbox } from './fixtures.ts';

async function demoPractice(t: Parameters<typeof startSandbox>[0]) {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  const slotRef = (slotId: number): EhrSlotRef => {
    const slot = sandbox.diary.slot(slotId)!;
    return {
      ehrSlotId: String(slotId),
      ehrSessionId: String(slot.sessionId),
      ehrPractitionerId: '501',
      ehrLocationId: '1',
      ehrSlotTypeId: slot.slotTypeId,
      startAt: new Date('2026-02-02T08:30:00Z'),
      endAt: new Date('2026-02-02T08:40:00Z'),
    };
  };
  const freeSlots = sandbox.diary
    .day('2026-02-02')
    .flatMap((s) => s.slots)
    .filter((s) => s.status === 'Slot Available' && s.slotTypeId === '11');
  return { sandbox, ctx: contextFor(sandbox.connection()), slotRef, freeSlots };
}

const alice: PatientDetails = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

function book(
  slot: EhrSlotRef,
  patient: PatientDetails,
  targetEhrSlotTypeId: string | null = null,
): BookingWriteCommand {
  return {
    kind: 'book',
    bookingId: 'b-1',
    slot,
    targetEhrSlotTypeId,
    patient,
    reason: 'Sore knee',
    note: 'Booked online',
  };
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof EhrError)) throw new Error(`expected an EhrError, got ${String(error)}`);
  return {
    kind: error.kind,
    code: error.code,
    message: error.message,
    fix: error.fix,
    details: error.details,
  };
}

t.test('a booking matched by date of birth and name lands in the EMIS diary', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  t.same(await emisPlugin.onBookingWrite(ctx, book(slotRef(slotId), alice)), {
    ehrBookingRef: `${slotId}:9001`,
  });
  t.match(sandbox.diary.slot(slotId), { status: 'Booked', patientNumber: 9001, slotTypeId: '11' });
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['Token', 'GetMatchedPatients', 'BookAppointment'],
  );
  const logged = JSON.stringify(ctx.logs);
  t.notMatch(logged, /Alice|Jones|1984|api-password/, 'no patient data or credentials in the logs');
});

t.test('the EMIS patient number, when known, is used as is', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  await emisPlugin.onBookingWrite(ctx, book(slotRef(slotId), { ...alice, ehrPatientId: '9002' }));
  t.match(sandbox.diary.slot(slotId), { patientNumber: 9002 });
  t.match(
    await failure(
      emisPlugin.onBookingWrite(ctx, book(slotRef(freeSlots[1]!.slotId), { ...alice, ehrPatientId: '1' })),
    ),
    {
      kind: 'patient_not_matched',
      code: 'EMIS_ERR_PATIENT_NOT_FOUND',
    },
  );
});

t.test('booking a slot taken in EMIS is slot_taken', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  sandbox.diary.receptionBook(slotId, 9002, 'At the desk');
  t.same(await failure(emisPlugin.onBookingWrite(ctx, book(slotRef(slotId), alice))), {
    kind: 'slot_taken',
    code: 'EMIS_ERR_SLOT_NOT_AVAILABLE',
    message: 'EMIS refused BookAppointment (HTTP 400, SLOT_NOT_AVAILABLE)',
    fix: 'The slot was booked, blocked or embargoed in EMIS meanwhile. Offer the patient another time.',
    details: {
      operation: 'BookAppointment',
      httpStatus: 400,
      legacyOutcome: 3,
      issueCode: 'conflict',
      emisCode: 'SLOT_NOT_AVAILABLE',
      messageId: '00000000-0000-4000-8000-000000000001',
    },
  });
  t.match(sandbox.diary.slot(slotId), { patientNumber: 9002 }, 'the reception booking stands');
});

t.test('writing the same booking again (a retry after a timeout) is not a conflict', async (t) => {
  const { ctx, slotRef, freeSlots } = await demoPractice(t);
  const slot = slotRef(freeSlots[0]!.slotId);
  const first = await emisPlugin.onBookingWrite(ctx, book(slot, alice));
  t.same(await emisPlugin.onBookingWrite(ctx, book(slot, alice)), first);
});

t.test('patients that do not match exactly one record are patient_not_matched', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slot = slotRef(freeSlots[0]!.slotId);
  t.same(await failure(emisPlugin.onBookingWrite(ctx, book(slot, { ...alice, firstName: 'Alicia' }))), {
    kind: 'patient_not_matched',
    code: 'EMIS_ERR_PATIENT_NO_MATCH',
    message: 'No EMIS patient matches the date of birth and name',
    fix: 'No EMIS patient has this date of birth and name. Check the details, or register the patient in EMIS.',
    details: { matches: 0 },
  });
  const john: PatientDetails = { firstName: 'John', lastName: 'Smith', dateOfBirth: '1970-01-01' };
  t.match(await failure(emisPlugin.onBookingWrite(ctx, book(slot, john))), {
    kind: 'patient_not_matched',
    code: 'EMIS_ERR_PATIENT_MULTIPLE_MATCHES',
    details: { matches: 2 },
  });
  t.match(sandbox.diary.slot(Number(slot.ehrSlotId)), { status: 'Slot Available' }, 'nothing was booked');
  await emisPlugin.onBookingWrite(ctx, book(slot, { ...john, nhsNumber: '9990000050' }));
  t.match(sandbox.diary.slot(Number(slot.ehrSlotId)), { patientNumber: 9005 }, 'the NHS number settles it');
  const chloe: PatientDetails = { firstName: 'Chloe', lastName: "O'Neill", dateOfBirth: '1999-07-15' };
  await emisPlugin.onBookingWrite(ctx, book(slotRef(freeSlots[1]!.slotId), chloe));
  t.match(
    sandbox.diary.slot(freeSlots[1]!.slotId),
    { patientNumber: 9003 },
    'apostrophes are left out of the terms',
  );
});

t.test('the booking features slot type is set with SetSlotType', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  await emisPlugin.onBookingWrite(ctx, book(slotRef(slotId), alice, '13'));
  t.match(sandbox.diary.slot(slotId), { status: 'Booked', slotTypeId: '13' });
  const other = freeSlots[1]!.slotId;
  await emisPlugin.onBookingWrite(ctx, book(slotRef(other), alice, '11'));
  t.notOk(
    sandbox.calls.slice(-2).some((c) => c.operation === 'SetSlotType'),
    'no SetSlotType when the slot already has the type',
  );
});

t.test('cancel frees the slot, and cancelling again is harmless', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slot = slotRef(freeSlots[0]!.slotId);
  const { ehrBookingRef } = await emisPlugin.onBookingWrite(ctx, book(slot, alice));
  const cancel: BookingWriteCommand = {
    kind: 'cancel',
    bookingId: 'b-1',
    slot,
    ehrBookingRef,
    patient: alice,
    reason: null,
  };
  t.same(await emisPlugin.onBookingWrite(ctx, cancel), { ehrBookingRef });
  t.match(sandbox.diary.slot(Number(slot.ehrSlotId)), { status: 'Slot Available', patientNumber: null });
  t.same(await emisPlugin.onBookingWrite(ctx, cancel), { ehrBookingRef }, 'already gone counts as cancelled');

  const again = await emisPlugin.onBookingWrite(ctx, book(slot, alice));
  sandbox.diary.setAppointmentStatus(Number(slot.ehrSlotId), 'Arrived');
  t.match(await failure(emisPlugin.onBookingWrite(ctx, { ...cancel, ehrBookingRef: again.ehrBookingRef })), {
    kind: 'rejected',
    code: 'EMIS_ERR_APPOINTMENT_IN_PROGRESS',
  });
  t.match(await failure(emisPlugin.onBookingWrite(ctx, { ...cancel, ehrBookingRef: 'not-a-ref' })), {
    kind: 'rejected',
    code: 'EMIS_ERR_BOOKING_REF_INVALID',
  });
});

t.test('EMIS being down while booking is transient', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  sandbox.faults.add({ operation: 'BookAppointment', kind: 'error', status: 503 });
  t.match(await failure(emisPlugin.onBookingWrite(ctx, book(slotRef(freeSlots[0]!.slotId), alice))), {
    kind: 'transient',
    code: 'EMIS_ERR_SERVER',
  });
});
