/**
 * The sandbox's FHIR resources, in the wire shapes of the GP Connect 1.2.7 published examples
 * (search_for_free_slots_response, find_organization_response, find_patient_response,
 * book/read/cancel appointment). Where the examples differ (the Organization of the slot bundle
 * carries `address`/`telecom` as single objects, the one of Find an organisation as arrays), each
 * context answers as its example does.
 */
import {
  type Appointment,
  type Bundle,
  type CapabilityStatement,
  EXTENSION,
  PROFILE,
  type Resource,
  SYSTEM,
} from '../fhir.ts';
import { fhirDateTime } from '../fhir-time.ts';
import type {
  GpConnectDiary,
  SandboxLocation,
  SandboxPatient,
  SandboxPractitioner,
  SandboxSchedule,
  SandboxSlot,
} from './diary.ts';

export function bundleOf(resources: Resource[]): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) };
}

export function slotResource(slot: SandboxSlot, zone: string): Resource {
  return {
    resourceType: 'Slot',
    id: slot.id,
    meta: { versionId: slot.versionId, profile: [PROFILE.SLOT] },
    extension: [{ url: EXTENSION.DELIVERY_CHANNEL, valueCode: slot.deliveryChannel }],
    serviceType: [{ text: slot.serviceType }],
    schedule: { reference: `Schedule/${slot.scheduleId}` },
    status: slot.status === 'free' && !slot.blocked ? 'free' : 'busy',
    start: fhirDateTime(slot.start, zone),
    end: fhirDateTime(slot.end, zone),
  };
}

function roleExtension(practitioner: SandboxPractitioner | undefined) {
  return {
    url: EXTENSION.PRACTITIONER_ROLE,
    valueCodeableConcept: {
      coding: [
        {
          system: SYSTEM.SDS_JOB_ROLE,
          code: practitioner?.roleCode ?? 'R0260',
          display: practitioner?.roleDisplay ?? 'General Medical Practitioner',
        },
      ],
    },
  };
}

export function scheduleResource(
  schedule: SandboxSchedule,
  diary: GpConnectDiary,
  horizon: { start: Date; end: Date },
): Resource {
  return {
    resourceType: 'Schedule',
    id: schedule.id,
    meta: { versionId: '1', profile: [PROFILE.SCHEDULE] },
    extension: [roleExtension(diary.practitioners.get(schedule.practitionerId))],
    serviceCategory: { text: schedule.serviceCategory },
    actor: [
      { reference: `Location/${schedule.locationId}` },
      { reference: `Practitioner/${schedule.practitionerId}` },
    ],
    planningHorizon: {
      start: fhirDateTime(horizon.start, diary.timeZone),
      end: fhirDateTime(horizon.end, diary.timeZone),
    },
  };
}

export function practitionerResource(p: SandboxPractitioner): Resource {
  return {
    resourceType: 'Practitioner',
    id: p.id,
    meta: { versionId: '1', profile: [PROFILE.PRACTITIONER] },
    identifier: [{ system: SYSTEM.SDS_USER_ID, value: p.sdsUserId }],
    name: [{ family: p.family, given: [p.given], prefix: [p.prefix] }],
    gender: p.gender,
  };
}

export function locationResource(l: SandboxLocation, diary: GpConnectDiary): Resource {
  return {
    resourceType: 'Location',
    id: l.id,
    meta: { versionId: '1', profile: [PROFILE.LOCATION] },
    name: l.name,
    address: { line: l.line, postalCode: l.postalCode },
    telecom: { system: 'phone', value: l.phone, use: 'work' },
    managingOrganization: { reference: `Organization/${diary.organisation.id}` },
  };
}

/** The practice, as the slot bundle carries it (`single`) or as Find an organisation answers it (`listed`). */
export function organizationResource(diary: GpConnectDiary, style: 'single' | 'listed'): Resource {
  const address = {
    line: ['1 High Street', 'Riverside'],
    city: 'Leeds',
    district: 'West Yorkshire',
    postalCode: 'LS1 6AE',
  };
  const telecom = { system: 'phone', value: '0300 303 5678', use: 'work' };
  return {
    resourceType: 'Organization',
    id: diary.organisation.id,
    meta: { versionId: '1', profile: [PROFILE.ORGANIZATION] },
    identifier: [{ system: SYSTEM.ODS_CODE, value: diary.organisation.odsCode }],
    name: diary.organisation.name,
    address: style === 'single' ? address : [address],
    telecom: style === 'single' ? telecom : [telecom],
  };
}

export function patientResource(p: SandboxPatient, diary: GpConnectDiary): Resource {
  const firstLocation = [...diary.locations.keys()][0] ?? '1';
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { versionId: '1', profile: [PROFILE.PATIENT] },
    extension: [
      {
        url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1',
        extension: [
          { url: 'preferredBranchSurgery', valueReference: { reference: `Location/${firstLocation}` } },
        ],
      },
      {
        url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSCommunication-1',
        extension: [
          {
            url: 'language',
            valueCodeableConcept: {
              coding: [
                {
                  system: 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-HumanLanguage-1',
                  code: 'en',
                  display: 'English',
                },
              ],
            },
          },
          { url: 'interpreterRequired', valueBoolean: false },
        ],
      },
    ],
    identifier: [
      {
        extension: [
          {
            url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1',
            valueCodeableConcept: {
              coding: [
                {
                  system: 'https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1',
                  code: '01',
                  display: 'Number present and verified',
                },
              ],
            },
          },
        ],
        system: SYSTEM.NHS_NUMBER,
        value: p.nhsNumber,
      },
    ],
    active: true,
    name: [
      {
        use: 'official',
        text: `${p.family.toUpperCase()} ${p.given} (${p.prefix})`,
        family: p.family,
        given: [p.given],
        prefix: [p.prefix],
      },
    ],
    telecom: [{ system: 'phone', value: p.phone, use: 'home' }],
    gender: p.gender,
    birthDate: p.birthDate,
    address: [
      {
        use: 'home',
        type: 'physical',
        line: ['2 Mill Lane', 'Riverside'],
        city: 'Leeds',
        district: 'West Yorkshire',
        postalCode: 'LS2 7AB',
      },
    ],
    managingOrganization: { reference: `Organization/${diary.organisation.id}` },
  };
}

/** The stored appointment as GP Connect returns it: the provider's fields added to what was booked. */
export function appointmentAnswer(stored: { resource: Appointment }): Appointment {
  return stored.resource;
}

/** What the provider adds to a booked appointment: practitioner role, delivery channel, service type and category. */
export function providerFields(
  request: Appointment,
  slot: SandboxSlot,
  diary: GpConnectDiary,
): Pick<Appointment, 'extension' | 'serviceCategory' | 'serviceType'> {
  const schedule = diary.schedules.get(slot.scheduleId);
  const practitioner = schedule ? diary.practitioners.get(schedule.practitionerId) : undefined;
  return {
    extension: [
      ...(request.extension ?? []),
      roleExtension(practitioner),
      { url: EXTENSION.DELIVERY_CHANNEL, valueCode: slot.deliveryChannel },
    ],
    ...(schedule ? { serviceCategory: { text: schedule.serviceCategory } } : {}),
    serviceType: [{ text: slot.serviceType }],
  };
}

export interface CapabilityOptions {
  version: string;
  withoutBook: boolean;
}

export function capabilityStatement(options: CapabilityOptions): CapabilityStatement {
  const read = { code: 'read' };
  const search = { code: 'search-type' };
  const appointment = [
    read,
    ...(options.withoutBook ? [] : [{ code: 'create' }]),
    { code: 'update' },
    search,
  ];
  const token = (name: string, documentation: string) => ({ name, type: 'token', documentation });
  return {
    resourceType: 'CapabilityStatement',
    version: options.version,
    name: 'GP Connect',
    status: 'active',
    date: '2020-01-15',
    publisher: 'slotbridge sandbox',
    contact: [{ name: 'slotbridge' }],
    description: `This server implements the GP Connect API version ${options.version}`,
    copyright: 'Sandbox: no real data',
    kind: 'capability',
    software: { name: 'slotbridge GP Connect sandbox', version: '0.1.0', releaseDate: '2026-11-30' },
    fhirVersion: '3.0.1',
    acceptUnknown: 'both',
    format: ['application/fhir+json', 'application/fhir+xml'],
    profile: Object.values(PROFILE).map((reference) => ({ reference })),
    rest: [
      {
        mode: 'server',
        security: { cors: true },
        resource: [
          {
            type: 'Patient',
            interaction: [read, search],
            searchParam: [
              token('identifier', 'NHS Number (i.e. https://fhir.nhs.uk/Id/nhs-number|123456789)'),
            ],
          },
          {
            type: 'Organization',
            interaction: [read, search],
            searchParam: [
              token('identifier', 'ODS Code (i.e. https://fhir.nhs.uk/Id/ods-organization-code|Y12345)'),
            ],
          },
          {
            type: 'Practitioner',
            interaction: [read, search],
            searchParam: [token('identifier', 'SDS User Id')],
          },
          { type: 'Location', interaction: [read] },
          {
            type: 'Appointment',
            interaction: appointment,
            updateCreate: false,
            searchParam: [
              token('identifier', 'NHS Number (i.e. https://fhir.nhs.uk/Id/nhs-number|123456789)'),
            ],
          },
          {
            type: 'Slot',
            interaction: [search],
            searchInclude: [
              'Schedule:actor:Location',
              'Schedule:actor:Practitioner',
              'Slot:schedule',
              'Location:managingOrganization',
            ],
            searchParam: [
              { name: 'start', type: 'date' },
              { name: 'end', type: 'date' },
              { name: 'status', type: 'token' },
              { name: 'searchFilter', type: 'token' },
            ],
          },
        ],
        operation: [
          {
            name: 'gpc.registerpatient',
            definition: {
              reference: 'https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-RegisterPatient-Operation-1',
            },
          },
        ],
      },
    ],
  } as unknown as CapabilityStatement;
}
