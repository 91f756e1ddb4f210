/**
 * The wire shapes of the EMIS Partner API 1.2 subset slotbridge uses, named and spelt as the
 * published OpenAPI document spells them (`/work/shared/reference/emis-partner-api-1.2-openapi.json`),
 * typos included (`patientInforamtion`). The spec marks no field required; these types list the
 * fields the sandbox sends and the client reads. Types only: the plugin and the sandbox share
 * them so both speak the same contract, and the conformance tests pin the literal bodies.
 */

/** `PartnerApi.Service.Model.ErrorResponse`. */
export interface ErrorResponse {
  messageId: string;
  text: { status: string; div: string };
  issue: {
    /** `SeverityType`: 0 = error, 1 = warning (*modelled*: the spec only says `enum [0, 1]`). */
    severity: 0 | 1;
    code: string;
    details: { text: string; coding: { system: string; code: string; display: string } };
    diagnostics: string;
  };
  legacyOutcome: number;
}

/** `AppointmentConfiguration.SiteStruct`. */
export interface ConfigurationSite {
  dbid: number;
  refID: number;
  name: string;
}

/** `AppointmentConfiguration.HolderStruct` (note: `surname` here, `lastName` in sessions). */
export interface ConfigurationHolder {
  dbid: number;
  refID: number;
  title: string;
  firstNames: string;
  surname: string;
}

/** `AppointmentConfiguration.TypeStruct`; `bookable` and `emisAccess` are the strings "true"/"false". */
export interface ConfigurationSlotType {
  id: string;
  display: string;
  description: string;
  bookable: 'true' | 'false';
  emisAccess: 'true' | 'false';
}

/** `AppointmentConfiguration.ScheduleStruct`. */
export interface ConfigurationSchedule {
  name: string;
  startTime: string;
  endTime: string;
  slotLength: string;
}

/** `AppointmentConfiguration.HolidayStruct`. */
export interface ConfigurationHoliday {
  description: string;
  day: string;
  startTime: string;
  endTime: string;
}

/** `AppointmentConfiguration.IndividualStruct`. */
export interface ConfigurationStaffHolidays {
  dbid: number;
  refID: number;
  title: string;
  firstNames: string;
  surname: string;
  dates: ConfigurationHoliday[];
}

/** `AppointmentConfiguration.AppointmentConfiguration`. */
export interface AppointmentConfiguration {
  siteList: ConfigurationSite[];
  holderList: ConfigurationHolder[];
  scheduleList: ConfigurationSchedule[];
  holidayList: { practice: ConfigurationHoliday[]; staff: ConfigurationStaffHolidays[] };
  slotTypeList: ConfigurationSlotType[];
}

/** `AppointmentSessions.SlotsStruct`: the slot counts of one slot type in a session. */
export interface SessionSlotTypeCount {
  typeID: string;
  description: string;
  total: number;
  booked: number;
  blocked: number;
  embargoed: number;
  available: number;
}

/** `AppointmentSessions.HolderStruct`. */
export interface SessionHolder {
  dbid: number;
  refID: number;
  title: string;
  firstNames: string;
  lastName: string;
}

/** `AppointmentSessions.AppointmentSessionStruct`. */
export interface AppointmentSession {
  dbid: number;
  name: string;
  /** dd/mm/yyyy, the practice's local date. */
  date: string;
  /** HH:mm, the practice's local wall-clock time (*modelled* format). */
  startTime: string;
  endTime: string;
  /** Minutes, as a string (*modelled*: the spec types it string). */
  slotLength: string;
  slotTypeList: SessionSlotTypeCount[];
  site: { dbid: number; name: string };
  holderList: SessionHolder[];
}

/** `AppointmentSessions.AppointmentSessionList`. */
export interface AppointmentSessionList {
  appointmentSession: AppointmentSession[];
}

/** The slot status words EMIS Web reports. */
export const SLOT_STATUSES = [
  'Slot Available',
  'Booked',
  'Arrived',
  'Send In',
  'Left',
  'DNA',
  'Blocked',
  'Embargoed',
] as const;

export type SlotStatusWord = (typeof SLOT_STATUSES)[number];

/** `SlotsForSession.PatientStruct`. */
export interface SlotPatient {
  dbid: number;
  refID: number;
  title: string;
  firstNames: string;
  surname: string;
  fullName: string;
}

/** `SlotsForSession.SlotStruct`. */
export interface SessionSlot {
  dbid: number;
  refID: number;
  /** HH:mm, local wall-clock time on the session's date (*modelled* format). */
  startTime: string;
  /** Minutes, as a string. */
  slotLength: string;
  type: { typeID: string; description: string };
  status: string;
  /** Present on booked-like slots only. */
  patientList?: { patient: SlotPatient };
  notes: string;
  reason: string;
}

/** `SlotsForSession.SlotListStruct`. */
export interface SlotList {
  slot: SessionSlot[];
}

/** `SlotsForSessionV2.SlotStruct`: SetSlotNotes answers the slot as it now is. */
export interface SessionSlotV2 extends SessionSlot {
  /** Comments added to the slot (AddSlotComment, not modelled: always empty in the sandbox). */
  commentList: string[];
}

/** `GetPatientAppointments.HolderStruct`. */
export interface PatientAppointmentHolder {
  dbid: number;
  refID: number;
  title: string;
  firstNames: string;
  lastName: string;
}

/** `GetPatientAppointments.AppointmentStruct`: one appointment of the patient. */
export interface PatientAppointment {
  slotID: number;
  siteID: number;
  /** dd/mm/yyyy, the session's local date. */
  date: string;
  /** HH:mm, local wall-clock time (*modelled* format). */
  startTime: string;
  /** Minutes, as a string (*modelled*: the spec types it string). */
  duration: string;
  notes: string;
  reason: string;
  sessionName: string;
  sessionDBID: number;
  holderList: PatientAppointmentHolder[];
  /** The slot status word: `Booked`, `Arrived`, `Send In`, `Left`, `DNA`. */
  status: string;
}

/** `GetPatientAppointments.PatientAppointmentList`. */
export interface PatientAppointmentList {
  appointment: PatientAppointment[];
}

/** `Appointment.BookedAppointmentType`, answered by BookAppointment and CancelAppointment. */
export interface BookedAppointment {
  appointmentInformation: {
    sessionId: number;
    slotId: number;
    /** dd/mm/yyyy HH:mm, local wall-clock time (*modelled* format). */
    slotDateTime: string;
    endDateTime: string;
    reason: string;
    bookingNotes: string;
    slotTypeId: number;
  };
  patientInforamtion: {
    patientId: number;
    patientNumber: number;
    /** dd/mm/yyyy */
    dob: string;
    name: string;
    hasPatientWarnings: 'true' | 'false';
  };
}

/** `PatientMatches37.PatientMatchesPatient`, the fields the sandbox fills. */
export interface MatchedPatient {
  /** The patient's DBID: the `patientNumber` the appointment calls take. */
  dbid: string;
  refID: string;
  guid: string;
  /** dd/mm/yyyy */
  dateOfBirth: string;
  sex: string;
  familyName: string;
  callingName: string;
  firstNames: string;
  title: string;
  nhsNumber: string;
}

/** `PatientMatches37.PatientMatches`. */
export interface PatientMatches {
  patientList: MatchedPatient[];
  peopleList: unknown[];
}

/**
 * `OrganisationInformation37.LocationType`, the fields the sandbox fills: the organisation itself,
 * `dbid` its CDB number and `nationalCode` its ODS code (*modelled* meaning of both).
 */
export interface OrganisationLocation {
  dbid: string;
  refID: string;
  guid: string;
  locationName: string;
  nationalCode: string;
}

/** `OrganisationInformation37.PersonType`, the fields the sandbox fills. */
export interface OrganisationPerson {
  /** The user's DBID (a partner user's is its `userInRoleId`). */
  dbid: string;
  refID: string;
  guid: string;
  mnemonic: string;
  title: string;
  firstNames: string;
  lastName: string;
  /** "true" or "false". */
  activeUser: string;
}

/** `OrganisationInformation37.OrganisationInformation`, answered by GetOrganisation. */
export interface OrganisationInformation {
  organisationList: OrganisationLocation[];
  userList: OrganisationPerson[];
  externalOrganisationList: OrganisationLocation[];
  externalPersonList: OrganisationPerson[];
  locationTypeList: { dbid: string; refID: string; guid: string; description: string }[];
}

/**
 * The answer of the *modelled* token endpoint `POST /api/v1/auth/token`. The spec declares a
 * bearer JWT / OAuth2 security scheme but documents no token endpoint.
 */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds until the token expires. */
  expires_in: number;
  /** The partner user's DBID: what BookAppointment takes as `bookedBy`. */
  userInRoleId: string;
}

/** The body of the *modelled* token request. */
export interface TokenRequest {
  /** The organisation's EMIS CDB number. */
  organisationId: string;
  userName: string;
  /** The API password set under EMAS Manager → Edit Users (not the EMIS user password). */
  password: string;
}

/**
 * The older EMIS interface's sign-in outcomes, carried in `ErrorResponse.legacyOutcome`.
 * 1 ok, 2 password expired, 3 unsuccessful (wrong password), 4 invalid login or no access.
 */
export const LegacyOutcome = {
  OK: 1,
  PASSWORD_EXPIRED: 2,
  UNSUCCESSFUL: 3,
  NO_ACCESS: 4,
} as const;
