/**
 * Shared set-up for the SystmOne tests: a sandbox listening on 127.0.0.1 (closed when the test
 * ends), a hook context for it, a small hand-written diary, and a raw TCP caller for the wire.
 */
import { connect } from 'node:net';
import type { EhrContext } from '@slotbridge/core';
import { EhrError } from '@slotbridge/core';
import { hookContext, type LogEntry } from '@slotbridge/core/testing';
import { EofFramer } from '../src/client-integration-api.ts';
import type { SystmOneConnection } from '../src/connection.ts';
import {
  createSystmOneSandbox,
  type DiarySeed,
  type SystmOneSandbox,
  type SystmOneSandboxOptions,
} from '../src/sandbox/index.ts';

export async function startSandbox(
  t: { teardown(fn: () => unknown): void },
  options: SystmOneSandboxOptions = {},
): Promise<SystmOneSandbox> {
  const sandbox = await createSystmOneSandbox(options);
  t.teardown(() => sandbox.close());
  return sandbox;
}

/** A hook context on `connection`; `logs` collects what the plugin logged. */
export function contextFor(
  connection: SystmOneConnection,
  options: { timeZone?: string; signal?: AbortSignal } = {},
): EhrContext<SystmOneConnection> & { logs: LogEntry[] } {
  return hookContext(connection, {
    practice: { name: 'Riverside', odsCode: 'A81001', timeZone: options.timeZone ?? 'Europe/London' },
    ...(options.signal && { signal: options.signal }),
  });
}

/** The facts of an EhrError worth asserting, whole. */
export async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof EhrError)) throw new Error(`expected an EhrError, got ${String(error)}`);
  return {
    kind: error.kind,
    code: error.code,
    message: error.message,
    fix: error.fix,
    details: error.details,
  };
}

/**
 * Writes `bytes` on one connection and collects `replies` documents (text before each `<EOF>`);
 * answers early with what came when the server closes the connection or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  bytes: Buffer | string,
  replies: number,
  waitMs = 2000,
): Promise<{ documents: string[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const framer = new EofFramer();
    const documents: string[] = [];
    const timer = setTimeout(() => finish(false), waitMs);
    function finish(closedByServer: boolean) {
      clearTimeout(timer);
      socket.destroy();
      resolve({ documents, closedByServer });
    }
    socket.once('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      documents.push(...framer.push(chunk));
      if (documents.length >= replies) finish(false);
    });
    socket.on('error', reject);
    socket.on('close', () => finish(true));
  });
}

/** Two sites' worth of a tiny practice: two users, three slot types, two patients, two clinics on Mon 2 Feb 2026. */
export const SMALL_DIARY: DiarySeed = {
  organisation: { name: 'Riverside Medical Practice', odsCode: 'A81001' },
  users: [
    { userName: 'AHart', fullName: 'Dr Amelia Hart', role: 'GP', deviceApproved: true },
    { userName: 'HeroGateway', fullName: 'Hero Gateway', role: 'Integration', deviceApproved: true },
  ],
  sites: ['Riverside Surgery', 'Hillview Branch Surgery'],
  clinicTypes: ['GP Clinic'],
  slotTypes: [
    { name: 'Routine GP', bookableByThirdParties: true },
    { name: 'Telephone Consultation', bookableByThirdParties: true },
    { name: 'Baby Clinic', bookableByThirdParties: false },
  ],
  patients: [
    {
      nhsNumber: '9990000018',
      title: 'Mrs',
      firstName: 'Alice',
      surname: 'Jones',
      dateOfBirth: '1984-02-29',
    },
    { nhsNumber: '9990000026', title: 'Mr', firstName: 'Bashir', surname: 'Khan', dateOfBirth: '1957-11-03' },
  ],
  clinics: [
    {
      userName: 'AHart',
      siteName: 'Riverside Surgery',
      clinicType: 'GP Clinic',
      date: '2026-02-02',
      slotMinutes: 10,
      slots: [
        { time: '09:00', slotType: 'Routine GP' }, // slot 1: free
        { time: '09:10', slotType: 'Routine GP', nhsNumber: '9990000026' }, // slot 2: booked
        { time: '09:20', slotType: 'Routine GP', blocked: true }, // slot 3: blocked
        { time: '09:30', slotType: 'Baby Clinic' }, // slot 4: not bookable by third parties
        { time: '09:40', slotType: 'Telephone Consultation', duration: 15 }, // slot 5: free
      ],
    },
    {
      userName: 'AHart',
      siteName: 'Hillview Branch Surgery',
      clinicType: 'GP Clinic',
      date: '2026-02-03',
      slotMinutes: 10,
      slots: [{ time: '14:00', slotType: 'Routine GP' }], // slot 6: free
    },
  ],
};
