/**
 * onBookingWrite against the sandbox: bookings land in the SystmOne diary, a taken slot is
 * slot_taken, cancel frees the slot, patients who do not match one record are
 * patient_not_matched, and a retried write is not a second booking.
 */
import type { BookingWriteCommand, EhrSlot, PatientDetails } from '@slotbridge/core';
import { DateTime } from 'luxon';
import t from 'tap';
import { SYSTMONE_ERRORS } from '../src/errors.ts';
import { DEMO_PATIENTS, DEMO_PLACEHOLDER_NHS_NUMBER } from '../src/sandbox/index.ts';
import { systmonePlugin } from '../src/systmone-plugin.ts';
import { contextFor, failure, SMALL_DIARY, startSandbox } from './fixtures.ts';

const london = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' }).toJSDate();

/** The demo practice on Mon 2 Feb 2026, and its free Routine GP slots as the sync sees them. */
async function demoPractice(t: Parameters<typeof startSandbox>[0]) {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  const ctx = contextFor(sandbox.connection());
  const { slots } = await systmonePlugin.onSlotFetch(ctx, {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-03T00:00'),
    slotTypeIds: ['Routine GP'],
  });
  sandbox.calls.length = 0;
  /** The diary slot a synced slot is. */
  const diarySlotOf = (slot: EhrSlot) =>
    sandbox.diary
      .day('2026-02-02')
      .filter((c) => c.userName === slot.ehrPractitionerId && c.siteName === slot.ehrLocationId)
      .flatMap((c) => c.slots)
      .find(
        (s) =>
          DateTime.fromISO(s.dateTimeStart, { zone: 'Europe/London' }).toMillis() === slot.startAt.getTime(),
      )!;
  return { sandbox, ctx, slots, diarySlotOf };
}

const alice: PatientDetails = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

function book(slot: EhrSlot, patient: PatientDetails, bookingId = 'b-1'): BookingWriteCommand {
  return {
    kind: 'book',
    bookingId,
    slot,
    targetEhrSlotTypeId: null,
    patient,
    reason: 'Sore knee',
    note: 'Booked online',
  };
}

function cancel(
  slot: EhrSlot,
  ehrBookingRef: string,
  patient: PatientDetails,
  bookingId = 'b-1',
): BookingWriteCommand {
  return { kind: 'cancel', bookingId, slot, ehrBookingRef, patient, reason: null };
}

t.test('a booking matched by name and date of birth lands in the SystmOne diary', async (t) => {
  const { sandbox, ctx, slots, diarySlotOf } = await demoPractice(t);
  const slot = slots[0]!;
  const { ehrBookingRef } = await systmonePlugin.onBookingWrite(ctx, book(slot, alice));
  t.match(ehrBookingRef, /^5e1a0000-/);
  t.same(sandbox.diary.appointment(ehrBookingRef), {
    appointmentUid: ehrBookingRef,
    nhsNumber: '9990000018',
    slotRef: diarySlotOf(slot).slotRef,
    status: 'Booked',
    comments: 'Sore knee - Booked online [slotbridge b-1]',
    bookedBy: 'api',
  });
  t.match(diarySlotOf(slot), { state: 'booked', appointmentUid: ehrBookingRef });
  t.same(
    sandbox.calls.map((c) => `${c.function} ${c.outcome}`),
    ['PatientSearch response', 'UpdatePatientRecord response'],
  );
  t.notMatch(
    JSON.stringify(ctx.logs),
    /Alice|Jones|1984-02-29|29\/02\/1984|9990000018|sandbox-api-key/,
    'no patient data or key in logs',
  );
  const { slots: after } = await systmonePlugin.onSlotFetch(ctx, {
    from: london('2026-02-02T00:00'),
    to: london('2026-02-03T00:00'),
    slotTypeIds: ['Routine GP'],
  });
  t.notOk(
    after.some((s) => s.ehrSlotId === slot.ehrSlotId),
    'the booked slot is no longer offered',
  );
});

t.test('a given NHS number is checked against the date of birth before booking', async (t) => {
  const { sandbox, ctx, slots, diarySlotOf } = await demoPractice(t);
  await systmonePlugin.onBookingWrite(ctx, book(slots[0]!, { ...alice, nhsNumber: '999 000 0018' }));
  t.match(diarySlotOf(slots[0]!), { nhsNumber: '9990000018' });
  t.same(sandbox.calls[0]?.function, 'PatientSearch');

  t.same(
    await failure(systmonePlugin.onBookingWrite(ctx, book(slots[1]!, { ...alice, nhsNumber: '9990000026' }))),
    {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_PATIENT_NOT_FOUND',
      message: 'No SystmOne patient has this NHS number and date of birth',
      fix: SYSTMONE_ERRORS.SYSTMONE_ERR_PATIENT_NOT_FOUND.fix,
      details: { matches: 0 },
    },
  );
  t.same(
    await failure(systmonePlugin.onBookingWrite(ctx, book(slots[1]!, { ...alice, nhsNumber: '9990000019' }))),
    {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_NHS_NUMBER_INVALID',
      message: 'The NHS number is not a valid NHS number',
      fix: SYSTMONE_ERRORS.SYSTMONE_ERR_NHS_NUMBER_INVALID.fix,
      details: undefined,
    },
  );
  t.match(diarySlotOf(slots[1]!), { state: 'free' }, 'nothing was booked');
});

t.test(
  'patients that do not match exactly one record with an NHS number are patient_not_matched',
  async (t) => {
    const { sandbox, ctx, slots } = await demoPractice(t);
    const slot = slots[0]!;
    t.same(await failure(systmonePlugin.onBookingWrite(ctx, book(slot, { ...alice, firstName: 'Alicia' }))), {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_PATIENT_NO_MATCH',
      message: 'No SystmOne patient matches the name and date of birth',
      fix: SYSTMONE_ERRORS.SYSTMONE_ERR_PATIENT_NO_MATCH.fix,
      details: { matches: 0 },
    });
    const john: PatientDetails = { firstName: 'John', lastName: 'Smith', dateOfBirth: '1970-01-01' };
    t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slot, john))), {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_PATIENT_MULTIPLE_MATCHES',
      details: { matches: 2 },
    });
    const eva: PatientDetails = { firstName: 'Eva', lastName: 'Novak', dateOfBirth: '1991-09-09' };
    t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slot, eva))), {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_PATIENT_NO_NHS_NUMBER',
    });
    t.same(
      sandbox.calls.map((c) => c.function),
      ['PatientSearch', 'PatientSearch', 'PatientSearch'],
      'nothing was written',
    );
    await systmonePlugin.onBookingWrite(ctx, book(slot, { ...john, nhsNumber: '9990000069' }));
    const chloe: PatientDetails = { firstName: 'chloe', lastName: "O'Neill", dateOfBirth: '1999-07-15' };
    t.match(await systmonePlugin.onBookingWrite(ctx, book(slots[1]!, chloe, 'b-2')), {
      ehrBookingRef: /^5e1a/,
    });
  },
);

t.test('booking a slot taken in SystmOne is slot_taken', async (t) => {
  const { sandbox, ctx, slots, diarySlotOf } = await demoPractice(t);
  const slot = slots[0]!;
  sandbox.diary.receptionBook(diarySlotOf(slot).slotRef, '9990000026');
  t.same(await failure(systmonePlugin.onBookingWrite(ctx, book(slot, alice))), {
    kind: 'slot_taken',
    code: 'SYSTMONE_ERR_SLOT_NOT_AVAILABLE',
    message: 'SystmOne refused UpdatePatientRecord: The slot is not available',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_SLOT_NOT_AVAILABLE.fix,
    details: { function: 'UpdatePatientRecord', errorMessage: 'The slot is not available' },
  });
  t.match(diarySlotOf(slot), { nhsNumber: '9990000026' }, 'the reception booking stands');
  sandbox.diary.setSlotBlocked(diarySlotOf(slots[1]!).slotRef, true);
  t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slots[1]!, alice, 'b-2'))), {
    kind: 'slot_taken',
  });
  sandbox.setSlotTypeBookable('Routine GP', false);
  t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slots[2]!, alice, 'b-3'))), {
    kind: 'rejected',
    code: 'SYSTMONE_ERR_SLOT_TYPE_NOT_BOOKABLE',
  });
});

t.test('a retried booking (the answer was lost) reuses its RequestUID and is not booked twice', async (t) => {
  const { sandbox, ctx, slots } = await demoPractice(t);
  const first = await systmonePlugin.onBookingWrite(ctx, book(slots[0]!, alice));
  t.same(await systmonePlugin.onBookingWrite(ctx, book(slots[0]!, alice)), first);
  t.equal(sandbox.diary.appointments().filter((a) => a.bookedBy === 'api').length, 1);
  const uids = sandbox.calls.filter((c) => c.function === 'UpdatePatientRecord').map((c) => c.requestUid);
  t.equal(uids[0], uids[1]);
  t.match(uids[0], /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

t.test('cancel frees the slot; cancelling again is harmless; a seen patient is not cancelled', async (t) => {
  const { sandbox, ctx, slots, diarySlotOf } = await demoPractice(t);
  const slot = slots[0]!;
  const { ehrBookingRef } = await systmonePlugin.onBookingWrite(ctx, book(slot, alice));
  t.same(await systmonePlugin.onBookingWrite(ctx, cancel(slot, ehrBookingRef, alice)), { ehrBookingRef });
  t.match(sandbox.diary.appointment(ehrBookingRef), { status: 'Cancelled' });
  t.match(diarySlotOf(slot), { state: 'free', appointmentUid: null });
  t.same(
    await systmonePlugin.onBookingWrite(ctx, cancel(slot, ehrBookingRef, alice, 'b-other')),
    { ehrBookingRef },
    'already cancelled counts as cancelled',
  );
  t.ok(ctx.logs.some((l) => l.msg === 'SystmOne appointment already cancelled or gone'));

  const again = await systmonePlugin.onBookingWrite(ctx, book(slot, alice, 'b-2'));
  sandbox.diary.setAppointmentStatus(again.ehrBookingRef, 'Arrived');
  t.same(await failure(systmonePlugin.onBookingWrite(ctx, cancel(slot, again.ehrBookingRef, alice, 'b-2'))), {
    kind: 'rejected',
    code: 'SYSTMONE_ERR_APPOINTMENT_IN_PROGRESS',
    message: `SystmOne refused UpdatePatientRecord: Appointment ${again.ehrBookingRef} cannot be cancelled: it is Arrived`,
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_APPOINTMENT_IN_PROGRESS.fix,
    details: {
      function: 'UpdatePatientRecord',
      errorMessage: `Appointment ${again.ehrBookingRef} cannot be cancelled: it is Arrived`,
    },
  });
});

t.test(
  'a slot that does not name a SystmOne clinic, or no longer matches its id, is refused unsent',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seed(SMALL_DIARY);
    const ctx = contextFor(sandbox.connection());
    const { slots } = await systmonePlugin.onSlotFetch(ctx, {
      from: london('2026-02-02T00:00'),
      to: london('2026-02-03T00:00'),
      slotTypeIds: ['Routine GP'],
    });
    const slot = slots[0]!;
    const broken: EhrSlot[] = [
      { ...slot, ehrSessionId: null },
      { ...slot, ehrSessionId: '1001' },
      { ...slot, ehrLocationId: 'Hillview Branch Surgery' },
      { ...slot, endAt: new Date(slot.endAt.getTime() + 5 * 60_000) },
      { ...slot, ehrSlotId: 'tpp1-someotherslotxxxxxxxxx' },
    ];
    for (const ref of broken) {
      t.same(await failure(systmonePlugin.onBookingWrite(ctx, book(ref, alice))), {
        kind: 'rejected',
        code: 'SYSTMONE_ERR_SLOT_REF_INVALID',
        message: 'The slot does not name a SystmOne clinic and slot that match its id',
        fix: SYSTMONE_ERRORS.SYSTMONE_ERR_SLOT_REF_INVALID.fix,
        details: { ehrSlotId: ref.ehrSlotId },
      });
    }
    const zoneChanged = contextFor(sandbox.connection(), { timeZone: 'Europe/Paris' });
    t.match(
      await failure(systmonePlugin.onBookingWrite(zoneChanged, book(slot, alice))),
      { code: 'SYSTMONE_ERR_SLOT_REF_INVALID' },
      'synced in London, booked as Paris: 10:00 is not the slot',
    );
    t.same(
      sandbox.calls.map((c) => c.function),
      ['GetAppointmentSlots'],
    );
  },
);

t.test('SystmOne failing while booking is transient, and the retry books', async (t) => {
  const { sandbox, ctx, slots } = await demoPractice(t);
  sandbox.faults.add({ function: 'UpdatePatientRecord', kind: 'drop' });
  t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slots[0]!, alice))), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_CONNECTION_DROPPED',
  });
  sandbox.faults.add({ function: 'UpdatePatientRecord', kind: 'error' });
  t.match(await failure(systmonePlugin.onBookingWrite(ctx, book(slots[0]!, alice))), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_SYSTMONE_UNAVAILABLE',
  });
  t.match(await systmonePlugin.onBookingWrite(ctx, book(slots[0]!, alice)), { ehrBookingRef: /^5e1a/ });
});

t.test(
  'the booking features slot type cannot be applied: the booking keeps the slot type, and says so',
  async (t) => {
    const { sandbox, ctx, slots, diarySlotOf } = await demoPractice(t);
    const command = { ...book(slots[0]!, alice), targetEhrSlotTypeId: 'Telephone Consultation' };
    await systmonePlugin.onBookingWrite(ctx, command);
    t.match(diarySlotOf(slots[0]!), { state: 'booked', slotType: 'Routine GP' });
    t.same(ctx.logs.at(-1), {
      level: 'info',
      obj: { bookingId: 'b-1' },
      msg: 'SystmOne cannot change a slot type through the Client Integration API: the slot keeps its type',
    });
    t.equal(sandbox.calls.length, 2);
  },
);

/** The demo practice with the placeholder patient set in the connection. */
async function heldPractice(t: Parameters<typeof startSandbox>[0]) {
  const practice = await demoPractice(t);
  const ctx = contextFor({
    ...practice.sandbox.connection(),
    placeholderNhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
  });
  return { ...practice, ctx };
}

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;

/** The command as the core sends it when the practice has an Unregistered Patient Booking slot type. */
const holding = (command: BookingWriteCommand): BookCommand => ({
  ...(command as BookCommand),
  unregisteredSlotTypeId: 'Unregistered Patient (Online)',
});

const nobody: PatientDetails = { firstName: 'Alicia', lastName: 'Jones', dateOfBirth: '1984-02-29' };
const john: PatientDetails = { firstName: 'John', lastName: 'Smith', dateOfBirth: '1970-01-01' };

t.test(
  'a patient SystmOne cannot match is held on the placeholder patient, with a note for reception',
  async (t) => {
    const { sandbox, ctx, slots, diarySlotOf } = await heldPractice(t);
    const result = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[0]!, nobody, 'b-unmatched')));
    t.match(result, { ehrBookingRef: /^5e1a0000-/, heldForReconciliation: true });
    t.same(Object.keys(result).sort(), ['ehrBookingRef', 'heldForReconciliation']);
    t.same(sandbox.diary.appointment(result.ehrBookingRef), {
      appointmentUid: result.ehrBookingRef,
      nhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
      slotRef: diarySlotOf(slots[0]!).slotRef,
      status: 'Booked',
      comments:
        'Online booking b-unmatched: could not match Alicia Jones, born 29/02/1984. Please register or find the ' +
        'patient, then move this appointment to them.',
      bookedBy: 'api',
    });
    t.match(diarySlotOf(slots[0]!), {
      state: 'booked',
      slotType: 'Routine GP',
      nhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
    });

    const ambiguous = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[1]!, john, 'b-ambiguous')));
    t.equal(ambiguous.heldForReconciliation, true);
    t.match(sandbox.diary.appointment(ambiguous.ehrBookingRef), {
      nhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
      comments:
        'Online booking b-ambiguous: could not match John Smith, born 01/01/1970. Please register or find the ' +
        'patient, then move this appointment to them.',
    });
    t.same(
      sandbox.calls.map((c) => `${c.function} ${c.outcome}`),
      [
        'PatientSearch response',
        'UpdatePatientRecord response',
        'PatientSearch response',
        'UpdatePatientRecord response',
      ],
    );
    t.notMatch(
      JSON.stringify(ctx.logs),
      /Alicia|Jones|John|Smith|1984-02-29|29\/02\/1984|1970-01-01|01\/01\/1970|Please register|9990000093/,
      'neither the patient nor the note is logged',
    );

    const matched = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[2]!, alice, 'b-alice')));
    t.same(Object.keys(matched), ['ehrBookingRef'], 'a matched patient is booked as usual');
    t.match(sandbox.diary.appointment(matched.ehrBookingRef), { nhsNumber: '9990000018' });
  },
);

t.test(
  'without the placeholder patient or the unregistered slot type, an unmatched patient is patient_not_matched',
  async (t) => {
    const { sandbox, ctx, slots, diarySlotOf } = await heldPractice(t);
    const plain = contextFor(sandbox.connection());
    for (const [context, command] of [
      [plain, holding(book(slots[0]!, nobody))],
      [ctx, book(slots[0]!, nobody)],
      [ctx, { ...holding(book(slots[0]!, nobody)), unregisteredSlotTypeId: null }],
    ] as const) {
      t.same(await failure(systmonePlugin.onBookingWrite(context, command)), {
        kind: 'patient_not_matched',
        code: 'SYSTMONE_ERR_PATIENT_NO_MATCH',
        message: 'No SystmOne patient matches the name and date of birth',
        fix: SYSTMONE_ERRORS.SYSTMONE_ERR_PATIENT_NO_MATCH.fix,
        details: { matches: 0 },
      });
    }
    t.match(SYSTMONE_ERRORS.SYSTMONE_ERR_PATIENT_NO_MATCH.fix, /placeholder patient/);
    t.match(await failure(systmonePlugin.onBookingWrite(plain, holding(book(slots[0]!, john)))), {
      code: 'SYSTMONE_ERR_PATIENT_MULTIPLE_MATCHES',
      fix: /placeholder patient/,
    });
    t.match(
      await failure(
        systmonePlugin.onBookingWrite(ctx, holding(book(slots[0]!, { ...alice, nhsNumber: '9990000026' }))),
      ),
      { code: 'SYSTMONE_ERR_PATIENT_NOT_FOUND' },
      'a given NHS number that does not match is never held',
    );
    t.match(diarySlotOf(slots[0]!), { state: 'free' });
    t.notOk(
      sandbox.calls.some((c) => c.function === 'UpdatePatientRecord'),
      'nothing was written',
    );

    const wrong = contextFor({ ...sandbox.connection(), placeholderNhsNumber: '9990000107' });
    t.match(await failure(systmonePlugin.onBookingWrite(wrong, holding(book(slots[0]!, nobody)))), {
      kind: 'patient_not_matched',
      code: 'SYSTMONE_ERR_PLACEHOLDER_PATIENT_NOT_FOUND',
      fix: SYSTMONE_ERRORS.SYSTMONE_ERR_PLACEHOLDER_PATIENT_NOT_FOUND.fix,
    });
  },
);

t.test('a retried hold reuses its RequestUID and holds the slot once', async (t) => {
  const { sandbox, ctx, slots } = await heldPractice(t);
  const first = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[0]!, nobody)));
  t.same(await systmonePlugin.onBookingWrite(ctx, holding(book(slots[0]!, nobody))), first);
  t.equal(sandbox.diary.appointments().filter((a) => a.bookedBy === 'api').length, 1);
  const uids = sandbox.calls.filter((c) => c.function === 'UpdatePatientRecord').map((c) => c.requestUid);
  t.equal(uids.length, 2);
  t.equal(uids[0], uids[1]);
});

t.test('cancelling a held booking frees the slot', async (t) => {
  const { sandbox, ctx, slots, diarySlotOf } = await heldPractice(t);
  const { ehrBookingRef } = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[0]!, nobody)));
  t.same(await systmonePlugin.onBookingWrite(ctx, cancel(slots[0]!, ehrBookingRef, nobody)), {
    ehrBookingRef,
  });
  t.match(sandbox.diary.appointment(ehrBookingRef), {
    status: 'Cancelled',
    nhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
  });
  t.match(diarySlotOf(slots[0]!), { state: 'free', appointmentUid: null });
  t.same(
    await systmonePlugin.onBookingWrite(ctx, cancel(slots[0]!, ehrBookingRef, nobody, 'b-again')),
    { ehrBookingRef },
    'cancelling again is harmless',
  );

  // Held, then the patient registered before reception moved the appointment: the patient now
  // matches, their record has no such appointment, so the placeholder's is cancelled.
  const held = await systmonePlugin.onBookingWrite(ctx, holding(book(slots[1]!, nobody, 'b-2')));
  sandbox.calls.length = 0;
  await systmonePlugin.onBookingWrite(ctx, cancel(slots[1]!, held.ehrBookingRef, alice, 'b-2'));
  t.match(sandbox.diary.appointment(held.ehrBookingRef), { status: 'Cancelled' });
  t.match(diarySlotOf(slots[1]!), { state: 'free' });
  t.same(
    sandbox.calls.map((c) => `${c.function} ${c.outcome}`),
    ['PatientSearch response', 'UpdatePatientRecord error', 'UpdatePatientRecord response'],
  );
  t.notOk(
    ctx.logs.some(
      (l) =>
        l.msg === 'SystmOne appointment already cancelled or gone' && JSON.stringify(l.obj).includes('b-2'),
    ),
  );
});

t.test('no demo patient name finds the placeholder patient', async (t) => {
  const { sandbox } = await heldPractice(t);
  for (const patient of DEMO_PATIENTS.filter((p) => p.nhsNumber !== DEMO_PLACEHOLDER_NHS_NUMBER)) {
    const found = sandbox.diary.searchPatients({
      FirstName: patient.firstName,
      Surname: patient.surname,
      DateOfBirth: patient.dateOfBirth,
    });
    t.notOk(
      found.some((p) => p.NHSNumber === DEMO_PLACEHOLDER_NHS_NUMBER),
      patient.surname,
    );
    t.notOk(
      sandbox.diary
        .searchPatients({ FirstName: patient.firstName, Surname: patient.surname })
        .some((p) => p.NHSNumber === DEMO_PLACEHOLDER_NHS_NUMBER),
    );
  }
  t.match(sandbox.diary.searchPatients({ NHSNumber: DEMO_PLACEHOLDER_NHS_NUMBER }), [
    { Surname: 'Unregistered', FirstName: 'Online Booking' },
  ]);
});
