/**
 * How the sandbox's SystmOne answers one ClientIntegrationRequest, in the order a real one
 * checks: a well-formed envelope, the product's API key, its device ID, the logged-in user's
 * approval of that device, a Function and FunctionVersion it offers, then the function itself.
 * Every refusal is an ErrorMessage (sandbox-error.ts). A repeated UpdatePatientRecord RequestUID
 * is answered with its first (successful) answer and not applied again (*modelled*).
 */
import {
  elementOf,
  FUNCTION_VERSION,
  FUNCTIONS,
  type FunctionName,
  PATIENT_SEARCH_CRITERIA,
  type PatientSearchCriteria,
  type ResponseEnvelope,
  SYSTMONE_DATE_TIME_PATTERN,
  textOf,
  type XmlObject,
  type XmlValue,
} from '../client-integration-api.ts';
import type { SlotAddress, SystmOneDiary } from './diary.ts';
import { SandboxError, sandboxMessages } from './sandbox-error.ts';

/** The state of the integration on the practice's gateway PC. */
export interface IntegrationSetup {
  /** The API key TPP issued to the product. */
  apiKey: string;
  /** The device ID registered for the product with that key. */
  deviceId: string;
  /** The user logged in to SystmOne on the gateway PC: requests use this user's approval. */
  loggedInUser: string;
  /** `closed` and `logged-out` accept connections and answer nothing. */
  clientState: 'running' | 'closed' | 'logged-out';
}

export const DEFAULT_INTEGRATION_SETUP: IntegrationSetup = {
  apiKey: 'sandbox-api-key-7f3a9c',
  deviceId: 'SLOTBRIDGE-0001',
  loggedInUser: 'HeroGateway',
  clientState: 'running',
};

function invalid(why: string): SandboxError {
  return new SandboxError('INVALID_PARAMETERS', sandboxMessages.invalidParameters(why));
}

function requiredText(node: unknown, name: string, where: string): string {
  const value = textOf(node, name);
  if (value === undefined || value === '') throw invalid(`${where}${name} is required`);
  return value;
}

function requiredElement(node: unknown, name: string, where: string): XmlObject {
  const value = elementOf(node, name);
  if (value === undefined) throw invalid(`${where}${name} is required`);
  return value;
}

function dateTime(node: unknown, name: string, where: string): string {
  const value = requiredText(node, name, where);
  if (!SYSTMONE_DATE_TIME_PATTERN.test(value)) throw invalid(`${where}${name} is not yyyy-MM-ddTHH:mm:ss`);
  return value;
}

export class ClientIntegration {
  readonly #diary: SystmOneDiary;
  readonly #setup: () => IntegrationSetup;
  readonly #answered = new Map<string, ResponseEnvelope>();

  constructor(diary: SystmOneDiary, setup: () => IntegrationSetup) {
    this.#diary = diary;
    this.#setup = setup;
  }

  /** Forgets the answers kept for repeated RequestUIDs. */
  forget(): void {
    this.#answered.clear();
  }

  /** The reply to a request whose document parsed as `root` / `body`. */
  answer(root: string, body: XmlValue): ResponseEnvelope {
    const requestUid = textOf(body, 'RequestUID') ?? '';
    const fn = textOf(body, 'Function') ?? '';
    try {
      if (root !== 'ClientIntegrationRequest') {
        throw new SandboxError(
          'MALFORMED_REQUEST',
          sandboxMessages.malformedRequest(`the root element is <${root}>`),
        );
      }
      for (const field of [
        'RequestUID',
        'APIKey',
        'DeviceID',
        'DeviceVersion',
        'Function',
        'FunctionVersion',
      ]) {
        if (!textOf(body, field)) {
          throw new SandboxError(
            'MALFORMED_REQUEST',
            sandboxMessages.malformedRequest(`${field} is required`),
          );
        }
      }
      const setup = this.#setup();
      if (textOf(body, 'APIKey') !== setup.apiKey) {
        throw new SandboxError('API_KEY_UNKNOWN', sandboxMessages.apiKeyUnknown());
      }
      const deviceId = textOf(body, 'DeviceID')!;
      if (deviceId !== setup.deviceId)
        throw new SandboxError('DEVICE_UNKNOWN', sandboxMessages.deviceUnknown());
      if (!this.#diary.user(setup.loggedInUser)?.deviceApproved) {
        throw new SandboxError(
          'DEVICE_NOT_APPROVED',
          sandboxMessages.deviceNotApproved(deviceId, setup.loggedInUser),
        );
      }
      if (!(FUNCTIONS as readonly string[]).includes(fn)) {
        throw new SandboxError('FUNCTION_UNKNOWN', sandboxMessages.functionUnknown(fn));
      }
      const version = textOf(body, 'FunctionVersion')!;
      if (version !== FUNCTION_VERSION) {
        throw new SandboxError('FUNCTION_VERSION_UNSUPPORTED', sandboxMessages.functionVersion(fn, version));
      }
      const replayKey = `${fn}:${requestUid}`;
      const earlier = this.#answered.get(replayKey);
      if (earlier) return earlier;
      const parameters = elementOf(body, 'FunctionParameters') ?? {};
      const reply: ResponseEnvelope = {
        RequestUID: requestUid,
        Function: fn,
        Response: this.#run(fn as FunctionName, parameters),
      };
      if (fn === 'UpdatePatientRecord') this.#answered.set(replayKey, reply);
      return reply;
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      return { RequestUID: requestUid, Function: fn, ErrorMessage: error.message };
    }
  }

  #run(fn: FunctionName, parameters: XmlObject): XmlObject {
    switch (fn) {
      case 'GetOrganisation':
        return { Organisation: this.#diary.organisation() as unknown as XmlObject };
      case 'GetAppointmentSlots': {
        const min = dateTime(parameters, 'MinDateTime', '');
        const max = dateTime(parameters, 'MaxDateTime', '');
        if (min > max) throw invalid('MinDateTime is after MaxDateTime');
        return { Clinic: this.#diary.freeSlots(min, max) as unknown as XmlValue[] };
      }
      case 'PatientSearch':
        return { Patient: this.#diary.searchPatients(this.#criteria(parameters)) as unknown as XmlValue[] };
      case 'UpdatePatientRecord':
        return this.#updatePatientRecord(parameters);
    }
  }

  #criteria(parameters: XmlObject): PatientSearchCriteria {
    const criteria: PatientSearchCriteria = {};
    for (const [name, value] of Object.entries(parameters)) {
      if (!(PATIENT_SEARCH_CRITERIA as readonly string[]).includes(name) || typeof value !== 'string') {
        throw invalid(`${name} is not a PatientSearch criterion`);
      }
      criteria[name as keyof PatientSearchCriteria] = value;
    }
    return criteria;
  }

  #updatePatientRecord(parameters: XmlObject): XmlObject {
    const nhsNumber = requiredText(parameters, 'NHSNumber', '');
    const nonClinical = requiredElement(parameters, 'NonClinical', '');
    const appointment = elementOf(nonClinical, 'Appointment');
    const status = elementOf(nonClinical, 'AppointmentStatus');
    if ((appointment === undefined) === (status === undefined)) {
      throw invalid('NonClinical holds one Appointment or one AppointmentStatus');
    }
    if (appointment !== undefined) {
      const where = 'Appointment/Clinic/';
      const clinic = requiredElement(appointment, 'Clinic', 'Appointment/');
      const slot = requiredElement(clinic, 'Slot', where);
      const duration = requiredText(slot, 'Duration', `${where}Slot/`);
      if (!/^\d+$/.test(duration)) throw invalid(`${where}Slot/Duration is not minutes`);
      const address: SlotAddress = {
        userName: requiredText(clinic, 'UserName', where),
        siteName: requiredText(clinic, 'SiteName', where),
        clinicType: requiredText(clinic, 'ClinicType', where),
        slotType: requiredText(slot, 'SlotType', `${where}Slot/`),
        dateTimeStart: dateTime(slot, 'DateTimeStart', `${where}Slot/`),
        duration: Number(duration),
      };
      const comments = textOf(appointment, 'Comments') ?? '';
      return { AppointmentUID: this.#diary.bookThroughApi(nhsNumber, address, comments) };
    }
    const appointmentUid = requiredText(status, 'AppointmentUID', 'AppointmentStatus/');
    if (requiredText(status, 'Status', 'AppointmentStatus/') !== 'Cancelled') {
      throw invalid('AppointmentStatus/Status can only be Cancelled');
    }
    this.#diary.cancelThroughApi(nhsNumber, appointmentUid);
    return { AppointmentUID: appointmentUid, Status: 'Cancelled' };
  }
}
