/**
 * `@slotbridge/plugin-emis/sandbox`: a stand-in EMIS Partner API 1.2 server for tests and the
 * demo. A Fastify app with in-memory state; the plugin's client talks to it over real HTTP.
 *
 *   const sandbox = await createEmisSandbox({ demo: { days: 28 } });
 *   const baseUrl = await sandbox.listen();         // http://127.0.0.1:<port>
 *   const connection = sandbox.connection();        // what a practice would type in
 *   …
 *   await sandbox.close();
 */
import { answerSandboxErrors, createSandboxHttp, installFaultPlayback } from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { registerControlRoutes } from './control-routes.ts';
import { buildDemoDiary, type DemoDiaryOptions } from './demo-diary.ts';
import { type DiarySeed, EmisDiary } from './diary.ts';
import { type Fault, FaultInjector, faultError } from './faults.ts';
import { PartnerAccess, type PartnerSetup } from './partner-access.ts';
import { OPERATION_BY_PATH, registerPartnerApiRoutes } from './partner-api-routes.ts';
import { errorResponseBody, SandboxError } from './sandbox-error.ts';

export { startDemoSandbox } from './demo.ts';
export { DEMO_PATIENTS, DEMO_SLOT_TYPE, type DemoDiaryOptions } from './demo-diary.ts';
export type {
  DiarySeed,
  DiarySession,
  DiarySlot,
  SandboxHolder,
  SandboxHoliday,
  SandboxPatient,
  SandboxSite,
  SandboxSlotType,
  SessionSeed,
  SlotSeed,
} from './diary.ts';
export { EmisDiary } from './diary.ts';
export {
  type ChaosSpec,
  DEFAULT_CHAOS_FAULTS,
  FAULT_STATUSES,
  type Fault,
  type FaultSpec,
} from './faults.ts';
export {
  createEmisFleet,
  type EmisFleet,
  type EmisFleetOptions,
  type FleetBooking,
  type FleetChange,
  type FleetChangeOptions,
  type FleetPractice,
  type FleetStats,
  fleetOdsCode,
} from './fleet.ts';
export {
  DEFAULT_PARTNER_SETUP,
  DEFAULT_PARTNER_USER,
  type PartnerSetup,
  type PartnerUser,
  type PartnerUserSeed,
} from './partner-access.ts';
export { MAX_SESSION_WINDOW_DAYS } from './partner-api-routes.ts';
export { SANDBOX_ERROR_SYSTEM, SANDBOX_ERRORS, type SandboxErrorCode } from './sandbox-error.ts';

export interface EmisSandboxOptions {
  /** The practice's IANA time zone (what "today" means for the demo diary). Default Europe/London. */
  timeZone?: string;
  /** Overrides of the partner set-up; the default is a practice set up correctly. */
  setup?: Partial<PartnerSetup>;
  /** Lifetime of the bearer tokens, in seconds. Default 3600. */
  tokenTtlSeconds?: number;
  /** Seed the demo diary at creation. */
  demo?: DemoDiaryOptions;
  /** Fastify's logger option. Default false. */
  logger?: boolean;
}

/** One call the sandbox received: the operation, the status it answered, the fault it played. */
export interface SandboxCall {
  operation: string;
  statusCode: number | null;
  fault: Fault['kind'] | null;
}

/** The connection settings a practice would enter to reach this sandbox. */
export interface SandboxConnection {
  baseUrl: string;
  applicationId: string;
  cdbNumber: string;
  username: string;
  apiPassword: string;
}

export interface EmisSandbox {
  app: FastifyInstance;
  /** The base URL, once `listen()` has answered. */
  readonly url: string;
  readonly timeZone: string;
  diary: EmisDiary;
  access: PartnerAccess;
  faults: FaultInjector;
  /** Every Partner API call received, oldest first (the control surface's calls are not logged). */
  calls: SandboxCall[];
  /** Listens on 127.0.0.1, on a free port; answers the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
  /**
   * The settings that sign in to this sandbox as `username` (default: the first partner user),
   * with its API password (empty when it is not ticked under Edit Users). Needs `listen()` first.
   */
  connection(username?: string): SandboxConnection;
  /** Replaces the diary with `seed`. */
  seed(seed: DiarySeed): void;
  /** Replaces the diary with the demo practice. */
  seedDemoDiary(options?: DemoDiaryOptions): void;
  /** Empties the diary, restores the default set-up, clears faults and the call log. */
  reset(): void;
}

function messageIdOf(counter: number): string {
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

export async function createEmisSandbox(options: EmisSandboxOptions = {}): Promise<EmisSandbox> {
  const timeZone = options.timeZone ?? 'Europe/London';
  // A control call with a field the sandbox does not know (a mistyped flag) is refused, not ignored.
  const http = await createSandboxHttp({ name: 'EMIS sandbox', logger: options.logger, strictBodies: true });
  const { app } = http;
  const diary = new EmisDiary();
  const access = new PartnerAccess(options.setup ?? {}, options.tokenTtlSeconds ?? 3600);
  const faults = new FaultInjector();
  const calls: SandboxCall[] = [];
  let messageCounter = 0;

  const sandbox: EmisSandbox = {
    app,
    get url() {
      return http.url;
    },
    timeZone,
    diary,
    access,
    faults,
    calls,
    listen: () => http.listen(),
    close: () => http.close(),
    connection(username) {
      const setup = access.setup;
      const user = username === undefined ? setup.partnerUsers[0] : access.user(username);
      if (!user) throw new Error('The EMIS sandbox has no partner user');
      return {
        baseUrl: sandbox.url,
        applicationId: setup.applicationId,
        cdbNumber: setup.cdbNumber,
        username: user.username,
        apiPassword: user.apiPassword ?? '',
      };
    },
    seed(seed) {
      diary.seed(seed);
    },
    seedDemoDiary(demoOptions = {}) {
      diary.seed(buildDemoDiary({ timeZone, ...demoOptions }));
    },
    reset() {
      diary.clear();
      access.reset(options.setup ?? {});
      faults.clear();
      calls.length = 0;
    },
  };

  // Faults play first, as a failing server fails before it looks at credentials.
  installFaultPlayback(app, {
    operationOf: (request) => OPERATION_BY_PATH[request.routeOptions.url ?? ''],
    faults,
    calls,
    errorOf: faultError,
    closing: http.closing,
  });

  answerSandboxErrors<SandboxError>(app, {
    isSandboxError: (error) => error instanceof SandboxError,
    refused: (statusCode, message) =>
      new SandboxError(statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_PARAMETER', message),
    internal: () => new SandboxError('INTERNAL_ERROR', 'Internal error'),
    notFound: (method, path) => new SandboxError('ROUTE_NOT_FOUND', `No operation ${method} ${path}`),
    send(reply, error) {
      messageCounter += 1;
      return reply.code(error.status).send(errorResponseBody(error, messageIdOf(messageCounter)));
    },
  });

  registerPartnerApiRoutes(app, diary, access);
  registerControlRoutes(app, sandbox);

  if (options.demo) sandbox.seedDemoDiary(options.demo);
  await app.ready();
  return sandbox;
}
