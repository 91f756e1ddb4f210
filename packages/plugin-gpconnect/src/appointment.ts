/**
 * The Appointment resources the plugin sends, shaped as GP Connect 1.2.7 publishes them:
 * a booking (book_appt_request), and a cancellation or amendment made by changing only the
 * allowed fields of the appointment as read (the spec advises read-then-update in place).
 */
import { DEFAULT_CONSUMER_ORGANISATION_TYPE, type GpConnectConnection } from './connection.ts';
import { type Appointment, EXTENSION, idOfReference, type Organization, PROFILE, SYSTEM } from './fhir.ts';
import { fhirDateTime } from './fhir-time.ts';

/** The spec's character limits the consumer must impose. */
export const DESCRIPTION_MAX = 100;
export const COMMENT_MAX = 500;

export interface BookingRequest {
  slotIds: string[];
  start: Date;
  end: Date;
  patientId: string;
  locationId: string;
  practitionerId: string | null;
  description: string;
  comment: string | null;
  created: Date;
  timeZone: string;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The booking organisation, contained in the appointment as `#1`. */
export function bookingOrganisation(connection: GpConnectConnection): Organization {
  return {
    resourceType: 'Organization',
    id: '1',
    meta: { profile: [PROFILE.ORGANIZATION] },
    identifier: [{ system: SYSTEM.ODS_CODE, value: connection.consumerOdsCode.trim() }],
    // The type sent as the slot search's searchFilter (the spec: the same value, or none).
    type: [
      {
        coding: [
          {
            system: SYSTEM.ORGANISATION_TYPE,
            code: connection.consumerOrganisationType?.trim() || DEFAULT_CONSUMER_ORGANISATION_TYPE,
          },
        ],
      },
    ],
    name: connection.consumerOrganisationName.trim(),
    telecom: [{ system: 'phone', value: connection.consumerOrganisationPhone.trim() }],
  };
}

export function bookingAppointment(connection: GpConnectConnection, request: BookingRequest): Appointment {
  const participants = [
    { actor: { reference: `Patient/${request.patientId}` }, status: 'accepted' },
    { actor: { reference: `Location/${request.locationId}` }, status: 'accepted' },
    ...(request.practitionerId
      ? [{ actor: { reference: `Practitioner/${request.practitionerId}` }, status: 'accepted' }]
      : []),
  ];
  return {
    resourceType: 'Appointment',
    meta: { profile: [PROFILE.APPOINTMENT] },
    contained: [bookingOrganisation(connection)],
    extension: [{ url: EXTENSION.BOOKING_ORGANISATION, valueReference: { reference: '#1' } }],
    status: 'booked',
    description: clip(request.description, DESCRIPTION_MAX),
    start: fhirDateTime(request.start, request.timeZone),
    end: fhirDateTime(request.end, request.timeZone),
    slot: request.slotIds.map((id) => ({ reference: `Slot/${id}` })),
    created: fhirDateTime(request.created, request.timeZone),
    ...(request.comment ? { comment: clip(request.comment, COMMENT_MAX) } : {}),
    participant: participants,
  };
}

/** The appointment as read, with status cancelled and the cancellation reason: nothing else changes. */
export function cancellationOf(read: Appointment, reason: string): Appointment {
  const extension = (read.extension ?? []).filter((e) => e.url !== EXTENSION.CANCELLATION_REASON);
  return {
    ...read,
    extension: [...extension, { url: EXTENSION.CANCELLATION_REASON, valueString: reason }],
    status: 'cancelled',
  };
}

/** The appointment as read, with a new description and/or comment (the fields amend may change). */
export function amendmentOf(
  read: Appointment,
  change: { description?: string; comment?: string },
): Appointment {
  return {
    ...read,
    ...(change.description === undefined ? {} : { description: clip(change.description, DESCRIPTION_MAX) }),
    ...(change.comment === undefined ? {} : { comment: clip(change.comment, COMMENT_MAX) }),
  };
}

export function patientIdOf(appointment: Appointment): string | null {
  for (const p of appointment.participant ?? []) {
    const id = idOfReference(p.actor?.reference, 'Patient');
    if (id) return id;
  }
  return null;
}

export function slotIdsOf(appointment: Appointment): string[] {
  return (appointment.slot ?? [])
    .map((s) => idOfReference(s.reference, 'Slot'))
    .filter((id): id is string => id !== null);
}
