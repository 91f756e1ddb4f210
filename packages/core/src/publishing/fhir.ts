/**
 * The FHIR R4 resources of SMART Scheduling Links (specification.md of
 * smart-on-fhir/smart-scheduling-links): a Location per practice, a Schedule per appointment
 * type the practice offers, a Slot per offered slot. Built from our own records only: no
 * patient, no booking, no practitioner is ever in them.
 */
import type { Practice } from '../db/schema.ts';
import type { OfferedSlot } from '../offers/offers.ts';
import { instantToLocalIso } from '../time.ts';
import { bookingLink, type PublishingSettings } from './settings.ts';

export const SMART_EXTENSION = {
  bookingDeepLink: 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link',
  bookingPhone: 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone',
} as const;
/** FHIR's core extension naming a Location's IANA time zone. */
export const TIMEZONE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/timezone';
/** NHS England's identifier system of ODS organisation codes. */
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** The code system of our appointment types: each practice's own (its id names the code). */
export const APPOINTMENT_TYPE_SYSTEM = 'urn:slotbridge:appointment-type';

type Json = Record<string, unknown>;

/** The Location of a practice: its id is the practice id. */
export function locationResource(practice: Practice, settings: PublishingSettings): Json {
  const telecom: Json[] = [];
  const phone = settings.phone ?? settings.bookingPhone;
  if (phone !== null) telecom.push({ system: 'phone', value: phone });
  if (settings.website !== null) telecom.push({ system: 'url', value: settings.website });
  const identifier: Json[] = [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${practice.id}` }];
  if (practice.ods_code !== null) identifier.push({ system: ODS_SYSTEM, value: practice.ods_code });
  const address = settings.address;
  return {
    resourceType: 'Location',
    id: practice.id,
    extension: [{ url: TIMEZONE_EXTENSION, valueCode: practice.time_zone }],
    identifier,
    status: 'active',
    name: practice.name,
    ...(telecom.length > 0 && { telecom }),
    ...(address !== null && {
      address: {
        use: 'work',
        line: address.line,
        city: address.city,
        ...(address.district !== undefined && { district: address.district }),
        postalCode: address.postalCode,
        ...(address.country !== undefined && { country: address.country }),
      },
    }),
  };
}

export interface PublishedAppointmentType {
  id: string;
  name: string;
  durationMinutes: number;
}

/** The Schedule of one appointment type at a practice: its id is the appointment type's id. */
export function scheduleResource(
  practice: Practice,
  settings: PublishingSettings,
  type: PublishedAppointmentType,
): Json {
  const coding: Json[] = [{ system: APPOINTMENT_TYPE_SYSTEM, code: type.id, display: type.name }];
  if (settings.serviceType !== null) coding.unshift({ ...settings.serviceType });
  return {
    resourceType: 'Schedule',
    id: type.id,
    active: true,
    serviceType: [{ coding, text: type.name }],
    actor: [{ reference: `Location/${practice.id}`, display: practice.name }],
    comment: `${type.name}, ${type.durationMinutes} minutes, at ${practice.name}`,
  };
}

/** A free Slot: times with the practice's offset, its Schedule, and how to book it. */
export function slotResource(practice: Practice, settings: PublishingSettings, slot: OfferedSlot): Json {
  const start = instantToLocalIso(slot.startAt, practice.time_zone);
  const extension: Json[] = [];
  if (settings.bookingLinkTemplate !== null) {
    extension.push({
      url: SMART_EXTENSION.bookingDeepLink,
      valueUrl: bookingLink(settings.bookingLinkTemplate, {
        slotId: slot.id,
        practiceId: practice.id,
        appointmentTypeId: slot.appointmentType.id,
        start,
      }),
    });
  }
  if (settings.bookingPhone !== null) {
    extension.push({ url: SMART_EXTENSION.bookingPhone, valueString: settings.bookingPhone });
  }
  return {
    resourceType: 'Slot',
    id: slot.id,
    ...(extension.length > 0 && { extension }),
    schedule: { reference: `Schedule/${slot.appointmentType.id}` },
    status: 'free',
    start,
    end: instantToLocalIso(slot.endAt, practice.time_zone),
  };
}
