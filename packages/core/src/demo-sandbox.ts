import type { PatientDetails } from './ehr-plugin.ts';

/**
 * What a plugin's `/sandbox` export offers the server's demo (`npm start`): a function that starts
 * its sandbox with a realistic diary and says how to connect a demo practice to it. The server
 * loads it for every plugin it loads (SLOTBRIDGE_PLUGINS) and knows none by name:
 *
 *   // @slotbridge/plugin-acme/sandbox
 *   export const startDemoSandbox: StartDemoSandbox = async () => {
 *     const sandbox = await createAcmeSandbox({ demo: { days: 28 } });
 *     const url = await sandbox.listen();
 *     return { practiceName: 'Demo Clinic (Acme)', odsCode: null, timeZone: 'Europe/London',
 *       connection: sandbox.connection(), sandboxUrl: url, close: () => sandbox.close() };
 *   };
 *
 * The practice's EHR is the plugin's own id; it is set up from the sandbox's catalogue.
 */
export interface DemoSandbox {
  /** The demo practice's name; a restart finds the practice again by it. */
  practiceName: string;
  /** UK practices only, else null. */
  odsCode: string | null;
  /** The diary's IANA zone, e.g. `Europe/London`. */
  timeZone: string;
  /**
   * The practice's connection settings (the plugin's connection schema), pointing at this
   * sandbox, with whatever else the practice needs (e.g. a placeholder patient).
   */
  connection: Record<string, unknown>;
  /** The base URL of the sandbox's HTTP control surface (its diary: `/_sandbox/diary?date=…`). */
  sandboxUrl: string;
  /**
   * A (fictional) patient the sandbox's EHR matches: the start-up banner names them, so the demo
   * can be tried at once, and the server's end-to-end test books for them.
   */
  patient: PatientDetails;
  /** Stops the sandbox. */
  close(): Promise<void>;
}

/** The `startDemoSandbox` export of a plugin's `/sandbox` entry point. */
export type StartDemoSandbox = () => Promise<DemoSandbox>;
