/**
 * onBookingWrite for SystmOne. `book`: the NHS number (patient-match.ts), then UpdatePatientRecord
 * with NonClinical/Appointment naming the slot by its clinic, slot type, start and duration; the
 * AppointmentUID is the booking reference. `cancel`: UpdatePatientRecord with a status change
 * naming the AppointmentUID. Each write's RequestUID is derived from the booking id, so a retry
 * after a lost answer sends the same RequestUID (the sandbox answers a repeated RequestUID with
 * its first answer: *modelled*); an appointment already cancelled or gone counts as cancelled.
 *
 * Holding (*modelled*): the API has no documented way to hold a slot without a patient, and a
 * slot's type is part of its identity (no slot-type change). So when a patient given without an
 * NHS number matches no record or several, the practice opted in (`unregisteredSlotTypeId`) and
 * the connection names a placeholder patient (`placeholderNhsNumber`), the slot is booked for
 * that placeholder with a note for reception, and the answer is `heldForReconciliation: true`.
 * A cancel of such a booking names the placeholder when the patient still cannot be matched.
 */
import { createHash } from 'node:crypto';
import type { BookingWriteCommand, BookingWriteResult, EhrContext, EhrError } from '@slotbridge/core/plugin';
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

/** Matching failures a placeholder booking stands in for: no NHS number given, none or several found. */
function isUnmatched(error: unknown): error is EhrError {
  return isSystmOneError(error, 'SYSTMONE_ERR_PATIENT_NO_MATCH', 'SYSTMONE_ERR_PATIENT_MULTIPLE_MATCHES');
}

/** The placeholder patient's NHS number from the connection, or null when none is set. */
function placeholderOf(connection: SystmOneConnection): string | null {
  const digits = connection.placeholderNhsNumber?.replace(/[\s-]/g, '') ?? '';
  return digits === '' ? null : digits;
}

/** dd/mm/yyyy, as reception reads dates of birth. */
function ukDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-');
  return year && month && day ? `${day}/${month}/${year}` : isoDate;
}

/** The note for reception on a held appointment. Patient data: it goes to SystmOne only, never to logs. */
export function holdCommentsOf(command: BookCommand): string {
  const { patient } = command;
  const nhsNumber = patient.nhsNumber?.trim() ? `, NHS number ${patient.nhsNumber.trim()}` : '';
  return (
    `Online booking ${command.bookingId}: could not match ${patient.firstName.trim()} ${patient.lastName.trim()}, ` +
    `born ${ukDate(patient.dateOfBirth)}${nhsNumber}. Please register or find the patient, then move this ` +
    'appointment to them.'
  );
}

async function book(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: BookCommand,
): Promise<BookingWriteResult> {
  const slot = systmOneSlotOf(command, ctx.practice.timeZone);
  let nhsNumber: string;
  let held = false;
  try {
    nhsNumber = await resolveNhsNumber(client, command.patient, ctx.signal);
  } catch (error) {
    const placeholder = placeholderOf(ctx.connection);
    if (!isUnmatched(error) || !command.unregisteredSlotTypeId || placeholder === null) throw error;
    nhsNumber = placeholder;
    held = true;
  }
  const target = command.targetEhrSlotTypeId;
  if (target !== null && target !== slot.slotType) {
    ctx.log.info(
      { bookingId: command.bookingId },
      'SystmOne cannot change a slot type through the Client Integration API: the slot keeps its type',
    );
  }
  let appointmentUid: string;
  try {
    appointmentUid = await client.bookAppointment(
      {
        nhsNumber,
        comments: held ? holdCommentsOf(command) : commentsOf(command),
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
  } catch (error) {
    if (!held || !isSystmOneError(error, 'SYSTMONE_ERR_PATIENT_NOT_FOUND')) throw error;
    throw systmOneError(
      'SYSTMONE_ERR_PLACEHOLDER_PATIENT_NOT_FOUND',
      'SystmOne has no patient with the placeholder NHS number',
      { cause: error },
    );
  }
  if (!held) return { ehrBookingRef: appointmentUid };
  ctx.log.info(
    { bookingId: command.bookingId },
    'SystmOne slot held for a patient SystmOne could not match (booked for the placeholder patient)',
  );
  return { ehrBookingRef: appointmentUid, heldForReconciliation: true };
}

async function cancel(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: CancelCommand,
): Promise<BookingWriteResult> {
  const placeholder = placeholderOf(ctx.connection);
  let nhsNumber: string | null = null;
  try {
    nhsNumber = await resolveNhsNumber(client, command.patient, ctx.signal);
  } catch (error) {
    // A held booking: the patient still cannot be matched, so the appointment is the placeholder's.
    if (!isUnmatched(error) || placeholder === null) throw error;
  }
  // The patient's own record first; then the placeholder's, where a held booking waits until
  // reception moves it (the patient may have been registered since).
  const candidates = [nhsNumber, placeholder].filter(
    (candidate, index, all): candidate is string => candidate !== null && all.indexOf(candidate) === index,
  );
  for (const candidate of candidates) {
    try {
      await client.cancelAppointment(
        {
          nhsNumber: candidate,
          appointmentUid: command.ehrBookingRef,
          comments: `${command.reason?.trim() || 'Cancelled online'} [slotbridge ${command.bookingId}]`,
        },
        ctx.signal,
        requestUidFor('cancel', command.bookingId),
      );
      return { ehrBookingRef: command.ehrBookingRef };
    } catch (error) {
      if (isSystmOneError(error, 'SYSTMONE_ERR_APPOINTMENT_NOT_FOUND')) continue;
      const placeholderMissing =
        candidate === placeholder &&
        candidate !== nhsNumber &&
        isSystmOneError(error, 'SYSTMONE_ERR_PATIENT_NOT_FOUND');
      if (!placeholderMissing) throw error;
      // The patient's own record was asked first: nothing of theirs is left to cancel.
      if (nhsNumber !== null) break;
      throw systmOneError(
        'SYSTMONE_ERR_PLACEHOLDER_PATIENT_NOT_FOUND',
        'SystmOne has no patient with the placeholder NHS number',
        { cause: error },
      );
    }
  }
  ctx.log.info({ bookingId: command.bookingId }, 'SystmOne appointment already cancelled or gone');
  return { ehrBookingRef: command.ehrBookingRef };
}

export function writeBooking(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  return command.kind === 'book' ? book(client, ctx, command) : cancel(client, ctx, command);
}
