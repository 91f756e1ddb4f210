/**
 * The EMIS sandbox's **fleet mode**, for load tests: many practices in one process, behind one
 * base URL, each answering the Partner API after a fixed latency (default 100 ms a call, what a
 * practice's EMIS costs). A practice is its CDB number: signing in with
 * `{ organisationId: <cdbNumber>, userName: 'Herouser', password: <apiPassword> }` opens it, and
 * the bearer token the sign-in answers routes every later call to it. Its diary is the demo
 * practice's (`buildDemoDiary`), generated on first use from a seed derived from the CDB number,
 * so the same number always gets the same diary; by default its weekdays' sessions are laid on
 * every calendar day, so a near window always has slots.
 *
 * Latency-only: no faults, and **every patient matches** — GetMatchedPatients answers one record
 * with the date of birth and names asked for (patient number 9001), so every booking written
 * back is confirmed. Each successful BookAppointment is logged, so a test can check that no
 * booking was written twice.
 *
 *   const fleet = await createEmisFleet({ latencyMs: 100 });
 *   await fleet.listen();
 *   const connection = fleet.connection('60001');   // what practice 60001 would type in
 *
 * The single-practice sandbox (`createEmisSandbox`) is unchanged; this mode shares its diary,
 * its sign-in rules and its wire formats.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { answerSandboxErrors, createSandboxHttp, seededRandom } from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import type { MatchedPatient, TokenRequest } from '../partner-api.ts';
import { buildDemoDiary, DEMO_PATIENTS, DEMO_SLOT_TYPE } from './demo-diary.ts';
import { type DiarySeed, EmisDiary, toWireDate } from './diary.ts';
import type { SandboxConnection } from './index.ts';
import { DEFAULT_PARTNER_USER, PartnerAccess } from './partner-access.ts';
import {
  OPERATION_BY_PATH,
  optionalString,
  organisationInformation,
  type Query,
  requiredDateRange,
  requiredInteger,
  requiredString,
  requiredWindow,
  TOKEN_PATH,
} from './partner-api-routes.ts';
import { errorResponseBody, SandboxError } from './sandbox-error.ts';

export interface EmisFleetOptions {
  /** How long every Partner API call waits before it is answered, in ms. Default 100. */
  latencyMs?: number;
  /** Days of diary per practice, from today. Default 28. */
  days?: number;
  /** The practices' IANA time zone. Default Europe/London. */
  timeZone?: string;
  /** The partner application's id (the applicationId header). Default `slotbridge-fleet`. */
  applicationId?: string;
  /** The API password of every practice's partner user. Default that of the single sandbox. */
  apiPassword?: string;
  /** The most practices the fleet opens; a sign-in beyond it is refused. Default 10 000. */
  maxPractices?: number;
  /**
   * `open` (the default): every calendar day has sessions — the demo's weekdays laid one after
   * another from today, five in seven of their sessions, so a week holds as many as the demo's —
   * and a load test finds slots in the next 48 hours on any day of the week.
   * `closed`: the demo diary as it is, weekends empty.
   */
  weekends?: 'open' | 'closed';
  /** Seed of the reception changes' random choices. Default 1. */
  seed?: number;
  /** Fastify's logger option. Default false. */
  logger?: boolean;
}

/** One BookAppointment the fleet accepted. */
export interface FleetBooking {
  cdbNumber: string;
  slotId: number;
  patientNumber: number;
  reason: string;
  /** Epoch ms. */
  at: number;
}

/** One practice of the fleet. */
export interface FleetPractice {
  cdbNumber: string;
  odsCode: string;
  diary: EmisDiary;
  access: PartnerAccess;
  /** Successful BookAppointment calls, oldest first. */
  bookings: FleetBooking[];
}

/** What a reception change did. */
export interface FleetChange {
  cdbNumber: string;
  change: 'booked' | 'freed';
  slotId: number;
  sessionId: number;
  slotTypeId: string;
  /** yyyy-mm-dd and HH:mm, practice-local. */
  date: string;
  startTime: string;
  /** The slot's start, ISO 8601 UTC. */
  startAt: string;
  /** When the change was made, epoch ms. */
  at: number;
  /**
   * Free slots of the chosen slot types starting at the same time, after the change: how many
   * a booking product should offer at that minute once it has seen the change.
   */
  freeAtStart: number;
}

export interface FleetChangeOptions {
  /** The window the slot starts in, in hours from now: [fromHours, toHours). Default [1, 48). */
  fromHours?: number;
  toHours?: number;
  /** Book a free slot, free a slot reception booked, or either (the default). */
  kind?: 'book' | 'free' | 'either';
  /** Slot types to pick from. Default the demo's bookable types (GP, nurse, telephone). */
  slotTypeIds?: string[];
}

export interface FleetStats {
  practices: number;
  /** Partner API calls answered since the start, by operation. */
  calls: Record<string, number>;
  /** Calls being answered now, and the most at once since the start. */
  inFlight: number;
  maxInFlight: number;
  /**
   * GetAppointmentSessions calls by the length of their window: at most 3 calendar days (a read
   * of the near window, today and the next 48 hours) and longer (the rest of the horizon).
   */
  sessionReads: { near: number; far: number };
  bookings: number;
}

export interface EmisFleet {
  app: FastifyInstance;
  readonly url: string;
  readonly latencyMs: number;
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  /** The practice with this CDB number, opened (and its diary generated) on first use. */
  practice(cdbNumber: string): FleetPractice;
  /** The settings practice `cdbNumber` would type in. Needs `listen()` first. */
  connection(cdbNumber: string): SandboxConnection;
  /** Reception books or frees one slot of the practice; null when no slot fits. */
  change(cdbNumber: string, options?: FleetChangeOptions): FleetChange | null;
  stats(): FleetStats;
}

const DEFAULT_APPLICATION_ID = 'slotbridge-fleet';
/** The patient every match answers: in every demo diary. */
const MATCHED_PATIENT = DEMO_PATIENTS[0]!;
const RECEPTION_PATIENT = DEMO_PATIENTS[1]!;
const RECEPTION_REASON = 'Booked at reception';
const OFFERED_TYPES = [DEMO_SLOT_TYPE.ROUTINE_GP, DEMO_SLOT_TYPE.NURSE, DEMO_SLOT_TYPE.TELEPHONE];

/** The ODS code the fleet gives practice `cdbNumber`: `Y` and the number. */
export function fleetOdsCode(cdbNumber: string): string {
  return `Y${cdbNumber.trim()}`;
}

/** The demo diary's seed for a CDB number: the same number, the same diary. */
function diarySeedOf(cdbNumber: string): number {
  let hash = 2166136261;
  for (const char of cdbNumber) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return (hash >>> 0) % 2_147_483_647 || 1;
}

/**
 * The demo diary spread over every calendar day from today: day k gets the sessions of the demo's
 * k-th weekday, five in seven of them (a rotating choice), so a week holds as many sessions as the
 * demo's five weekdays do and a near window always has some.
 */
function everyDayDiary(timeZone: string, days: number, seed: number): DiarySeed {
  const diary = buildDemoDiary({ timeZone, days: Math.ceil((days * 7) / 5) + 7, seed });
  const today = DateTime.now().setZone(timeZone).startOf('day');
  const byDate = new Map<string, DiarySeed['sessions']>();
  for (const session of diary.sessions)
    byDate.set(session.date, [...(byDate.get(session.date) ?? []), session]);
  const weekdays = [...byDate.keys()].sort().slice(0, days);
  return {
    ...diary,
    sessions: weekdays.flatMap((weekday, offset) => {
      const date = today.plus({ days: offset }).toISODate()!;
      return byDate
        .get(weekday)!
        .filter((_, index) => (index + offset) % 7 < 5)
        .map((session) => ({ ...session, date }));
    }),
  };
}

/** GetMatchedPatients in fleet mode: one record, with the date of birth and names asked for. */
function matchEveryone(matchedTerms: string): MatchedPatient[] {
  const terms = matchedTerms.split(/\s+/).filter(Boolean);
  if (terms.length === 0) throw new SandboxError('INVALID_PARAMETER', 'matchedTerms is empty');
  const dateOfBirth = terms.find((term) => /^\d{2}\/\d{2}\/\d{4}$/.test(term));
  const names = terms.filter((term) => term !== dateOfBirth);
  const firstNames = names.slice(0, -1).join(' ') || MATCHED_PATIENT.firstNames;
  const familyName = names.at(-1) ?? MATCHED_PATIENT.familyName;
  const number = String(MATCHED_PATIENT.patientNumber);
  return [
    {
      dbid: number,
      refID: number,
      guid: `00000000-0000-4000-a000-${number.padStart(12, '0')}`,
      dateOfBirth: dateOfBirth ?? toWireDate(MATCHED_PATIENT.dateOfBirth),
      sex: MATCHED_PATIENT.sex,
      familyName,
      callingName: firstNames.split(' ')[0]!,
      firstNames,
      title: MATCHED_PATIENT.title,
      nhsNumber: '',
    },
  ];
}

export async function createEmisFleet(options: EmisFleetOptions = {}): Promise<EmisFleet> {
  const latencyMs = options.latencyMs ?? 100;
  const days = options.days ?? 28;
  const timeZone = options.timeZone ?? 'Europe/London';
  const applicationId = options.applicationId ?? DEFAULT_APPLICATION_ID;
  const apiPassword = options.apiPassword ?? DEFAULT_PARTNER_USER.apiPassword!;
  const maxPractices = options.maxPractices ?? 10_000;
  const random = seededRandom(options.seed ?? 1);
  const http = await createSandboxHttp({ name: 'EMIS fleet', logger: options.logger, strictBodies: true });
  const { app, closing } = http;
  const practices = new Map<string, FleetPractice>();
  /** token → the practice it signs in to. */
  const practiceOfToken = new Map<string, FleetPractice>();
  const calls: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  const sessionReads = { near: 0, far: 0 };
  let bookingCount = 0;
  let messageCounter = 0;

  function practice(cdbNumber: string): FleetPractice {
    const cdb = cdbNumber.trim();
    let found = practices.get(cdb);
    if (found) return found;
    if (!/^\d{1,9}$/.test(cdb)) {
      throw new SandboxError(
        'ORGANISATION_UNKNOWN',
        'Invalid login: no organisation has this organisation ID',
      );
    }
    if (practices.size >= maxPractices) {
      throw new SandboxError('ORGANISATION_UNKNOWN', `The fleet holds at most ${maxPractices} practices`);
    }
    const diary = new EmisDiary();
    const seed = diarySeedOf(cdb);
    diary.seed(
      options.weekends === 'closed'
        ? buildDemoDiary({ timeZone, days, seed })
        : everyDayDiary(timeZone, days, seed),
    );
    const odsCode = fleetOdsCode(cdb);
    const access = new PartnerAccess(
      {
        applicationId,
        cdbNumber: cdb,
        odsCode,
        organisationName: `Fleet Surgery ${cdb}`,
        partnerUsers: [{ ...DEFAULT_PARTNER_USER, apiPassword }],
      },
      3600,
    );
    found = { cdbNumber: cdb, odsCode, diary, access, bookings: [] };
    practices.set(cdb, found);
    return found;
  }

  /** The practice a data call's bearer token signs in to; checkBearer's errors otherwise. */
  function practiceOf(authorization: string | undefined): FleetPractice {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new SandboxError('TOKEN_MISSING', 'A bearer token is required');
    const found = practiceOfToken.get(token);
    if (!found) throw new SandboxError('TOKEN_INVALID', 'The bearer token is not valid');
    found.access.checkBearer(authorization);
    return found;
  }

  function change(cdbNumber: string, changeOptions: FleetChangeOptions = {}): FleetChange | null {
    const { diary, bookings } = practice(cdbNumber);
    const now = Date.now();
    const from = now + (changeOptions.fromHours ?? 1) * 3_600_000;
    const to = now + (changeOptions.toHours ?? 48) * 3_600_000;
    const kind = changeOptions.kind ?? 'either';
    const types = new Set(changeOptions.slotTypeIds ?? OFFERED_TYPES);
    const ours = new Set(bookings.map((booking) => booking.slotId));
    const candidates: Omit<FleetChange, 'at' | 'cdbNumber' | 'freeAtStart'>[] = [];
    let day = DateTime.fromMillis(from, { zone: timeZone }).startOf('day');
    while (day.toMillis() < to) {
      const date = day.toISODate()!;
      for (const session of diary.day(date)) {
        for (const slot of session.slots) {
          if (!types.has(slot.slotTypeId) || ours.has(slot.slotId)) continue;
          const startAt = DateTime.fromISO(`${date}T${slot.startTime}`, { zone: timeZone }).toMillis();
          if (startAt < from || startAt >= to) continue;
          const free = slot.status === 'Slot Available';
          const receptionBooked = slot.status === 'Booked';
          if ((free && kind !== 'free') || (receptionBooked && kind !== 'book')) {
            candidates.push({
              change: free ? 'booked' : 'freed',
              slotId: slot.slotId,
              sessionId: session.sessionId,
              slotTypeId: slot.slotTypeId,
              date,
              startTime: slot.startTime,
              startAt: new Date(startAt).toISOString(),
            });
          }
        }
      }
      day = day.plus({ days: 1 });
    }
    const chosen = candidates[Math.floor(random() * candidates.length)];
    if (!chosen) return null;
    if (chosen.change === 'booked') {
      diary.receptionBook(chosen.slotId, RECEPTION_PATIENT.patientNumber, RECEPTION_REASON);
    } else {
      diary.receptionCancel(chosen.slotId);
    }
    const freeAtStart = diary
      .day(chosen.date)
      .flatMap((session) => session.slots)
      .filter(
        (slot) =>
          slot.startTime === chosen.startTime &&
          types.has(slot.slotTypeId) &&
          slot.status === 'Slot Available',
      ).length;
    return { ...chosen, cdbNumber: cdbNumber.trim(), at: Date.now(), freeAtStart };
  }

  const fleet: EmisFleet = {
    app,
    get url() {
      return http.url;
    },
    latencyMs,
    listen: (port = 0) => http.listen(port),
    close: () => http.close(),
    practice,
    connection(cdbNumber) {
      return {
        baseUrl: fleet.url,
        applicationId,
        cdbNumber: cdbNumber.trim(),
        username: DEFAULT_PARTNER_USER.username,
        apiPassword,
      };
    },
    change,
    stats() {
      return {
        practices: practices.size,
        calls: { ...calls },
        inFlight,
        maxInFlight,
        sessionReads: { ...sessionReads },
        bookings: bookingCount,
      };
    },
  };

  // Every Partner API call: counted, then held for the latency, then checked like the sandbox's.
  app.addHook('onRequest', async (request) => {
    const path = request.routeOptions.url ?? '';
    const operation = OPERATION_BY_PATH[path];
    if (operation === undefined) return;
    calls[operation] = (calls[operation] ?? 0) + 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: closing }).catch(() => undefined);
    if (path === '/') return;
    const header = request.headers.applicationid;
    if (header === undefined || header === '') {
      throw new SandboxError('APPLICATION_ID_MISSING', 'The applicationId header is required');
    }
    if (header !== applicationId) {
      throw new SandboxError('APPLICATION_ID_UNKNOWN', 'The applicationId is not known to EMIS');
    }
  });
  app.addHook('onResponse', async (request) => {
    if (OPERATION_BY_PATH[request.routeOptions.url ?? ''] !== undefined) inFlight -= 1;
  });

  answerSandboxErrors<SandboxError>(app, {
    isSandboxError: (error) => error instanceof SandboxError,
    refused: (_statusCode, message) => new SandboxError('INVALID_PARAMETER', message),
    internal: () => new SandboxError('INTERNAL_ERROR', 'Internal error'),
    send(reply, error) {
      messageCounter += 1;
      const messageId = `00000000-0000-4000-8000-${String(messageCounter).padStart(12, '0')}`;
      return reply.code(error.status).send(errorResponseBody(error, messageId));
    },
  });

  // ---- the Partner API, per practice ---------------------------------------------------------

  app.get('/', async () => ({ status: 'ok' }));

  app.post(TOKEN_PATH, async (request) => {
    const body = request.body as Partial<TokenRequest> | null;
    if (typeof body?.organisationId !== 'string') {
      throw new SandboxError(
        'INVALID_PARAMETER',
        'organisationId, userName and password are required strings',
      );
    }
    const signingIn = practice(body.organisationId);
    const answer = signingIn.access.signIn(body);
    practiceOfToken.set(answer.access_token, signingIn);
    return answer;
  });

  app.get('/api/v1/appointments/GetAppointmentConfiguration', async (request) => {
    const { diary } = practiceOf(request.headers.authorization);
    const { startDate, endDate } = requiredDateRange(request.query as Query);
    return diary.configuration(startDate, endDate);
  });

  app.get('/api/v1/appointments/GetAppointmentSessions', async (request) => {
    const { diary } = practiceOf(request.headers.authorization);
    const query = request.query as Query;
    const { startDate, endDate } = requiredWindow(query);
    const days = (Date.parse(endDate) - Date.parse(startDate)) / 86_400_000 + 1;
    sessionReads[days <= 3 ? 'near' : 'far'] += 1;
    const slotType = optionalString(query, 'slotType');
    return { appointmentSession: diary.sessions(startDate, endDate, slotType === '' ? null : slotType) };
  });

  app.get('/api/v1/appointments/GetSlotsForSession', async (request) => {
    const { diary } = practiceOf(request.headers.authorization);
    return { slot: diary.slotsForSession(requiredInteger(request.query as Query, 'appointmentSessionId')) };
  });

  app.get('/api/v1/appointments/BookAppointment', async (request) => {
    const booking = practiceOf(request.headers.authorization);
    const query = request.query as Query;
    const input = {
      slotId: requiredInteger(query, 'slotId'),
      patientNumber: requiredInteger(query, 'patientNumber'),
      reason: requiredString(query, 'reason'),
      bookingNote: optionalString(query, 'bookingNote') ?? '',
    };
    const bookedBy = requiredString(query, 'bookedBy');
    if (!booking.access.isUserInRole(bookedBy)) {
      throw new SandboxError(
        'BOOKED_BY_UNKNOWN',
        `bookedBy ${bookedBy} is not a staff DBID of this organisation`,
      );
    }
    const answer = booking.diary.book(input);
    booking.bookings.push({
      cdbNumber: booking.cdbNumber,
      slotId: input.slotId,
      patientNumber: input.patientNumber,
      reason: input.reason,
      at: Date.now(),
    });
    bookingCount += 1;
    return answer;
  });

  app.get('/api/v1/appointments/CancelAppointment', async (request) => {
    const { diary } = practiceOf(request.headers.authorization);
    const query = request.query as Query;
    return diary.cancel(requiredInteger(query, 'slotId'), requiredInteger(query, 'patientNumber'));
  });

  app.patch('/api/v1/appointments/SetSlotType', async (request, reply) => {
    const { diary } = practiceOf(request.headers.authorization);
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
    const { diary } = practiceOf(request.headers.authorization);
    const query = request.query as Query;
    return diary.setSlotNotes(requiredInteger(query, 'slotId'), optionalString(query, 'slotNotes') ?? '');
  });

  app.get('/api/v1/patientMatching/GetMatchedPatients', async (request) => {
    practiceOf(request.headers.authorization);
    return {
      patientList: matchEveryone(requiredString(request.query as Query, 'matchedTerms')),
      peopleList: [],
    };
  });

  app.get('/api/v1/organisation/GetOrganisation', async (request) => {
    const { diary, access } = practiceOf(request.headers.authorization);
    return organisationInformation(diary, access);
  });

  // ---- the control surface (`/_fleet/…`, JSON, no authentication, never delayed) ---------------

  app.get('/_fleet/stats', async () => fleet.stats());

  app.post('/_fleet/practices/:cdbNumber/change', async (request, reply) => {
    const { cdbNumber } = request.params as { cdbNumber: string };
    const made = change(cdbNumber, (request.body ?? {}) as FleetChangeOptions);
    return made ?? reply.code(404).send({ error: 'No slot fits the change' });
  });

  app.get('/_fleet/practices/:cdbNumber/diary', async (request) => {
    const { cdbNumber } = request.params as { cdbNumber: string };
    const { date } = request.query as { date?: string };
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new SandboxError('INVALID_PARAMETER', 'date is yyyy-mm-dd');
    return { date, sessions: practice(cdbNumber).diary.day(date) };
  });

  app.get('/_fleet/bookings', async () => ({
    bookings: [...practices.values()].flatMap((p) => p.bookings),
  }));

  await app.ready();
  return fleet;
}
