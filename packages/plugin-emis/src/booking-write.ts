/**
 * onBookingWrite for EMIS. `book`: find the patient number, BookAppointment as the partner user,
 * then SetSlotType when the booking features ask for another slot type. `cancel`:
 * CancelAppointment with what the booking reference holds. Both are safe to retry after a
 * timeout: a slot already booked for this very patient counts as booked, and an appointment
 * already gone from EMIS counts as cancelled.
 */
import type { BookingWriteCommand, BookingWriteResult, EhrContext } from '@slotbridge/core';
import type { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisError, isEmisError } from './errors.ts';
import { resolvePatientNumber } from './patient-match.ts';

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;
type CancelCommand = Extract<BookingWriteCommand, { kind: 'cancel' }>;

/** BookAppointment requires a reason. */
const DEFAULT_REASON = 'Online booking';

/** The booking reference: what CancelAppointment needs. */
export function bookingRefOf(slotId: number, patientNumber: number): string {
  return `${slotId}:${patientNumber}`;
}

function parseBookingRef(ref: string): { slotId: number; patientNumber: number } {
  const match = /^(\d+):(\d+)$/.exec(ref);
  if (!match)
    throw emisError(
      'EMIS_ERR_BOOKING_REF_INVALID',
      'The EMIS booking reference is not "<slotId>:<patientNumber>"',
    );
  return { slotId: Number(match[1]), patientNumber: Number(match[2]) };
}

/** Is the slot already booked for this patient (our own earlier attempt that timed out)? */
async function isBookedFor(
  client: EmisClient,
  sessionId: string | null,
  slotId: number,
  patientNumber: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (sessionId === null || !/^\d+$/.test(sessionId)) return false;
  const { slot = [] } = await client.getSlotsForSession(Number(sessionId), signal);
  const current = slot.find((s) => s.dbid === slotId);
  return current?.status === 'Booked' && current.patientList?.patient.dbid === patientNumber;
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
  const patientNumber = await resolvePatientNumber(client, command.patient, ctx.signal);
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

async function cancel(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: CancelCommand,
): Promise<BookingWriteResult> {
  const { slotId, patientNumber } = parseBookingRef(command.ehrBookingRef);
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
    ctx.log.info(
      { bookingId: command.bookingId, slotId },
      'EMIS appointment already gone: nothing to cancel',
    );
  }
  return { ehrBookingRef: command.ehrBookingRef };
}

export function writeBooking(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  return command.kind === 'book' ? book(client, ctx, command) : cancel(client, ctx, command);
}
