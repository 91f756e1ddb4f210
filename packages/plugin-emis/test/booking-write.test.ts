/**
 * onBookingWrite against the sandbox: bookings land in the EMIS diary, a taken slot is
 * slot_taken, cancel frees the slot, an unmatched patient is patient_not_matched, or, with the
 * unregistered-patient slot type, a held slot that cancel restores.
 */
import type { BookingWriteCommand, EhrSlotRef, PatientDetails } from '@slotbridge/core';
import { EhrError } from '@slotbridge/core';
import t from 'tap';
import { EmisClient } from '../src/client.ts';
import { emisPlugin } from '../src/emis-plugin.ts';
import { DEMO_SLOT_TYPE } from '../src/sandbox/index.ts';
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
  t.notMatch(
    logged,
    /Alice|Jones|1984-02-29|29\/02\/1984|api-password/,
    'no patient data or credentials in the logs',
  );
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

// ---- Holding a slot for a patient EMIS cannot match (seed 002) -------------------------------

const UNREGISTERED = DEMO_SLOT_TYPE.UNREGISTERED_PATIENT;
const jane: PatientDetails = { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1990-06-01' };
const johnSmith: PatientDetails = { firstName: 'John', lastName: 'Smith', dateOfBirth: '1970-01-01' };

function bookOrHold(slot: EhrSlotRef, patient: PatientDetails, unregisteredSlotTypeId: string | null) {
  return { ...book(slot, patient), unregisteredSlotTypeId } as BookingWriteCommand;
}

function cancelOf(slot: EhrSlotRef, ehrBookingRef: string, patient: PatientDetails): BookingWriteCommand {
  return { kind: 'cancel', bookingId: 'b-1', slot, ehrBookingRef, patient, reason: null };
}

/** The slot as GetSlotsForSession shows it (notes included). */
async function emisSlot(sandbox: Awaited<ReturnType<typeof startSandbox>>, slotId: number) {
  const { sessionId } = sandbox.diary.slot(slotId)!;
  const { slot } = await new EmisClient(sandbox.connection()).getSlotsForSession(sessionId, NEVER);
  const found = slot.find((s) => s.dbid === slotId)!;
  return {
    type: found.type.typeID,
    status: found.status,
    notes: found.notes,
    patient: found.patientList?.patient.dbid,
  };
}

const NEVER = new AbortController().signal;

t.test('an unmatched patient: the slot is held with the unregistered slot type and a note', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  const slot = slotRef(slotId);
  t.same(
    await emisPlugin.onBookingWrite(
      ctx,
      bookOrHold(slot, { ...jane, nhsNumber: '9990000999' }, UNREGISTERED),
    ),
    {
      ehrBookingRef: `hold:${slotId}`,
      heldForReconciliation: true,
    },
  );
  t.same(await emisSlot(sandbox, slotId), {
    type: UNREGISTERED,
    status: 'Slot Available',
    notes:
      'Online booking b-1: could not match Jane Doe, born 01/06/1990, NHS number 9990000999 (no EMIS record ' +
      'matches). Reason: Sore knee. Please register or find the patient and book them into this slot.',
    patient: undefined,
  });
  t.same(
    sandbox.calls.map((c) => c.operation).slice(0, 5),
    ['Token', 'GetMatchedPatients', 'GetSlotsForSession', 'SetSlotType', 'SetSlotNotes'],
    'read the slot, then SetSlotType and SetSlotNotes; never BookAppointment',
  );
  t.same(ctx.logs, [
    {
      level: 'info',
      obj: { bookingId: 'b-1', slotId },
      msg: 'EMIS slot held for a patient EMIS could not match',
    },
  ]);
  t.notMatch(JSON.stringify(ctx.logs), /Jane|Doe|1990|9990000999|Sore knee/, 'the note is never logged');
});

t.test(
  'an ambiguous patient (two John Smiths) is held too; without the slot type it is refused',
  async (t) => {
    const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
    const slotId = freeSlots[0]!.slotId;
    t.match(await failure(emisPlugin.onBookingWrite(ctx, bookOrHold(slotRef(slotId), johnSmith, null))), {
      kind: 'patient_not_matched',
      code: 'EMIS_ERR_PATIENT_MULTIPLE_MATCHES',
      details: { matches: 2 },
    });
    t.same(await emisPlugin.onBookingWrite(ctx, bookOrHold(slotRef(slotId), johnSmith, UNREGISTERED)), {
      ehrBookingRef: `hold:${slotId}`,
      heldForReconciliation: true,
    });
    t.same(await emisSlot(sandbox, slotId), {
      type: UNREGISTERED,
      status: 'Slot Available',
      notes:
        'Online booking b-1: could not match John Smith, born 01/01/1970 (2 EMIS records match). Reason: Sore ' +
        'knee. Please register or find the patient and book them into this slot.',
      patient: undefined,
    });
  },
);

t.test('a matched patient is booked as before even when the slot type is set', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  t.same(await emisPlugin.onBookingWrite(ctx, bookOrHold(slotRef(slotId), alice, UNREGISTERED)), {
    ehrBookingRef: `${slotId}:9001`,
  });
  t.match(sandbox.diary.slot(slotId), { status: 'Booked', slotTypeId: '11', patientNumber: 9001 });
});

t.test('a hold written again (a retry) is harmless, also after a half-done first attempt', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  const command = bookOrHold(slotRef(slotId), jane, UNREGISTERED);
  const held = { ehrBookingRef: `hold:${slotId}`, heldForReconciliation: true };
  sandbox.faults.add({ operation: 'SetSlotNotes', kind: 'error', status: 503 });
  t.match(await failure(emisPlugin.onBookingWrite(ctx, command)), {
    kind: 'transient',
    code: 'EMIS_ERR_SERVER',
  });
  t.match(sandbox.diary.slot(slotId), { slotTypeId: UNREGISTERED }, 'the type was set, the note was not');
  sandbox.calls.length = 0;
  t.same(await emisPlugin.onBookingWrite(ctx, command), held);
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['GetMatchedPatients', 'GetSlotsForSession', 'SetSlotNotes'],
    'the retry writes only the note',
  );
  const noted = await emisSlot(sandbox, slotId);
  sandbox.calls.length = 0;
  t.same(await emisPlugin.onBookingWrite(ctx, command), held);
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['GetMatchedPatients', 'GetSlotsForSession'],
    'a slot already held for this booking is left as it is',
  );
  t.same(await emisSlot(sandbox, slotId), noted);
});

t.test('cancelling a hold restores the slot; again is harmless', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const slotId = freeSlots[0]!.slotId;
  const slot = slotRef(slotId);
  const { ehrBookingRef } = await emisPlugin.onBookingWrite(ctx, bookOrHold(slot, jane, UNREGISTERED));
  sandbox.calls.length = 0;
  t.same(await emisPlugin.onBookingWrite(ctx, cancelOf(slot, ehrBookingRef, jane)), { ehrBookingRef });
  t.same(await emisSlot(sandbox, slotId), {
    type: '11',
    status: 'Slot Available',
    notes: '',
    patient: undefined,
  });
  t.same(
    sandbox.calls.map((c) => c.operation).slice(0, 3),
    ['GetSlotsForSession', 'SetSlotType', 'SetSlotNotes'],
    'the slot type back and the note cleared, never CancelAppointment',
  );
  sandbox.calls.length = 0;
  t.same(await emisPlugin.onBookingWrite(ctx, cancelOf(slot, ehrBookingRef, jane)), { ehrBookingRef });
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['GetSlotsForSession'],
    'nothing left to restore',
  );
  sandbox.diary.deleteSession(sandbox.diary.slot(slotId)!.sessionId);
  t.same(
    await emisPlugin.onBookingWrite(ctx, cancelOf(slot, ehrBookingRef, jane)),
    { ehrBookingRef },
    'a slot gone from EMIS has nothing to restore',
  );
});

t.test(
  'reception books the patient into the held slot: EMIS shows it Booked; cancel then frees it',
  async (t) => {
    const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
    const slotId = freeSlots[0]!.slotId;
    const slot = slotRef(slotId);
    const { ehrBookingRef } = await emisPlugin.onBookingWrite(ctx, bookOrHold(slot, jane, UNREGISTERED));
    const response = await fetch(`${sandbox.url}/_sandbox/reception/book`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slotId, patientNumber: 9002 }),
    });
    t.equal(response.status, 204);
    t.match(await emisSlot(sandbox, slotId), { type: UNREGISTERED, status: 'Booked', patient: 9002 });

    // The core's next sync counts the booking confirmed; the patient then cancels it online.
    sandbox.calls.length = 0;
    t.same(await emisPlugin.onBookingWrite(ctx, cancelOf(slot, ehrBookingRef, jane)), { ehrBookingRef });
    t.same(
      sandbox.calls.map((c) => c.operation),
      ['GetSlotsForSession', 'CancelAppointment', 'SetSlotType'],
      'the appointment reception made is cancelled and the slot type restored',
    );
    t.same(await emisSlot(sandbox, slotId), {
      type: '11',
      status: 'Slot Available',
      notes: '',
      patient: undefined,
    });

    await emisPlugin.onBookingWrite(ctx, bookOrHold(slot, jane, UNREGISTERED));
    sandbox.diary.receptionBook(slotId, 9002, 'At the desk');
    sandbox.diary.setAppointmentStatus(slotId, 'Arrived');
    t.match(await failure(emisPlugin.onBookingWrite(ctx, cancelOf(slot, ehrBookingRef, jane))), {
      kind: 'rejected',
      code: 'EMIS_ERR_APPOINTMENT_IN_PROGRESS',
    });
    t.match(sandbox.diary.slot(slotId), { status: 'Arrived', patientNumber: 9002, slotTypeId: UNREGISTERED });
  },
);

t.test('a slot taken before it could be held is slot_taken; a missing slot type is rejected', async (t) => {
  const { sandbox, ctx, slotRef, freeSlots } = await demoPractice(t);
  const taken = freeSlots[0]!.slotId;
  sandbox.diary.receptionBook(taken, 9002, 'At the desk');
  t.same(await failure(emisPlugin.onBookingWrite(ctx, bookOrHold(slotRef(taken), jane, UNREGISTERED))), {
    kind: 'slot_taken',
    code: 'EMIS_ERR_SLOT_NOT_AVAILABLE',
    message: 'The slot to hold is no longer free in EMIS',
    fix: 'The slot was booked, blocked or embargoed in EMIS meanwhile. Offer the patient another time.',
    details: { slotId: taken, status: 'Booked' },
  });
  t.match(
    sandbox.diary.slot(taken),
    { slotTypeId: '11', patientNumber: 9002 },
    'the reception booking is untouched',
  );

  const free = freeSlots[1]!.slotId;
  t.match(await failure(emisPlugin.onBookingWrite(ctx, bookOrHold(slotRef(free), jane, '99'))), {
    kind: 'rejected',
    code: 'EMIS_ERR_UNREGISTERED_SLOT_TYPE_NOT_FOUND',
    details: { slotTypeId: '99' },
  });
  t.match(sandbox.diary.slot(free), { slotTypeId: '11', status: 'Slot Available' });

  const gone = slotRef(freeSlots[2]!.slotId);
  sandbox.diary.deleteSession(Number(gone.ehrSessionId));
  t.match(await failure(emisPlugin.onBookingWrite(ctx, bookOrHold(gone, jane, UNREGISTERED))), {
    kind: 'slot_taken',
    code: 'EMIS_ERR_SLOT_NOT_FOUND',
  });
});
