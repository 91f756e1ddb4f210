/**
 * `@slotbridge/plugin-systmone/sandbox`: a stand-in for TPP SystmOne's Client Integration API
 * behind the practice's gateway, for tests and the demo. A TCP server on 127.0.0.1 with
 * in-memory state; the plugin's client talks to it over real TCP. The control surface is the
 * methods below, and the same over a small HTTP server (`listenControl()`).
 *
 *   const sandbox = await createSystmOneSandbox({ demo: { days: 28 } }); // listening already
 *   const connection = sandbox.connection();   // what a practice would type in
 *   …
 *   await sandbox.close();
 */
import { createSandboxHttp, type SandboxHttp } from '@slotbridge/core/sandbox-kit';
import { registerControlRoutes } from './control-routes.ts';
import { buildDemoDiary, type DemoDiaryOptions } from './demo-diary.ts';
import { type DiarySeed, SystmOneDiary } from './diary.ts';
import { FaultInjector } from './faults.ts';
import { ClientIntegration, DEFAULT_INTEGRATION_SETUP, type IntegrationSetup } from './functions.ts';
import { IntegrationServer, type SandboxCall } from './integration-server.ts';

export { startDemoSandbox } from './demo.ts';
export {
  buildDemoDiary,
  DEMO_PATIENTS,
  DEMO_PLACEHOLDER_NHS_NUMBER,
  DEMO_SITES,
  DEMO_SLOT_TYPES,
  DEMO_USERS,
  type DemoDiaryOptions,
} from './demo-diary.ts';
export {
  APPOINTMENT_STATUSES,
  type AppointmentStatus,
  type ClinicSeed,
  type DiaryAppointment,
  type DiaryClinic,
  type DiarySeed,
  type DiarySlot,
  type SandboxPatient,
  type SandboxSlotType,
  type SandboxUser,
  type SlotAddress,
  type SlotSeed,
  SystmOneDiary,
} from './diary.ts';
export type { Fault, FaultKind, FaultSpec } from './faults.ts';
export { DEFAULT_INTEGRATION_SETUP, type IntegrationSetup } from './functions.ts';
export type { SandboxCall } from './integration-server.ts';
export { SANDBOX_ERRORS, SandboxError, type SandboxErrorCode, sandboxMessages } from './sandbox-error.ts';

export interface SystmOneSandboxOptions {
  /** The practice's IANA time zone (what "today" means for the demo diary). Default Europe/London. */
  timeZone?: string;
  /** Overrides of the integration set-up; the default is a practice set up correctly. */
  setup?: Partial<IntegrationSetup>;
  /** Seed the demo diary at creation. */
  demo?: DemoDiaryOptions;
}

/** The connection settings a practice would enter to reach this sandbox. */
export interface SandboxConnection {
  host: string;
  port: number;
  apiKey: string;
  deviceId: string;
  deviceVersion: string;
  userName: string;
}

export interface SystmOneSandbox {
  readonly host: string;
  /** The TCP port of the Client Integration API (the gateway). */
  readonly port: number;
  readonly timeZone: string;
  diary: SystmOneDiary;
  faults: FaultInjector;
  /** Every request received, oldest first. */
  calls: SandboxCall[];
  /** The integration set-up: API key, device ID, the user logged in on the gateway PC, SystmOne's state. */
  readonly setup: IntegrationSetup;
  updateSetup(patch: Partial<IntegrationSetup>): IntegrationSetup;
  /** SystmOne on the gateway PC: `running`, or `closed` / `logged-out` (connections accepted, nothing answered). */
  setClientState(state: IntegrationSetup['clientState']): void;
  /** The user approves the slotbridge device in SystmOne (or the approval is withdrawn). */
  setDeviceApproved(userName: string, approved: boolean): void;
  /** The slot type's "bookable by third parties" set-up. */
  setSlotTypeBookable(slotType: string, bookable: boolean): void;
  /** Offline: the gateway's port refuses connections. Online again: the same port. */
  setGatewayOnline(online: boolean): Promise<void>;
  /** The settings that reach this sandbox as its integration user. */
  connection(): SandboxConnection;
  /** Replaces the diary with `seed`. */
  seed(seed: DiarySeed): void;
  /** Replaces the diary with the demo practice. */
  seedDemoDiary(options?: DemoDiaryOptions): void;
  /** Empties the diary, restores the set-up, clears faults, the call log and remembered RequestUIDs; back online. */
  reset(): Promise<void>;
  /** Starts the HTTP control server on 127.0.0.1 (a free port); answers its base URL. */
  listenControl(): Promise<string>;
  /** Stops everything. */
  close(): Promise<void>;
}

export async function createSystmOneSandbox(options: SystmOneSandboxOptions = {}): Promise<SystmOneSandbox> {
  const timeZone = options.timeZone ?? 'Europe/London';
  const diary = new SystmOneDiary();
  const faults = new FaultInjector();
  const calls: SandboxCall[] = [];
  let setup: IntegrationSetup = { ...DEFAULT_INTEGRATION_SETUP, ...options.setup };
  const integration = new ClientIntegration(diary, () => setup);
  const server = new IntegrationServer({ integration, faults, setup: () => setup, calls });
  let control: SandboxHttp | null = null;

  const sandbox: SystmOneSandbox = {
    get host() {
      return server.host;
    },
    get port() {
      return server.port;
    },
    timeZone,
    diary,
    faults,
    calls,
    get setup() {
      return { ...setup };
    },
    updateSetup(patch) {
      setup = { ...setup, ...patch };
      return { ...setup };
    },
    setClientState(clientState) {
      setup = { ...setup, clientState };
    },
    setDeviceApproved(userName, approved) {
      diary.setDeviceApproved(userName, approved);
    },
    setSlotTypeBookable(slotType, bookable) {
      diary.setSlotTypeBookable(slotType, bookable);
    },
    async setGatewayOnline(online) {
      if (online) await server.listen();
      else await server.goOffline();
    },
    connection() {
      return {
        host: server.host,
        port: server.port,
        apiKey: setup.apiKey,
        deviceId: setup.deviceId,
        deviceVersion: '1.0',
        userName: setup.loggedInUser,
      };
    },
    seed(seed) {
      diary.seed(seed);
    },
    seedDemoDiary(demoOptions = {}) {
      diary.seed(buildDemoDiary({ timeZone, ...demoOptions }));
    },
    async reset() {
      diary.clear();
      setup = { ...DEFAULT_INTEGRATION_SETUP, ...options.setup };
      faults.clear();
      calls.length = 0;
      integration.forget();
      await server.listen();
    },
    async listenControl() {
      if (control === null) {
        control = await createSandboxHttp({ name: 'SystmOne sandbox control server' });
        registerControlRoutes(control.app, sandbox);
        await control.listen();
      }
      return control.url;
    },
    async close() {
      await control?.close();
      await server.close();
    },
  };

  if (options.demo) sandbox.seedDemoDiary(options.demo);
  await server.listen();
  return sandbox;
}
