/**
 * `@slotbridge/plugin-hs1-exact/sandbox`: a stand-in for HS1 Exact's online-booking cloud API
 * and the practice's own Exact server behind it, for tests and the demo. A Fastify app with
 * in-memory state; the plugin's client talks to it over real HTTP. The wire is *modelled*.
 *
 *   const sandbox = await createHs1ExactSandbox({ demo: { days: 28 } });
 *   const baseUrl = await sandbox.listen();         // http://127.0.0.1:<port>
 *   const connection = sandbox.connection();        // what a practice would type in
 *   …
 *   await sandbox.close();
 */
import { answerSandboxErrors, createSandboxHttp, installFaultPlayback } from '@slotbridge/core/sandbox-kit';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { CloudAccess, type CloudAccount } from './cloud-account.ts';
import { OPERATION_BY_ROUTE, registerCloudApiRoutes } from './cloud-api-routes.ts';
import { registerControlRoutes } from './control-routes.ts';
import { buildDemoDiary, type DemoDiaryOptions } from './demo-diary.ts';
import { type Fault, FaultInjector, faultError } from './faults.ts';
import { ExactPracticeServer, type PracticeSeed } from './practice-server.ts';
import { SandboxError } from './sandbox-error.ts';

export { type CloudAccount, DEFAULT_CLOUD_ACCOUNT } from './cloud-account.ts';
export { startDemoSandbox } from './demo.ts';
export {
  buildDemoDiary,
  DEMO_PRACTICE,
  DEMO_PROVIDER,
  DEMO_PROVIDERS,
  DEMO_REASON,
  type DemoDiaryOptions,
} from './demo-diary.ts';
export {
  type ChaosSpec,
  DEFAULT_CHAOS_FAULTS,
  FAULT_STATUSES,
  type Fault,
  type FaultSpec,
} from './faults.ts';
export {
  type AppointmentSeed,
  type ClinicSeed,
  type CreatedAppointmentLog,
  type DiaryAppointment,
  type DiaryDay,
  ExactPracticeServer,
  type PracticeSeed,
  type SandboxPatient,
  type SandboxProvider,
  type WorkingHoursSeed,
} from './practice-server.ts';
export { SANDBOX_ERRORS, SandboxError, type SandboxErrorCode } from './sandbox-error.ts';

export interface Hs1ExactSandboxOptions {
  /** The practice server's IANA time zone. Default Australia/Sydney. */
  timeZone?: string;
  /** Overrides of the cloud account (slug, API key, practice server online). */
  account?: Partial<CloudAccount>;
  /** The practice server's clock; default the real one. `setClock` changes it later. */
  now?: Date;
  /** Seed the demo diary at creation. */
  demo?: DemoDiaryOptions;
  /** Fastify's logger option. Default false. */
  logger?: boolean;
}

/** One call the sandbox received: the operation, the status it answered, the fault it played. */
export interface SandboxCall {
  operation: string;
  method: string;
  statusCode: number | null;
  fault: Fault['kind'] | null;
}

/** The connection settings a practice would enter to reach this sandbox. */
export interface SandboxConnection {
  baseUrl: string;
  slug: string;
  apiKey: string;
}

export interface Hs1ExactSandbox {
  app: FastifyInstance;
  /** The base URL, once `listen()` has answered. */
  readonly url: string;
  readonly timeZone: string;
  /** The practice's Exact server: Web Setup, Online Booking Configuration, appointment book. */
  practiceServer: ExactPracticeServer;
  /** The practice's cloud account: slug, API key, practice server online or not. */
  access: CloudAccess;
  faults: FaultInjector;
  /** Every cloud API call received, oldest first (the control surface's calls are not logged). */
  calls: SandboxCall[];
  /** Listens on 127.0.0.1, on a free port; answers the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
  /** The settings that reach this sandbox's practice (needs `listen()` first). */
  connection(): SandboxConnection;
  /** Replaces the practice's set-up and diary with `seed`. */
  seed(seed: PracticeSeed): void;
  /** Replaces the practice's set-up and diary with the demo practice. */
  seedDemoDiary(options?: DemoDiaryOptions): void;
  /** The practice server switched off (502 on every relayed call) or on again. */
  setPracticeServerOnline(online: boolean): void;
  /** Sets the practice server's clock (null: the real clock again). */
  setClock(now: Date | null): void;
  /** The practice server's local date-time, `yyyy-MM-ddTHH:mm:ss`. */
  serverTime(): string;
  /** Empties the practice, restores the account, clock and faults, clears the call log. */
  reset(): void;
}

export async function createHs1ExactSandbox(options: Hs1ExactSandboxOptions = {}): Promise<Hs1ExactSandbox> {
  const timeZone = options.timeZone ?? 'Australia/Sydney';
  const http = await createSandboxHttp({ name: 'HS1 Exact sandbox', logger: options.logger });
  const { app } = http;
  const practiceServer = new ExactPracticeServer();
  const access = new CloudAccess(options.account ?? {});
  const faults = new FaultInjector();
  const calls: SandboxCall[] = [];
  let clock: Date | null = options.now ?? null;

  const sandbox: Hs1ExactSandbox = {
    app,
    get url() {
      return http.url;
    },
    timeZone,
    practiceServer,
    access,
    faults,
    calls,
    listen: () => http.listen(),
    close: () => http.close(),
    connection() {
      const { slug, apiKey } = access.account;
      return { baseUrl: sandbox.url, slug, apiKey };
    },
    seed(seed) {
      practiceServer.seed(seed);
    },
    seedDemoDiary(demoOptions = {}) {
      practiceServer.seed(buildDemoDiary({ timeZone, ...demoOptions }));
    },
    setPracticeServerOnline(online) {
      access.update({ practiceServerOnline: online });
    },
    setClock(now) {
      clock = now;
    },
    serverTime() {
      return DateTime.fromJSDate(clock ?? new Date(), { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    },
    reset() {
      practiceServer.clear();
      access.reset(options.account ?? {});
      clock = options.now ?? null;
      faults.clear();
      calls.length = 0;
    },
  };

  // Faults play first, as a failing server fails before it looks at credentials.
  installFaultPlayback(app, {
    operationOf: (request) => OPERATION_BY_ROUTE[request.routeOptions.url ?? ''],
    faults,
    calls,
    entryOf: (operation, request, fault) => ({
      operation,
      method: request.method,
      statusCode: null,
      fault: fault?.kind ?? null,
    }),
    errorOf: faultError,
    closing: http.closing,
  });

  answerSandboxErrors<SandboxError>(app, {
    isSandboxError: (error) => error instanceof SandboxError,
    refused: (_statusCode, message) => new SandboxError('INVALID_PARAMETER', message),
    internal: () => new SandboxError('INTERNAL_ERROR', 'Internal error'),
    notFound: (method, path) => new SandboxError('ROUTE_NOT_FOUND', `No operation ${method} ${path}`),
    send: (reply, error) => reply.code(error.status).send(error.body),
  });

  registerCloudApiRoutes(app, practiceServer, access, () => sandbox.serverTime());
  registerControlRoutes(app, sandbox);

  if (options.demo) sandbox.seedDemoDiary(options.demo);
  await app.ready();
  return sandbox;
}
