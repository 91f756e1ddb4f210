/**
 * onBookingWrite for HS1 Exact. `book`: CreateAppointment with the patient's details (Exact
 * matches or registers the patient), which Exact inserts as Pending, then ConfirmAppointment
 * (Pending → Confirmed). Safe to retry: the booking id is the appointment's `externalRef`, so a
 * second create answers the appointment the first made. `cancel`: refused before anything is
 * sent — Exact's online booking has no cancellation; the practice cancels in Exact.
 */
import type { BookingWriteCommand, BookingWriteResult, EhrContext } from '@slotbridge/core/plugin';
import { localDateOf } from '@slotbridge/core/plugin';
import { DateTime } from 'luxon';
import type { Hs1ExactClient } from './client.ts';
import type { Hs1ExactConnection } from './connection.ts';
import { hs1Error } from './errors.ts';

type BookCommand = Extract<BookingWriteCommand, { kind: 'book' }>;

/** The appointment's note: the booking side's reason and note, within the API's 1000 characters. */
function noteOf(command: BookCommand): string {
  return [command.reason.trim(), command.note?.trim() ?? ''].filter(Boolean).join(' — ').slice(0, 1000);
}

async function book(
  client: Hs1ExactClient,
  ctx: EhrContext<Hs1ExactConnection>,
  command: BookCommand,
): Promise<BookingWriteResult> {
  const { slot, patient } = command;
  if (slot.ehrPractitionerId === null) {
    throw hs1Error('HS1_ERR_SLOT_REF_INVALID', 'The slot has no HS1 provider id', {
      details: { ehrSlotId: slot.ehrSlotId },
    });
  }
  const timeZone = ctx.practice.timeZone;
  const { appointment, created } = await client.createAppointment(
    {
      providerId: slot.ehrPractitionerId,
      reasonId: command.targetEhrSlotTypeId ?? slot.ehrSlotTypeId,
      date: localDateOf(slot.startAt, timeZone),
      startTime: DateTime.fromJSDate(slot.startAt, { zone: timeZone }).toFormat('HH:mm'),
      patient: {
        firstName: patient.firstName,
        lastName: patient.lastName,
        dateOfBirth: patient.dateOfBirth,
        ...(patient.ehrPatientId && { patientId: patient.ehrPatientId }),
      },
      note: noteOf(command),
      externalRef: command.bookingId,
    },
    ctx.signal,
  );
  if (!created) {
    ctx.log.info(
      { bookingId: command.bookingId, appointmentId: appointment.id },
      'HS1 appointment made by an earlier attempt',
    );
  }
  await client.confirmAppointment(appointment.id, ctx.signal);
  return { ehrBookingRef: appointment.id };
}

export function writeBooking(
  client: Hs1ExactClient,
  ctx: EhrContext<Hs1ExactConnection>,
  command: BookingWriteCommand,
): Promise<BookingWriteResult> {
  if (command.kind === 'cancel') {
    return Promise.reject(
      hs1Error(
        'HS1_ERR_ONLINE_CANCELLATION_UNSUPPORTED',
        'Online cancellation is not supported for HS1 Exact; the practice cancels in Exact',
        { details: { bookingId: command.bookingId } },
      ),
    );
  }
  return book(client, ctx, command);
}
