/**
 * onBookingWrite for GP Connect.
 *
 * `book`: the patient is found by NHS number (GP Connect's only patient search: no NHS number,
 * none found or several → patient_not_matched; a record whose date of birth differs is refused
 * too); the patient's appointments on the slot's day are read first, and one already holding this
 * slot is the answer (a repeated book after a lost answer never books twice); then POST
 * /Appointment as book_appt_request shows it. A 409 DUPLICATE_REJECTED (the slot is no longer
 * free) is checked the same way before it becomes slot_taken.
 *
 * GP Connect can neither hold a slot without a patient nor book a slot as another slot type, so
 * `unregisteredSlotTypeId` and `targetEhrSlotTypeId` are not acted on: an unmatched patient is
 * always patient_not_matched, and the slot keeps its type.
 *
 * `cancel`: read the appointment (its version), PUT it back with status cancelled and the
 * cancellation-reason extension under If-Match; a stale version is read again and retried once;
 * an appointment already cancelled or gone counts as cancelled.
 */
import type { BookingWriteCommand, BookingWriteResult, EhrContext } from '@slotbridge/core/plugin';
import { bookingAppointment, cancellationOf, slotIdsOf } from './appointment.ts';
import type { GpConnectClient } from './client.ts';
import type { GpConnectConnection } from './connection.ts';
import { gpConnectError, isGpConnectError } from './errors.ts';
import { type Appointment, SYSTEM } from './fhir.ts';
import { localDate } from './fhir-time.ts';

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;
type CancelCommand = Extract<BookingWriteCommand, { kind: 'cancel' }>;

const DEFAULT_DESCRIPTION = 'Online booking';
const DEFAULT_CANCELLATION_REASON = 'Cancelled online by the patient';
/** Appointment statuses that hold the slot (anything but cancelled or noshow/entered in error). */
const LIVE_STATUSES = new Set(['proposed', 'pending', 'booked', 'arrived', 'fulfilled']);

/** A valid NHS number: 10 digits, modulus 11 check digit. */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  const digits = [...value].map(Number);
  const sum = digits.slice(0, 9).reduce((total, digit, index) => total + digit * (10 - index), 0);
  const check = 11 - (sum % 11);
  const expected = check === 11 ? 0 : check;
  return expected !== 10 && expected === digits[9];
}

/** The provider's logical id of the patient with this NHS number (and date of birth). */
async function patientIdFor(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  patient: BookCommand['patient'],
): Promise<string> {
  const nhsNumber = patient.nhsNumber?.replace(/[\s-]/g, '') ?? '';
  if (nhsNumber === '') throw gpConnectError('GPCONNECT_ERR_PATIENT_NO_NHS_NUMBER');
  if (!isValidNhsNumber(nhsNumber)) throw gpConnectError('GPCONNECT_ERR_NHS_NUMBER_INVALID');
  const found = (await client.findPatients(nhsNumber, ctx.signal)).filter(
    (p) =>
      typeof p.id === 'string' &&
      (p.identifier ?? []).some((i) => i.system === SYSTEM.NHS_NUMBER && i.value === nhsNumber),
  );
  if (found.length === 0) throw gpConnectError('GPCONNECT_ERR_PATIENT_NOT_FOUND');
  if (found.length > 1) {
    throw gpConnectError('GPCONNECT_ERR_PATIENT_MULTIPLE', { details: { records: found.length } });
  }
  const record = found[0]!;
  if (record.birthDate && patient.dateOfBirth && record.birthDate !== patient.dateOfBirth) {
    throw gpConnectError('GPCONNECT_ERR_PATIENT_DETAILS_MISMATCH');
  }
  return record.id!;
}

/** The patient's live appointment holding this slot, if any (on the slot's local day). */
async function existingBooking(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  patientId: string,
  command: BookCommand,
): Promise<Appointment | null> {
  const zone = ctx.practice.timeZone;
  const day = localDate(command.slot.startAt, zone);
  const today = localDate(new Date(), zone);
  // GP Connect refuses a retrieval range reaching into the past; a past slot cannot be booked anyway.
  if (day < today) return null;
  const appointments = await client.patientAppointments(
    patientId,
    { fromDate: day, toDate: day },
    ctx.signal,
  );
  return (
    appointments.find(
      (a) =>
        LIVE_STATUSES.has(a.status) &&
        slotIdsOf(a).includes(command.slot.ehrSlotId) &&
        typeof a.id === 'string',
    ) ?? null
  );
}

function commentOf(command: BookCommand): string {
  const note = command.note?.trim();
  return `${note ? `${note} ` : ''}[slotbridge booking ${command.bookingId}]`;
}

async function book(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  command: BookCommand,
): Promise<BookingWriteResult> {
  const { slot } = command;
  if (!slot.ehrLocationId) {
    throw gpConnectError('GPCONNECT_ERR_SLOT_REF_INVALID', { details: { ehrSlotId: slot.ehrSlotId } });
  }
  if (command.targetEhrSlotTypeId !== null && command.targetEhrSlotTypeId !== slot.ehrSlotTypeId) {
    ctx.log.info(
      { bookingId: command.bookingId },
      'GP Connect cannot book a slot as another slot type: the slot keeps its type',
    );
  }
  // No hold for unmatched patients: GP Connect books patients only (unregisteredSlotTypeId is not used).
  const patientId = await patientIdFor(client, ctx, command.patient);

  const already = await existingBooking(client, ctx, patientId, command);
  if (already) {
    ctx.log.info({ bookingId: command.bookingId }, 'GP Connect: the patient already holds this slot');
    return { ehrBookingRef: already.id! };
  }
  const request = bookingAppointment(ctx.connection, {
    slotIds: [slot.ehrSlotId],
    start: slot.startAt,
    end: slot.endAt,
    patientId,
    locationId: slot.ehrLocationId,
    practitionerId: slot.ehrPractitionerId,
    description: command.reason.trim() || DEFAULT_DESCRIPTION,
    comment: commentOf(command),
    created: new Date(),
    timeZone: ctx.practice.timeZone,
  });
  let booked: Appointment;
  try {
    booked = (await client.bookAppointment(request, ctx.signal)).resource;
  } catch (error) {
    if (!isGpConnectError(error, 'GPCONNECT_ERR_SLOT_TAKEN')) throw error;
    // Our own earlier attempt may have landed after all (its answer lost on the way back).
    const mine = await existingBooking(client, ctx, patientId, command);
    if (mine) return { ehrBookingRef: mine.id! };
    throw error;
  }
  if (typeof booked.id !== 'string' || booked.id === '') {
    throw gpConnectError('GPCONNECT_ERR_UNEXPECTED_RESPONSE', {
      message: 'GP Connect answered the booking without an appointment id',
    });
  }
  return { ehrBookingRef: booked.id };
}

async function cancel(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  command: CancelCommand,
): Promise<BookingWriteResult> {
  const reason = command.reason?.trim() || DEFAULT_CANCELLATION_REASON;
  for (let attempt = 1; ; attempt++) {
    let read: Awaited<ReturnType<GpConnectClient['readAppointment']>>;
    try {
      read = await client.readAppointment(command.ehrBookingRef, ctx.signal);
    } catch (error) {
      if (!isGpConnectError(error, 'GPCONNECT_ERR_NOT_FOUND')) throw error;
      ctx.log.info({ bookingId: command.bookingId }, 'GP Connect appointment already gone');
      return { ehrBookingRef: command.ehrBookingRef };
    }
    if (read.resource.status === 'cancelled') {
      ctx.log.info({ bookingId: command.bookingId }, 'GP Connect appointment already cancelled');
      return { ehrBookingRef: command.ehrBookingRef };
    }
    const versionId = read.versionId ?? read.resource.meta?.versionId;
    if (!versionId) {
      throw gpConnectError('GPCONNECT_ERR_UNEXPECTED_RESPONSE', {
        message: 'GP Connect answered the appointment without a version',
      });
    }
    try {
      await client.updateAppointment(cancellationOf(read.resource, reason), versionId, 'cancel', ctx.signal);
      return { ehrBookingRef: command.ehrBookingRef };
    } catch (error) {
      if (attempt >= 2 || !isGpConnectError(error, 'GPCONNECT_ERR_VERSION_CONFLICT')) throw error;
    }
  }
}

export function writeBooking(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  return command.kind === 'book' ? book(client, ctx, command) : cancel(client, ctx, command);
}
