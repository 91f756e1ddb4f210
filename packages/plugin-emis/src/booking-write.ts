/**
 * onBookingWrite for EMIS. `book`: find the patient number, BookAppointment as the partner user,
 * then SetSlotType when the booking features ask for another slot type. When EMIS has no single
 * record for the patient and the practice has an unregistered-patient slot type (seed 002), the
 * slot is **held** instead: SetSlotType to that type and SetSlotNotes with a note for reception,
 * so the time is blocked until the practice books the right patient into it. `cancel`:
 * CancelAppointment with what the booking reference holds, or, for a hold, the slot's own type
 * back and the note cleared (after cancelling the appointment the practice booked into it). All
 * are safe to retry after a timeout: a slot already booked for this very patient counts as
 * booked, a slot already held for this booking counts as held, and an appointment or hold
 * already gone counts as cancelled.
 */
import type { BookingWriteCommand, BookingWriteResult, EhrContext } from '@slotbridge/core/plugin';
import type { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisDateOfIsoDate } from './emis-time.ts';
import { emisError, isEmisError } from './errors.ts';
import type { SessionSlot } from './partner-api.ts';
import { matchPatient, notMatchedError } from './patient-match.ts';

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;
type CancelCommand = Extract<BookingWriteCommand, { kind: 'cancel' }>;

/** BookAppointment requires a reason. */
const DEFAULT_REASON = 'Online booking';

/** The booking reference: what CancelAppointment needs. */
export function bookingRefOf(slotId: number, patientNumber: number): string {
  return `${slotId}:${patientNumber}`;
}

/** The reference of a slot held for a patient EMIS could not match. */
function holdRefOf(slotId: number): string {
  return `hold:${slotId}`;
}

type BookingRef = { held: false; slotId: number; patientNumber: number } | { held: true; slotId: number };

function parseBookingRef(ref: string): BookingRef {
  const hold = /^hold:(\d+)$/.exec(ref);
  if (hold) return { held: true, slotId: Number(hold[1]) };
  const match = /^(\d+):(\d+)$/.exec(ref);
  if (!match)
    throw emisError(
      'EMIS_ERR_BOOKING_REF_INVALID',
      'The EMIS booking reference is neither "<slotId>:<patientNumber>" nor "hold:<slotId>"',
    );
  return { held: false, slotId: Number(match[1]), patientNumber: Number(match[2]) };
}

/** How every hold note starts: what tells a slot held for this booking from any other note. */
function holdNotePrefix(bookingId: string): string {
  return `Online booking ${bookingId}:`;
}

/**
 * The note reception reads on a held slot: who the patient is, why EMIS could not match them,
 * what they booked for, and what to do. It goes to the practice's own EHR; it is never logged.
 */
function holdNoteOf(command: BookCommand, matches: number): string {
  const { firstName, lastName, dateOfBirth, nhsNumber } = command.patient;
  const who = [
    `${firstName} ${lastName}`.trim(),
    `born ${emisDateOfIsoDate(dateOfBirth)}`,
    ...(nhsNumber ? [`NHS number ${nhsNumber}`] : []),
  ].join(', ');
  const why = matches === 0 ? 'no EMIS record matches' : `${matches} EMIS records match`;
  const reason = command.reason.trim() === '' ? '' : ` Reason: ${command.reason.trim()}.`;
  return (
    `${holdNotePrefix(command.bookingId)} could not match ${who} (${why}).${reason} ` +
    'Please register or find the patient and book them into this slot.'
  );
}

/** The slot as EMIS has it now; null when it or its session is gone. */
async function currentSlot(
  client: EmisClient,
  sessionId: string | null,
  slotId: number,
  signal: AbortSignal,
): Promise<SessionSlot | null> {
  if (sessionId === null || !/^\d+$/.test(sessionId)) return null;
  try {
    const { slot = [] } = await client.getSlotsForSession(Number(sessionId), signal);
    return slot.find((s) => s.dbid === slotId) ?? null;
  } catch (error) {
    if (isEmisError(error, 'EMIS_ERR_SESSION_NOT_FOUND')) return null;
    throw error;
  }
}

/** Is the slot already booked for this patient (our own earlier attempt that timed out)? */
async function isBookedFor(
  client: EmisClient,
  sessionId: string | null,
  slotId: number,
  patientNumber: number,
  signal: AbortSignal,
): Promise<boolean> {
  const current = await currentSlot(client, sessionId, slotId, signal);
  return current?.status === 'Booked' && current.patientList?.patient.dbid === patientNumber;
}

/**
 * Holds a free slot for a patient EMIS could not match: SetSlotType to the unregistered-patient
 * slot type, then SetSlotNotes with the note for reception. A slot already held for this
 * booking is left as it is; a slot taken meanwhile is slot_taken.
 */
async function hold(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: BookCommand,
  slotId: number,
  holdSlotTypeId: string,
  matches: number,
): Promise<BookingWriteResult> {
  const current = await currentSlot(client, command.slot.ehrSessionId, slotId, ctx.signal);
  if (!current) {
    throw emisError('EMIS_ERR_SLOT_NOT_FOUND', 'The slot to hold is no longer in EMIS', {
      details: { slotId },
    });
  }
  const heldAlready =
    current.type.typeID === holdSlotTypeId && current.notes.startsWith(holdNotePrefix(command.bookingId));
  if (heldAlready) {
    ctx.log.info({ bookingId: command.bookingId, slotId }, 'EMIS slot already held by an earlier attempt');
  } else {
    if (current.status !== 'Slot Available') {
      throw emisError('EMIS_ERR_SLOT_NOT_AVAILABLE', 'The slot to hold is no longer free in EMIS', {
        details: { slotId, status: current.status },
      });
    }
    if (current.type.typeID !== holdSlotTypeId) {
      try {
        await client.setSlotType({ slotId, slotType: holdSlotTypeId }, ctx.signal);
      } catch (error) {
        if (!isEmisError(error, 'EMIS_ERR_SLOT_TYPE_NOT_FOUND')) throw error;
        throw emisError(
          'EMIS_ERR_UNREGISTERED_SLOT_TYPE_NOT_FOUND',
          'EMIS has no slot type with the unregistered-patient slot type id',
          { details: { slotTypeId: holdSlotTypeId }, cause: error },
        );
      }
    }
    await client.setSlotNotes({ slotId, slotNotes: holdNoteOf(command, matches) }, ctx.signal);
    ctx.log.info(
      { bookingId: command.bookingId, slotId },
      'EMIS slot held for a patient EMIS could not match',
    );
  }
  return { ehrBookingRef: holdRefOf(slotId), heldForReconciliation: true };
}

async function book(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: BookCommand,
): Promise<BookingWriteResult> {
  if (!/^\d+$/.test(command.slot.ehrSlotId)) {
    throw emisError('EMIS_ERR_SLOT_NOT_FOUND', 'The slot id is not an EMIS slot DBID', {
      details: { ehrSlotId: command.slot.ehrSlotId },
    });
  }
  const slotId = Number(command.slot.ehrSlotId);
  const match = await matchPatient(client, command.patient, ctx.signal);
  if (match.patientNumber === null) {
    if (!command.unregisteredSlotTypeId) throw notMatchedError(match.matches);
    return hold(client, ctx, command, slotId, command.unregisteredSlotTypeId, match.matches);
  }
  const { patientNumber } = match;
  const bookedBy = await client.userInRoleId(ctx.signal);
  try {
    await client.bookAppointment(
      {
        slotId,
        patientNumber,
        reason: command.reason.trim() || DEFAULT_REASON,
        bookedBy,
        ...(command.note ? { bookingNote: command.note } : {}),
      },
      ctx.signal,
    );
  } catch (error) {
    const ours =
      isEmisError(error, 'EMIS_ERR_SLOT_NOT_AVAILABLE') &&
      (await isBookedFor(client, command.slot.ehrSessionId, slotId, patientNumber, ctx.signal));
    if (!ours) throw error;
    ctx.log.info({ bookingId: command.bookingId, slotId }, 'EMIS slot already booked by an earlier attempt');
  }
  const target = command.targetEhrSlotTypeId;
  if (target !== null && target !== command.slot.ehrSlotTypeId) {
    await client.setSlotType({ slotId, slotType: target }, ctx.signal);
  }
  return { ehrBookingRef: bookingRefOf(slotId, patientNumber) };
}

/** CancelAppointment; an appointment already gone counts as cancelled. */
async function cancelAppointment(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  bookingId: string,
  slotId: number,
  patientNumber: number,
): Promise<void> {
  try {
    await client.cancelAppointment({ slotId, patientNumber }, ctx.signal);
  } catch (error) {
    if (isEmisError(error, 'EMIS_ERR_SLOT_NOT_AVAILABLE')) {
      throw emisError(
        'EMIS_ERR_APPOINTMENT_IN_PROGRESS',
        'EMIS will not cancel an appointment that has progressed',
        {
          details: { slotId },
          cause: error,
        },
      );
    }
    if (!isEmisError(error, 'EMIS_ERR_APPOINTMENT_NOT_FOUND', 'EMIS_ERR_SLOT_NOT_FOUND')) throw error;
    ctx.log.info({ bookingId, slotId }, 'EMIS appointment already gone: nothing to cancel');
  }
}

/**
 * Releases a hold, never CancelAppointment while it is one: the slot's own type back
 * (`command.slot.ehrSlotTypeId`, the slot as it was booked) and the hold note cleared. Once the
 * practice has booked the patient into the held slot (the core then counts the booking
 * confirmed), that appointment is cancelled first, so the slot is free and offered again.
 */
async function releaseHold(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: CancelCommand,
  slotId: number,
): Promise<BookingWriteResult> {
  const current = await currentSlot(client, command.slot.ehrSessionId, slotId, ctx.signal);
  if (!current) {
    ctx.log.info({ bookingId: command.bookingId, slotId }, 'EMIS held slot already gone: nothing to release');
    return { ehrBookingRef: command.ehrBookingRef };
  }
  const bookedPatient = current.patientList?.patient;
  if (bookedPatient) {
    await cancelAppointment(client, ctx, command.bookingId, slotId, bookedPatient.dbid);
  }
  const originalSlotTypeId = command.slot.ehrSlotTypeId;
  if (current.type.typeID !== originalSlotTypeId) {
    await client.setSlotType({ slotId, slotType: originalSlotTypeId }, ctx.signal);
  }
  if (current.notes.startsWith(holdNotePrefix(command.bookingId))) {
    await client.setSlotNotes({ slotId, slotNotes: '' }, ctx.signal);
  }
  ctx.log.info({ bookingId: command.bookingId, slotId }, 'EMIS held slot released');
  return { ehrBookingRef: command.ehrBookingRef };
}

async function cancel(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: CancelCommand,
): Promise<BookingWriteResult> {
  const ref = parseBookingRef(command.ehrBookingRef);
  if (ref.held) return releaseHold(client, ctx, command, ref.slotId);
  await cancelAppointment(client, ctx, command.bookingId, ref.slotId, ref.patientNumber);
  return { ehrBookingRef: command.ehrBookingRef };
}

export function writeBooking(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  return command.kind === 'book' ? book(client, ctx, command) : cancel(client, ctx, command);
}
