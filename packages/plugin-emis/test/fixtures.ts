/**
 * Shared set-up for the EMIS tests: a sandbox listening on 127.0.0.1 (closed when the test
 * ends), a hook context for it, and a small hand-written diary.
 */
import type { EhrContext } from '@slotbridge/core';
import { hookContext, type LogEntry } from '@slotbridge/core/testing';
import type { EmisConnection } from '../src/connection.ts';
import {
  createEmisSandbox,
  type DiarySeed,
  type EmisSandbox,
  type EmisSandboxOptions,
} from '../src/sandbox/index.ts';

export async function startSandbox(
  t: { teardown(fn: () => unknown): void },
  options: EmisSandboxOptions = {},
): Promise<EmisSandbox> {
  const sandbox = await createEmisSandbox(options);
  await sandbox.listen();
  t.teardown(() => sandbox.close());
  return sandbox;
}

/** A hook context on `connection`; `logs` collects what the plugin logged. */
export function contextFor(
  connection: EmisConnection,
  options: { timeZone?: string; signal?: AbortSignal; odsCode?: string | null } = {},
): EhrContext<EmisConnection> & { logs: LogEntry[] } {
  return hookContext(connection, {
    practice: {
      name: 'Riverside',
      odsCode: options.odsCode === undefined ? 'A81001' : options.odsCode,
      timeZone: options.timeZone ?? 'Europe/London',
    },
    ...(options.signal && { signal: options.signal }),
  });
}

/** One site, one holder, two slot types, one patient, one session on 2026-02-02 with four slots. */
export const SMALL_DIARY: DiarySeed = {
  sites: [{ dbid: 1, name: 'Riverside Surgery' }],
  holders: [{ dbid: 501, title: 'Dr', firstNames: 'Amelia', lastName: 'Hart' }],
  slotTypes: [
    { id: '11', description: 'Routine GP', display: 'GP', bookable: true, emisAccess: true },
    { id: '15', description: 'Baby clinic', display: 'Baby', bookable: false, emisAccess: false },
  ],
  patients: [
    {
      patientNumber: 9001,
      title: 'Mrs',
      firstNames: 'Alice',
      familyName: 'Jones',
      dateOfBirth: '1984-02-29',
      nhsNumber: '9990000018',
      sex: 'F',
    },
  ],
  sessions: [
    {
      dbid: 1001,
      name: 'Dr Hart AM',
      date: '2026-02-02',
      startTime: '09:00',
      endTime: '09:40',
      slotLength: 10,
      siteId: 1,
      holderIds: [501],
      slots: [
        { dbid: 100001, startTime: '09:00', slotTypeId: '11' },
        { dbid: 100002, startTime: '09:10', slotTypeId: '11', patientNumber: 9001, reason: 'Cough' },
        { dbid: 100003, startTime: '09:20', slotTypeId: '11', status: 'Blocked' },
        { dbid: 100004, startTime: '09:30', slotTypeId: '15' },
      ],
    },
  ],
};
