/**
 * The bench's child processes: the slotbridge server and workers, the fleet sandbox, the
 * ceiling routes. Each is started with `node` directly (so its pid is the process measured),
 * on 127.0.0.1, and every one still running is stopped when the bench ends, fails or is
 * interrupted (SIGTERM, then SIGKILL after a grace period; SIGKILL at process exit).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The exit code (or null after a signal), once it has exited. */
  exited: Promise<number | null>;
  readonly running: boolean;
  /** The last lines it printed (stdout and stderr), for error reports. */
  tail(): string;
  /** Resolves with the first line for which `match` answers a value; rejects if it exits first or on timeout. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();

export interface SpawnOptions {
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Print its output as it comes (with a prefix). */
  echo?: boolean;
}

export function spawnChild(name: string, options: SpawnOptions): Child {
  const proc = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      running = false;
      children.delete(child);
      resolve(code);
    });
    proc.once('error', () => {
      running = false;
      children.delete(child);
      resolve(null);
    });
  });
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 60) lines.shift();
      if (options.echo) console.log(`  [${name}] ${line}`);
      for (const listener of listeners) listener(line);
    });
  }
  const child: Child = {
    name,
    process: proc,
    pid: proc.pid,
    exited,
    get running() {
      return running;
    },
    tail: () => lines.join('\n'),
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = (error: Error | null, value?: unknown) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolve(value as never);
        };
        const listener = (line: string) => {
          const value = match(line);
          if (value !== undefined) done(null, value);
        };
        const timer = setTimeout(
          () => done(new Error(`${name}: not ready after ${timeoutMs} ms\n${child.tail()}`)),
          timeoutMs,
        );
        listeners.add(listener);
        void exited.then((code) =>
          done(new Error(`${name} exited (${code}) before it was ready\n${child.tail()}`)),
        );
      });
    },
    async stop(graceMs = 10_000) {
      if (!running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

/** Stops every child still running, in parallel. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop(5_000)));
}

process.once('exit', () => {
  for (const child of children) child.process.kill('SIGKILL');
});

/** Resident set size now and at its peak, in MiB, from /proc (Linux); null elsewhere or once gone. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}
