/**
 * The TPP SystmOne Client Integration API on the wire, shared by the client and the sandbox:
 * one XML document per request (`<ClientIntegrationRequest>`) and per reply
 * (`<ClientIntegrationResponse>`), each followed by the terminator `<EOF>` on a TCP stream.
 *
 * What TPP publishes to assured partners only is *modelled* here (see the README): the reply's
 * `<EOF>`, the element names inside `FunctionParameters` and `Response`, the date-time format
 * (`yyyy-MM-ddTHH:mm:ss`, practice-local wall-clock time, no offset), and every leaf being text.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** The port the SystmOne client integration listens on (and the gateway relays) by default. */
export const DEFAULT_PORT = 40700;
export const EOF_MARKER = '<EOF>';
/** The one FunctionVersion of each function the plugin speaks and the sandbox answers. */
export const FUNCTION_VERSION = '1.0';
/** Practice-local wall-clock date-time, as luxon formats it. */
export const SYSTMONE_DATE_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss";
export const SYSTMONE_DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
/** A document larger than this is refused rather than buffered without end. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export const FUNCTIONS = [
  'GetOrganisation',
  'GetAppointmentSlots',
  'PatientSearch',
  'UpdatePatientRecord',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export const REQUEST_ROOT = 'ClientIntegrationRequest';
export const RESPONSE_ROOT = 'ClientIntegrationResponse';

/** A parsed XML element: text for a leaf, an object of children, arrays for repeated children. */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

// ---- the documents -----------------------------------------------------------------------------

export interface RequestEnvelope {
  RequestUID: string;
  APIKey: string;
  DeviceID: string;
  DeviceVersion: string;
  Function: string;
  FunctionVersion: string;
  FunctionParameters: XmlObject | '';
}

export type ResponseEnvelope =
  | { RequestUID: string; Function: string; Response: XmlObject | '' }
  | { RequestUID: string; Function: string; ErrorMessage: string };

export interface WireSlot {
  SlotType: string;
  /** yyyy-MM-ddTHH:mm:ss, practice-local. */
  DateTimeStart: string;
  /** Minutes. */
  Duration: string;
}

export interface WireClinic {
  UserName: string;
  SiteName: string;
  ClinicType: string;
  Slot: WireSlot[];
}

export interface WireUser {
  UserName: string;
  FullName: string;
  Role: string;
}

export interface WireSlotType {
  Name: string;
  BookableByThirdParties: 'true' | 'false';
}

export interface WireOrganisation {
  OrganisationName: string;
  ODSCode: string;
  User: WireUser[];
  Site: { SiteName: string }[];
  SlotType: WireSlotType[];
}

export interface WirePatient {
  /** Empty when the record has no NHS number (e.g. a temporary resident not yet traced). */
  NHSNumber: string;
  Title: string;
  FirstName: string;
  Surname: string;
  /** yyyy-MM-dd */
  DateOfBirth: string;
}

/** PatientSearch criteria; at least two must be given. */
export const PATIENT_SEARCH_CRITERIA = ['NHSNumber', 'FirstName', 'Surname', 'DateOfBirth'] as const;
export type PatientSearchCriteria = Partial<Record<(typeof PATIENT_SEARCH_CRITERIA)[number], string>>;

/** UpdatePatientRecord's NonClinical/Appointment: a booking. */
export interface WireAppointment {
  Comments: string;
  Clinic: { UserName: string; SiteName: string; ClinicType: string; Slot: WireSlot };
}

/** UpdatePatientRecord's NonClinical/AppointmentStatus: a status change (cancel). */
export interface WireAppointmentStatus {
  AppointmentUID: string;
  Status: 'Cancelled';
  Comments: string;
}

/** The repeated elements, by path, that always parse as arrays (even with one or no entry). */
const ARRAY_PATHS = new Set([
  `${RESPONSE_ROOT}.Response.Clinic`,
  `${RESPONSE_ROOT}.Response.Clinic.Slot`,
  `${RESPONSE_ROOT}.Response.Patient`,
  `${RESPONSE_ROOT}.Response.Organisation.User`,
  `${RESPONSE_ROOT}.Response.Organisation.Site`,
  `${RESPONSE_ROOT}.Response.Organisation.SlotType`,
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  // Everything stays text: NHS numbers keep their digits, "1.0" stays "1.0".
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  jPath: true,
  isArray: (_name, path) => ARRAY_PATHS.has(String(path)),
});

const builder = new XMLBuilder({ format: false, processEntities: true, suppressEmptyNode: false });

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** One document with its terminator, ready to write. */
export function encodeDocument(root: string, body: object): Buffer {
  return Buffer.from(`${XML_DECLARATION}${builder.build({ [root]: body })}${EOF_MARKER}`, 'utf8');
}

/** The root element's name and content of one document, or the reason it is not well-formed XML. */
export function decodeDocument(text: string): { root: string; body: XmlValue } | { invalid: string } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { invalid: valid.err.msg };
  const parsed = parser.parse(text) as XmlObject;
  const roots = Object.keys(parsed).filter((name) => name !== '?xml');
  if (roots.length !== 1) return { invalid: 'a document has exactly one root element' };
  return { root: roots[0]!, body: parsed[roots[0]!]! };
}

/**
 * Splits a TCP byte stream into documents at each `<EOF>`. Bytes are kept until a terminator
 * arrives, so a document may come in any number of chunks (even a multi-byte character or the
 * terminator itself split across two); text is decoded only once a document is whole.
 */
export class EofFramer {
  readonly #marker = Buffer.from(EOF_MARKER, 'utf8');
  #buffered: Buffer = Buffer.alloc(0);

  /** Adds a chunk; answers the documents it completed. Throws when a document grows too large. */
  push(chunk: Buffer): string[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const documents: string[] = [];
    for (
      let end = this.#buffered.indexOf(this.#marker);
      end !== -1;
      end = this.#buffered.indexOf(this.#marker)
    ) {
      documents.push(this.#buffered.subarray(0, end).toString('utf8'));
      this.#buffered = this.#buffered.subarray(end + this.#marker.length);
    }
    if (this.#buffered.length > MAX_DOCUMENT_BYTES) {
      throw new Error(`A document is longer than ${MAX_DOCUMENT_BYTES} bytes without ${EOF_MARKER}`);
    }
    return documents;
  }

  /** Bytes received after the last terminator. */
  get pendingBytes(): number {
    return this.#buffered.length;
  }
}

// ---- reading parsed XML ------------------------------------------------------------------------

export function isXmlObject(value: unknown): value is XmlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of child `name`, or undefined when it is absent or not a leaf. */
export function textOf(node: unknown, name: string): string | undefined {
  if (!isXmlObject(node)) return undefined;
  const value = node[name];
  return typeof value === 'string' ? value : undefined;
}

/** Child `name` as an element with children; an empty element counts as one with none. */
export function elementOf(node: unknown, name: string): XmlObject | undefined {
  if (!isXmlObject(node)) return undefined;
  const value = node[name];
  if (value === '') return {};
  return isXmlObject(value) ? value : undefined;
}

/** Every child `name` that is an element (a repeated element, or a single one). */
export function elementsOf(node: unknown, name: string): XmlObject[] {
  if (!isXmlObject(node)) return [];
  const value = node[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.map((v) => (v === '' ? {} : v)).filter(isXmlObject);
}
