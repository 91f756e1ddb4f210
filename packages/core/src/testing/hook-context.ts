/** A hook context for a plugin's own tests: the practice, the connection, and a log that records. */
import type { EhrContext, HookLogger, PracticeInfo } from '../ehr-plugin.ts';

export interface LogEntry {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function hookContext<C>(
  connection: C,
  options: { practice?: Partial<PracticeInfo>; signal?: AbortSignal } = {},
): EhrContext<C> & { logs: LogEntry[] } {
  const logs: LogEntry[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void => {
      logs.push({ level, obj, msg });
    };
  const log: HookLogger = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
  return {
    practice: {
      id: 'practice-1',
      name: 'Test practice',
      odsCode: null,
      timeZone: 'Europe/London',
      ...options.practice,
    },
    connection,
    log,
    signal: options.signal ?? new AbortController().signal,
    logs,
  };
}
