/**
 * A free-slot searchset bundle read into the plugin's model: each Slot with its Schedule, the
 * schedule's Practitioner and Location, the slot type (derived from `serviceType` text and the
 * delivery channel: GP Connect has no slot-type list), and UTC instants from the offsets given.
 * Nothing the plugin needs is dropped; a slot whose schedule or times cannot be read is reported
 * in `unreadable` (never silently lost).
 */
import {
  type Bundle,
  EXTENSION,
  extensionOf,
  idOfReference,
  type Location,
  type Organization,
  type Practitioner,
  type Resource,
  type Schedule,
  type Slot,
} from './fhir.ts';
import { parseFhirDateTime } from './fhir-time.ts';

export interface SearchedSlot {
  id: string;
  versionId: string | null;
  scheduleId: string;
  practitionerId: string | null;
  locationId: string | null;
  slotTypeId: string;
  slotTypeName: string;
  serviceType: string;
  deliveryChannel: string | null;
  serviceCategory: string | null;
  start: Date;
  end: Date;
  /** The provider's own text, kept to rebuild the booking request in the provider's local offset. */
  startText: string;
  endText: string;
  status: string;
}

export interface CataloguePractitioner {
  id: string;
  name: string;
  gender: string | null;
  role: string | null;
  sdsUserId: string | null;
}

export interface CatalogueLocation {
  id: string;
  name: string;
  managingOrganizationId: string | null;
}

export interface SlotSearchResult {
  slots: SearchedSlot[];
  schedules: Map<string, Schedule>;
  practitioners: Map<string, CataloguePractitioner>;
  locations: Map<string, CatalogueLocation>;
  organizations: Organization[];
  /** Slots left out because their schedule or times could not be read: id and why. */
  unreadable: { id: string | null; why: string }[];
}

/** A stable slot-type id of a service type text and delivery channel: `general-gp-appointment~in-person`. */
export function slotTypeIdOf(serviceType: string, deliveryChannel: string | null): string {
  const slug = (text: string) =>
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'unnamed';
  return deliveryChannel ? `${slug(serviceType)}~${slug(deliveryChannel)}` : slug(serviceType);
}

export function slotTypeNameOf(serviceType: string, deliveryChannel: string | null): string {
  return deliveryChannel ? `${serviceType} (${deliveryChannel})` : serviceType;
}

function practitionerName(p: Practitioner): string {
  const name = p.name?.[0];
  if (!name) return `Practitioner ${p.id}`;
  const parts = [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? ''].filter((x) => x);
  return parts.join(' ') || name.text || `Practitioner ${p.id}`;
}

function resourcesOf<R extends Resource>(bundle: Bundle, type: string): R[] {
  return (bundle.entry ?? []).map((e) => e?.resource).filter((r) => r?.resourceType === type) as R[];
}

export function readSlotBundle(bundle: Bundle): SlotSearchResult {
  const schedules = new Map(
    resourcesOf<Schedule>(bundle, 'Schedule')
      .filter((s) => typeof s.id === 'string')
      .map((s) => [s.id!, s]),
  );
  const practitioners = new Map<string, CataloguePractitioner>();
  for (const p of resourcesOf<Practitioner>(bundle, 'Practitioner')) {
    if (typeof p.id !== 'string') continue;
    practitioners.set(p.id, {
      id: p.id,
      name: practitionerName(p),
      gender: typeof p.gender === 'string' ? p.gender : null,
      role: null,
      sdsUserId: p.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/sds-user-id')?.value ?? null,
    });
  }
  const locations = new Map<string, CatalogueLocation>();
  for (const l of resourcesOf<Location>(bundle, 'Location')) {
    if (typeof l.id !== 'string') continue;
    locations.set(l.id, {
      id: l.id,
      name: l.name ?? `Location ${l.id}`,
      managingOrganizationId: idOfReference(l.managingOrganization?.reference, 'Organization'),
    });
  }
  const slots: SearchedSlot[] = [];
  const unreadable: SlotSearchResult['unreadable'] = [];
  for (const slot of resourcesOf<Slot>(bundle, 'Slot')) {
    const id = typeof slot.id === 'string' ? slot.id : null;
    const scheduleId = idOfReference(slot.schedule?.reference, 'Schedule');
    const start = parseFhirDateTime(slot.start);
    const end = parseFhirDateTime(slot.end);
    if (id === null || scheduleId === null || start === null || end === null || end <= start) {
      unreadable.push({ id, why: 'the slot has no id, schedule, or valid start and end' });
      continue;
    }
    const schedule = schedules.get(scheduleId);
    const actors = schedule?.actor?.map((a) => a.reference) ?? [];
    const practitionerId =
      actors.map((r) => idOfReference(r, 'Practitioner')).find((x) => x !== null) ?? null;
    const locationId = actors.map((r) => idOfReference(r, 'Location')).find((x) => x !== null) ?? null;
    const role = schedule
      ? extensionOf(schedule, EXTENSION.PRACTITIONER_ROLE)?.valueCodeableConcept
      : undefined;
    const practitioner = practitionerId ? practitioners.get(practitionerId) : undefined;
    if (practitioner && role?.coding?.[0]?.display && practitioner.role === null) {
      practitioner.role = role.coding[0].display;
    }
    const serviceType =
      slot.serviceType?.find((s) => typeof s.text === 'string')?.text?.trim() || 'Appointment';
    const deliveryChannel = extensionOf(slot, EXTENSION.DELIVERY_CHANNEL)?.valueCode ?? null;
    slots.push({
      id,
      versionId: slot.meta?.versionId ?? null,
      scheduleId,
      practitionerId,
      locationId,
      slotTypeId: slotTypeIdOf(serviceType, deliveryChannel),
      slotTypeName: slotTypeNameOf(serviceType, deliveryChannel),
      serviceType,
      deliveryChannel,
      serviceCategory: schedule?.serviceCategory?.text ?? null,
      start,
      end,
      startText: slot.start,
      endText: slot.end,
      status: slot.status,
    });
  }
  return {
    slots,
    schedules,
    practitioners,
    locations,
    organizations: resourcesOf<Organization>(bundle, 'Organization'),
    unreadable,
  };
}
