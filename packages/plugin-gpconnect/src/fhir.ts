/**
 * The GP Connect 1.2.7 wire vocabulary the plugin and its sandbox share: identifier systems,
 * profile and extension URLs, interaction ids, and the FHIR STU3 resource shapes as far as they
 * are read or written (unknown fields are kept on reads: every type is open).
 */

export const FHIR_JSON = 'application/fhir+json';

export const SYSTEM = {
  ODS_CODE: 'https://fhir.nhs.uk/Id/ods-organization-code',
  NHS_NUMBER: 'https://fhir.nhs.uk/Id/nhs-number',
  SDS_USER_ID: 'https://fhir.nhs.uk/Id/sds-user-id',
  SDS_ROLE_PROFILE_ID: 'https://fhir.nhs.uk/Id/sds-role-profile-id',
  ORGANISATION_TYPE: 'https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1',
  SDS_JOB_ROLE: 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1',
  SPINE_ERROR: 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1',
} as const;

export const PROFILE = {
  APPOINTMENT: 'https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1',
  SLOT: 'https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1',
  SCHEDULE: 'https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Schedule-1',
  ORGANIZATION: 'https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1',
  PRACTITIONER: 'https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Practitioner-1',
  LOCATION: 'https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Location-1',
  PATIENT: 'https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1',
  OPERATION_OUTCOME: 'https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1',
} as const;

export const EXTENSION = {
  BOOKING_ORGANISATION:
    'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1',
  CANCELLATION_REASON:
    'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1',
  DELIVERY_CHANNEL: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2',
  PRACTITIONER_ROLE: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1',
} as const;

/** Ssp-InteractionID of each interaction the plugin makes (GP Connect 1.2.7, integration_interaction_ids). */
export const INTERACTION = {
  READ_METADATA: 'urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1',
  SEARCH_ORGANIZATION: 'urn:nhs:names:services:gpconnect:fhir:rest:search:organization-1',
  SEARCH_PATIENT: 'urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1',
  SEARCH_SLOT: 'urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1',
  CREATE_APPOINTMENT: 'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1',
  READ_APPOINTMENT: 'urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1',
  UPDATE_APPOINTMENT: 'urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1',
  CANCEL_APPOINTMENT: 'urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1',
  SEARCH_PATIENT_APPOINTMENTS: 'urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1',
} as const;

export type Interaction = (typeof INTERACTION)[keyof typeof INTERACTION];

/** The requested_scope claim of each interaction (cross-organisation audit and provenance). */
export const SCOPE_OF: Record<Interaction, string> = {
  [INTERACTION.READ_METADATA]: 'organization/*.read',
  [INTERACTION.SEARCH_ORGANIZATION]: 'organization/*.read',
  [INTERACTION.SEARCH_SLOT]: 'organization/*.read',
  [INTERACTION.SEARCH_PATIENT]: 'patient/*.read',
  [INTERACTION.READ_APPOINTMENT]: 'patient/*.read',
  [INTERACTION.SEARCH_PATIENT_APPOINTMENTS]: 'patient/*.read',
  [INTERACTION.CREATE_APPOINTMENT]: 'patient/*.write',
  [INTERACTION.UPDATE_APPOINTMENT]: 'patient/*.write',
  [INTERACTION.CANCEL_APPOINTMENT]: 'patient/*.write',
};

export interface Reference {
  reference: string;
}
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Identifier {
  system?: string;
  value?: string;
  [key: string]: unknown;
}
export interface Extension {
  url: string;
  valueCode?: string;
  valueString?: string;
  valueReference?: Reference;
  valueCodeableConcept?: CodeableConcept;
  [key: string]: unknown;
}
export interface Meta {
  versionId?: string;
  profile?: string[];
}
export interface HumanName {
  use?: string;
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
}

export interface Resource {
  resourceType: string;
  id?: string;
  meta?: Meta;
  extension?: Extension[];
  [key: string]: unknown;
}

export interface Slot extends Resource {
  resourceType: 'Slot';
  serviceType?: CodeableConcept[];
  schedule: Reference;
  status: string;
  start: string;
  end: string;
}

export interface Schedule extends Resource {
  resourceType: 'Schedule';
  serviceCategory?: CodeableConcept;
  actor?: Reference[];
  planningHorizon?: { start?: string; end?: string };
}

export interface Practitioner extends Resource {
  resourceType: 'Practitioner';
  identifier?: Identifier[];
  name?: HumanName[];
  gender?: string;
}

export interface Location extends Resource {
  resourceType: 'Location';
  name?: string;
  managingOrganization?: Reference;
}

export interface Organization extends Resource {
  resourceType: 'Organization';
  identifier?: Identifier[];
  type?: CodeableConcept[];
  name?: string;
  telecom?: unknown;
}

export interface Patient extends Resource {
  resourceType: 'Patient';
  identifier?: Identifier[];
  name?: HumanName[];
  birthDate?: string;
  active?: boolean;
}

export interface AppointmentParticipant {
  actor: Reference;
  status: string;
}

export interface Appointment extends Resource {
  resourceType: 'Appointment';
  contained?: Resource[];
  status: string;
  serviceCategory?: CodeableConcept;
  serviceType?: CodeableConcept[];
  description?: string;
  start: string;
  end: string;
  slot: Reference[];
  created?: string;
  comment?: string;
  participant: AppointmentParticipant[];
}

export interface BundleEntry<R extends Resource = Resource> {
  fullUrl?: string;
  resource: R;
}

export interface Bundle<R extends Resource = Resource> {
  resourceType: 'Bundle';
  id?: string;
  meta?: Meta;
  type: string;
  entry?: BundleEntry<R>[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  meta?: Meta;
  issue: {
    severity: string;
    code: string;
    details?: CodeableConcept;
    diagnostics?: string;
  }[];
}

export interface CapabilityStatement extends Resource {
  resourceType: 'CapabilityStatement';
  version?: string;
  fhirVersion?: string;
  rest?: {
    mode?: string;
    resource?: { type: string; interaction?: { code: string }[]; searchInclude?: string[] }[];
    operation?: { name: string }[];
  }[];
}

/** `Type/id` → id, when the reference is of that type. */
export function idOfReference(reference: string | undefined, type: string): string | null {
  if (typeof reference !== 'string') return null;
  const match = /^(?:.*\/)?([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
  return match && match[1] === type ? match[2]! : null;
}

export function extensionOf(resource: Resource, url: string): Extension | undefined {
  return resource.extension?.find((e) => e.url === url);
}

/** An ETag of a version id: `W/"23"`. */
export function etagOf(versionId: string): string {
  return `W/"${versionId}"`;
}

/** The version id of an ETag or If-Match value (`W/"23"` or `"23"`), or null. */
export function versionOfEtag(etag: string | undefined | null): string | null {
  if (typeof etag !== 'string') return null;
  const match = /^\s*(?:W\/)?"([^"]+)"\s*$/.exec(etag);
  return match ? match[1]! : null;
}

/** An OperationOutcome of one Spine error, as GP Connect answers errors. */
export function operationOutcome(
  spineCode: string,
  display: string,
  issueCode: string,
  diagnostics?: string,
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    meta: { profile: [PROFILE.OPERATION_OUTCOME] },
    issue: [
      {
        severity: 'error',
        code: issueCode,
        details: { coding: [{ system: SYSTEM.SPINE_ERROR, code: spineCode, display }] },
        ...(diagnostics === undefined ? {} : { diagnostics }),
      },
    ],
  };
}
