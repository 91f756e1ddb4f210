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
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { CloudAccess, type CloudAccount } from './cloud-account.ts';
import { OPERATION_BY_ROUTE, registerCloudApiRoutes } from './cloud-api-routes.ts';
import { registerControlRoutes } from './control-routes.ts';
import { buildDemoDiary, type DemoDiaryOptions } from './demo-diary.ts';
import { type Fault, FaultInjector, faultError } from './faults.ts';
import { ExactPracticeServer, type PracticeSeed } from './practice-server.ts';
import { SandboxError } from './sandbox-error.ts';

export { type CloudAccount, DEFAULT_CLOUD_ACCOUNT } from './cloud-account.ts';
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
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  const closing = new AbortController();
  const practiceServer = new ExactPracticeServer();
  const access = new CloudAccess(options.account ?? {});
  const faults = new FaultInjector();
  const calls: SandboxCall[] = [];
  const callOf = new WeakMap<FastifyRequest, SandboxCall>();
  const answerLost = new WeakMap<FastifyRequest, 'drop' | 'hang'>();
  let clock: Date | null = options.now ?? null;
  let url: string | null = null;

  const sandbox: Hs1ExactSandbox = {
    app,
    get url() {
      if (url === null) throw new Error('The HS1 Exact sandbox is not listening: call listen() first');
      return url;
    },
    timeZone,
    practiceServer,
    access,
    faults,
    calls,
    async listen() {
      url = await app.listen({ host: '127.0.0.1', port: 0 });
      return url;
    },
    async close() {
      closing.abort();
      await app.close();
    },
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

  async function playFault(fault: Fault, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    switch (fault.kind) {
      case 'error':
        throw faultError(fault.status);
      case 'latency':
        await sleep(fault.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
        return;
      case 'hang':
        reply.hijack();
        await new Promise<void>((resolve) => {
          reply.raw.once('close', () => resolve());
          closing.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        request.raw.socket?.destroy();
        return;
      case 'drop':
        reply.hijack();
        request.raw.socket?.destroy();
        return;
      case 'lost-answer':
        // Carried out as usual; the answer is lost on its way back (onSend below).
        answerLost.set(request, fault.after ?? 'drop');
        return;
    }
  }

  /** A call carried out whose answer never reaches the client: dropped, or held until it gives up. */
  app.addHook('onSend', async (request, reply, payload) => {
    const lost = answerLost.get(request);
    if (lost === undefined) return payload;
    if (lost === 'hang') {
      await new Promise<void>((resolve) => {
        if (reply.raw.destroyed || request.raw.socket?.destroyed) return resolve();
        reply.raw.once('close', () => resolve());
        closing.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    request.raw.socket?.destroy();
    return payload;
  });

  // Faults play first, as a failing server fails before it looks at credentials.
  app.addHook('onRequest', async (request, reply) => {
    const operation = OPERATION_BY_ROUTE[request.routeOptions.url ?? ''];
    if (operation === undefined) return;
    const fault = faults.take(operation) ?? null;
    const call: SandboxCall = {
      operation,
      method: request.method,
      statusCode: null,
      fault: fault?.kind ?? null,
    };
    calls.push(call);
    callOf.set(request, call);
    if (fault) await playFault(fault, request, reply);
  });

  app.addHook('onResponse', async (request, reply) => {
    const call = callOf.get(request);
    if (call) call.statusCode = reply.statusCode;
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    let sandboxError: SandboxError;
    if (error instanceof SandboxError) sandboxError = error;
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      sandboxError = new SandboxError('INVALID_PARAMETER', error.message);
    } else sandboxError = new SandboxError('INTERNAL_ERROR', 'Internal error');
    return reply.code(sandboxError.status).send(sandboxError.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new SandboxError(
      'ROUTE_NOT_FOUND',
      `No operation ${request.method} ${request.url.split('?')[0]}`,
    );
    return reply.code(404).send(error.body);
  });

  registerCloudApiRoutes(app, practiceServer, access, () => sandbox.serverTime());
  registerControlRoutes(app, sandbox);

  if (options.demo) sandbox.seedDemoDiary(options.demo);
  await app.ready();
  return sandbox;
}
