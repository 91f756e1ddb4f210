/**
 * Fault injection: the next calls of an operation fail (500/503), answer late, hang until the
 * client gives up, or have their connection dropped. Faults are matched in the order they were
 * added; each is used up after `times` calls.
 */
import { SandboxError } from './sandbox-error.ts';

export type Fault =
  | { kind: 'error'; status: 500 | 503 }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'hang' }
  | { kind: 'drop' };

export type FaultSpec = Fault & {
  /** An operationId (`GetSlotsForSession`, `BookAppointment`, `Token`…) or `*` for every call. */
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
    if (spec.kind === 'error' && spec.status !== 500 && spec.status !== 503) {
      throw new SandboxError('INVALID_PARAMETER', 'An error fault answers status 500 or 503');
    }
    if (spec.kind === 'latency' && !(spec.latencyMs >= 0)) {
      throw new SandboxError('INVALID_PARAMETER', 'A latency fault needs latencyMs >= 0');
    }
    if (!['error', 'latency', 'hang', 'drop'].includes(spec.kind)) {
      throw new SandboxError('INVALID_PARAMETER', 'kind is one of error, latency, hang, drop');
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
