/**
 * Fault injection: the next calls of an operation fail (500, 502 practice server offline, 503,
 * 504 practice server timeout), answer late, hang until the client gives up, or have their
 * connection dropped. Faults are matched in the order they were added; each is used up after
 * `times` calls.
 */
import { FaultQueue } from '@slotbridge/core/sandbox-kit';
import { SandboxError } from './sandbox-error.ts';

export const FAULT_STATUSES = [500, 502, 503, 504] as const;

export type Fault =
  | { kind: 'error'; status: (typeof FAULT_STATUSES)[number] }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'hang' }
  | { kind: 'drop' };

export type FaultSpec = Fault & {
  /** An operation (`GetSchedule`, `CreateAppointment`…) or `*` for every cloud API call. */
  operation: string;
  /** How many calls the fault affects (default 1), or `always` until the faults are cleared. */
  times?: number | 'always';
};

export class FaultInjector {
  readonly #queue = new FaultQueue<Fault>();

  add(spec: FaultSpec): void {
    if (!['error', 'latency', 'hang', 'drop'].includes(spec.kind)) {
      throw new SandboxError('INVALID_PARAMETER', 'kind is one of error, latency, hang, drop');
    }
    if (spec.kind === 'error' && !(FAULT_STATUSES as readonly number[]).includes(spec.status)) {
      throw new SandboxError(
        'INVALID_PARAMETER',
        `An error fault answers one of ${FAULT_STATUSES.join(', ')}`,
      );
    }
    if (spec.kind === 'latency' && !(spec.latencyMs >= 0)) {
      throw new SandboxError('INVALID_PARAMETER', 'A latency fault needs latencyMs >= 0');
    }
    const { operation: target, times, ...fault } = spec;
    try {
      this.#queue.arm(target, fault as Fault, times);
    } catch (error) {
      throw new SandboxError('INVALID_PARAMETER', (error as Error).message);
    }
  }

  clear(): void {
    this.#queue.clear();
  }

  /** The fault for this call of `operation`, if one is armed; uses it up. */
  take(operation: string): Fault | undefined {
    return this.#queue.take(operation);
  }
}

/** The sandbox error an injected `error` fault answers. */
export function faultError(status: (typeof FAULT_STATUSES)[number]): SandboxError {
  switch (status) {
    case 500:
      return new SandboxError('INTERNAL_ERROR', 'Internal error (injected fault)');
    case 502:
      return new SandboxError('PRACTICE_SERVER_OFFLINE', 'The practice server is offline (injected fault)');
    case 503:
      return new SandboxError('SERVICE_UNAVAILABLE', 'The service is unavailable (injected fault)');
    case 504:
      return new SandboxError(
        'PRACTICE_SERVER_TIMEOUT',
        'The practice server did not answer in time (injected fault)',
      );
  }
}
