/**
 * onBookingWrite for SystmOne. `book`: the NHS number (patient-match.ts), then UpdatePatientRecord
 * with NonClinical/Appointment naming the slot by its clinic, slot type, start and duration; the
 * AppointmentUID is the booking reference. `cancel`: UpdatePatientRecord with a status change
 * naming the AppointmentUID. Each write's RequestUID is derived from the booking id, so a retry
 * after a lost answer sends the same RequestUID (the sandbox answers a repeated RequestUID with
 * its first answer: *modelled*); an appointment already cancelled or gone counts as cancelled.
 */
import { createHash } from 'node:crypto';
import type { BookingWriteCommand, BookingWriteResult, EhrContext } from '@slotbridge/core';
import type { SystmOneClient } from './client.ts';
import type { SystmOneConnection } from './connection.ts';
import { isSystmOneError, systmOneError } from './errors.ts';
import { resolveNhsNumber } from './patient-match.ts';
import { parseClinicId, slotIdOf } from './slot-id.ts';
import { systmOneTimeOf } from './systmone-time.ts';

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;
type CancelCommand = Extract<BookingWriteCommand, { kind: 'cancel' }>;

const DEFAULT_REASON = 'Online booking';

/** A UUID-shaped RequestUID that is the same for every attempt of one write of one booking. */
export function requestUidFor(write: 'book' | 'cancel', bookingId: string): string {
  const hex = createHash('sha256').update(`slotbridge:${write}:${bookingId}`).digest('hex');
  // Version 8 (custom) and the RFC 9562 variant, so it reads as a UUID.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What SystmOne reads in the appointment's Comments: the reason, the note, our reference. */
function commentsOf(command: BookCommand): string {
  const parts = [command.reason.trim() || DEFAULT_REASON, command.note?.trim()].filter(Boolean);
  return `${parts.join(' - ')} [slotbridge ${command.bookingId}]`;
}

/** The slot as SystmOne names it, rebuilt from the synced slot and checked against its id. */
function systmOneSlotOf(command: BookCommand, timeZone: string) {
  const { slot } = command;
  const clinic = parseClinicId(slot.ehrSessionId);
  const durationMinutes = (slot.endAt.getTime() - slot.startAt.getTime()) / 60_000;
  const dateTimeStart = systmOneTimeOf(slot.startAt, timeZone);
  const identity =
    clinic && slot.ehrPractitionerId === clinic.userName && slot.ehrLocationId === clinic.siteName
      ? { ...clinic, slotType: slot.ehrSlotTypeId, dateTimeStart, durationMinutes }
      : null;
  if (
    identity === null ||
    !Number.isInteger(durationMinutes) ||
    durationMinutes <= 0 ||
    slotIdOf(identity) !== slot.ehrSlotId
  ) {
    throw systmOneError(
      'SYSTMONE_ERR_SLOT_REF_INVALID',
      'The slot does not name a SystmOne clinic and slot that match its id',
      { details: { ehrSlotId: slot.ehrSlotId } },
    );
  }
  return identity;
}

async function book(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: BookCommand,
): Promise<BookingWriteResult> {
  const slot = systmOneSlotOf(command, ctx.practice.timeZone);
  const nhsNumber = await resolveNhsNumber(client, command.patient, ctx.signal);
  const target = command.targetEhrSlotTypeId;
  if (target !== null && target !== slot.slotType) {
    ctx.log.info(
      { bookingId: command.bookingId },
      'SystmOne cannot change a slot type through the Client Integration API: the slot keeps its type',
    );
  }
  const appointmentUid = await client.bookAppointment(
    {
      nhsNumber,
      comments: commentsOf(command),
      clinic: { userName: slot.userName, siteName: slot.siteName, clinicType: slot.clinicType },
      slot: {
        slotType: slot.slotType,
        dateTimeStart: slot.dateTimeStart,
        durationMinutes: slot.durationMinutes,
      },
    },
    ctx.signal,
    requestUidFor('book', command.bookingId),
  );
  return { ehrBookingRef: appointmentUid };
}

async function cancel(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: CancelCommand,
): Promise<BookingWriteResult> {
  const nhsNumber = await resolveNhsNumber(client, command.patient, ctx.signal);
  try {
    await client.cancelAppointment(
      {
        nhsNumber,
        appointmentUid: command.ehrBookingRef,
        comments: `${command.reason?.trim() || 'Cancelled online'} [slotbridge ${command.bookingId}]`,
      },
      ctx.signal,
      requestUidFor('cancel', command.bookingId),
    );
  } catch (error) {
    if (!isSystmOneError(error, 'SYSTMONE_ERR_APPOINTMENT_NOT_FOUND')) throw error;
    ctx.log.info({ bookingId: command.bookingId }, 'SystmOne appointment already cancelled or gone');
  }
  return { ehrBookingRef: command.ehrBookingRef };
}

export function writeBooking(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  return command.kind === 'book' ? book(client, ctx, command) : cancel(client, ctx, command);
}
