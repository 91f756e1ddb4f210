/**
 * The Partner API 1.2 operations the sandbox serves, with the paths, methods and query
 * parameters the spec publishes. Every `/api/v1/…` call needs the `applicationId` header; every
 * call but the (*modelled*) token call needs a bearer token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OrganisationInformation, TokenRequest } from '../partner-api.ts';
import type { EmisDiary } from './diary.ts';
import type { PartnerAccess } from './partner-access.ts';
import { SandboxError } from './sandbox-error.ts';

/** The longest GetAppointmentSessions window, in calendar days counting both ends. */
export const MAX_SESSION_WINDOW_DAYS = 90;

export const TOKEN_PATH = '/api/v1/auth/token';

/** operationId by route path (the token call's is *modelled*: `Token`). */
export const OPERATION_BY_PATH: Record<string, string> = {
  '/': 'GetHealth',
  [TOKEN_PATH]: 'Token',
  '/api/v1/appointments/GetAppointmentConfiguration': 'GetAppointmentConfiguration',
  '/api/v1/appointments/GetAppointmentSessions': 'GetAppointmentSessions',
  '/api/v1/appointments/GetSlotsForSession': 'GetSlotsForSession',
  '/api/v1/appointments/BookAppointment': 'BookAppointment',
  '/api/v1/appointments/CancelAppointment': 'CancelAppointment',
  '/api/v1/appointments/GetPatientAppointments': 'GetPatientAppointments',
  '/api/v1/appointments/SetSlotType': 'SetSlotType',
  '/api/v1/appointments/SetSlotNotes': 'SetSlotNotes',
  '/api/v1/patientMatching/GetMatchedPatients': 'GetMatchedPatients',
  '/api/v1/organisation/GetOrganisation': 'GetOrganisation',
};

export type Query = Record<string, string | undefined>;

export function optionalString(query: Query, name: string): string | null {
  const value = query[name];
  return value === undefined ? null : value;
}

export function requiredString(query: Query, name: string): string {
  const value = query[name];
  if (value === undefined || value === '') throw new SandboxError('INVALID_PARAMETER', `${name} is required`);
  return value;
}

export function requiredInteger(query: Query, name: string): number {
  const value = requiredString(query, name);
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 2 ** 31 - 1) {
    throw new SandboxError('INVALID_PARAMETER', `${name} must be a positive int32, got "${value}"`);
  }
  return number;
}

/** A `dd/mm/yyyy` query parameter, answered as `yyyy-mm-dd`. */
function requiredDate(query: Query, name: string): string {
  const value = requiredString(query, name);
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[3]), Number(match[2]) - 1, Number(match[1]))) : null;
  if (
    !match ||
    !date ||
    date.getUTCDate() !== Number(match[1]) ||
    date.getUTCMonth() !== Number(match[2]) - 1
  ) {
    throw new SandboxError(
      'INVALID_PARAMETER',
      `${name} must be a date in the format dd/mm/yyyy, got "${value}"`,
    );
  }
  return `${match[3]}-${match[2]}-${match[1]}`;
}

export function requiredDateRange(query: Query): { startDate: string; endDate: string; days: number } {
  const startDate = requiredDate(query, 'startDate');
  const endDate = requiredDate(query, 'endDate');
  const days = (Date.parse(endDate) - Date.parse(startDate)) / 86_400_000 + 1;
  if (days < 1) throw new SandboxError('INVALID_PARAMETER', 'endDate is before startDate');
  return { startDate, endDate, days };
}

/** A date range of at most MAX_SESSION_WINDOW_DAYS (GetAppointmentSessions, GetPatientAppointments). */
export function requiredWindow(query: Query): { startDate: string; endDate: string } {
  const { startDate, endDate, days } = requiredDateRange(query);
  if (days > MAX_SESSION_WINDOW_DAYS) {
    throw new SandboxError(
      'DATE_RANGE_TOO_LONG',
      `The maximum window to retrieve sessions is ${MAX_SESSION_WINDOW_DAYS} days; ${days} were asked for`,
    );
  }
  return { startDate, endDate };
}

/** GetOrganisation: the organisation itself, its staff (session holders) and partner users. */
export function organisationInformation(diary: EmisDiary, access: PartnerAccess): OrganisationInformation {
  const setup = access.setup;
  const guidOf = (dbid: string) => `00000000-0000-4000-b000-${dbid.padStart(12, '0')}`;
  const staff = diary.holders().map((holder) => ({
    dbid: String(holder.dbid),
    title: holder.title,
    firstNames: holder.firstNames,
    lastName: holder.lastName,
    mnemonic: `${holder.firstNames[0] ?? ''}${holder.lastName[0] ?? ''}`.toUpperCase(),
  }));
  const partnerUsers = setup.partnerUsers.map((user) => ({
    dbid: user.userInRoleId,
    title: user.title,
    firstNames: user.firstNames,
    lastName: user.lastName,
    mnemonic: user.mnemonic,
  }));
  return {
    organisationList: [
      {
        dbid: setup.cdbNumber,
        refID: setup.cdbNumber,
        guid: guidOf(setup.cdbNumber),
        locationName: setup.organisationName,
        nationalCode: setup.odsCode,
      },
    ],
    userList: [...staff, ...partnerUsers].map((person) => ({
      dbid: person.dbid,
      refID: person.dbid,
      guid: guidOf(person.dbid),
      mnemonic: person.mnemonic,
      title: person.title,
      firstNames: person.firstNames,
      lastName: person.lastName,
      activeUser: 'true',
    })),
    externalOrganisationList: [],
    externalPersonList: [],
    locationTypeList: [],
  };
}

export function registerPartnerApiRoutes(
  app: FastifyInstance,
  diary: EmisDiary,
  access: PartnerAccess,
): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const path = request.routeOptions.url ?? '';
    if (!(path in OPERATION_BY_PATH)) return;
    if (path !== '/') access.checkApplicationId(request.headers.applicationid);
    if (path !== TOKEN_PATH) access.checkBearer(request.headers.authorization);
  });

  app.get('/', async () => ({ status: 'ok' }));

  app.post(TOKEN_PATH, async (request) => access.signIn(request.body as Partial<TokenRequest> | null));

  app.get('/api/v1/appointments/GetAppointmentConfiguration', async (request) => {
    const { startDate, endDate } = requiredDateRange(request.query as Query);
    return diary.configuration(startDate, endDate);
  });

  app.get('/api/v1/appointments/GetAppointmentSessions', async (request) => {
    const query = request.query as Query;
    const { startDate, endDate } = requiredWindow(query);
    const slotType = optionalString(query, 'slotType');
    return { appointmentSession: diary.sessions(startDate, endDate, slotType === '' ? null : slotType) };
  });

  app.get('/api/v1/appointments/GetSlotsForSession', async (request) => ({
    slot: diary.slotsForSession(requiredInteger(request.query as Query, 'appointmentSessionId')),
  }));

  app.get('/api/v1/appointments/BookAppointment', async (request) => {
    const query = request.query as Query;
    const input = {
      slotId: requiredInteger(query, 'slotId'),
      patientNumber: requiredInteger(query, 'patientNumber'),
      reason: requiredString(query, 'reason'),
      bookingNote: optionalString(query, 'bookingNote') ?? '',
    };
    const bookedBy = requiredString(query, 'bookedBy');
    if (!access.isUserInRole(bookedBy)) {
      throw new SandboxError(
        'BOOKED_BY_UNKNOWN',
        `bookedBy ${bookedBy} is not a staff DBID of this organisation`,
      );
    }
    return diary.bookAppointment(input);
  });

  app.get('/api/v1/appointments/CancelAppointment', async (request) => {
    const query = request.query as Query;
    return diary.cancel(requiredInteger(query, 'slotId'), requiredInteger(query, 'patientNumber'));
  });

  app.get('/api/v1/appointments/GetPatientAppointments', async (request) => {
    const query = request.query as Query;
    const patientNumber = requiredInteger(query, 'patientNumber');
    const { startDate, endDate } = requiredWindow(query);
    return { appointment: diary.patientAppointments(patientNumber, startDate, endDate) };
  });

  app.patch('/api/v1/appointments/SetSlotType', async (request, reply) => {
    const query = request.query as Query;
    const slotType = optionalString(query, 'slotType');
    diary.setSlotType(
      requiredInteger(query, 'slotId'),
      slotType === '' ? null : slotType,
      optionalString(query, 'bookingNote'),
    );
    return reply.code(204).send();
  });

  app.patch('/api/v1/appointments/SetSlotNotes', async (request) => {
    const query = request.query as Query;
    return diary.setSlotNotes(requiredInteger(query, 'slotId'), optionalString(query, 'slotNotes') ?? '');
  });

  app.get('/api/v1/patientMatching/GetMatchedPatients', async (request) => ({
    patientList: diary.matchPatients(requiredString(request.query as Query, 'matchedTerms')),
    peopleList: [],
  }));

  app.get('/api/v1/organisation/GetOrganisation', async () => organisationInformation(diary, access));
}
