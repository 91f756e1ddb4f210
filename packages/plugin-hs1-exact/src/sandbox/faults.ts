/**
 * Fault injection: the next calls of an operation fail (500, 502 practice server offline, 503,
 * 504 practice server timeout), answer late, hang until the client gives up, or have their
 * connection dropped. Faults are matched in the order they were added; each is used up after
 * `times` calls.
 */
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

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

export class FaultInjector {
  readonly #armed: ArmedFault[] = [];

  add(spec: FaultSpec): void {
    const times = spec.times ?? 1;
    if (times !== 'always' && !(Number.isInteger(times) && times > 0)) {
      throw new SandboxError('INVALID_PARAMETER', 'times must be a positive integer or "always"');
    }
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
    this.#armed.push({ spec, remaining: times === 'always' ? Number.POSITIVE_INFINITY : times });
  }

  clear(): void {
    this.#armed.length = 0;
  }

  /** The fault for this call of `operation`, if one is armed; uses it up. */
  take(operation: string): Fault | undefined {
    const index = this.#armed.findIndex(({ spec }) => spec.operation === '*' || spec.operation === operation);
    if (index === -1) return undefined;
    const armed = this.#armed[index]!;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#armed.splice(index, 1);
    const { operation: _operation, times: _times, ...fault } = armed.spec;
    return fault;
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
