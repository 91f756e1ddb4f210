/**
 * Fault injection: the next calls of an operation fail (500/503), answer late, hang until the
 * client gives up, or have their connection dropped. Faults are matched in the order they were
 * added; each is used up after `times` calls.
 */
import { FaultQueue } from '@slotbridge/core/sandbox-kit';
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

export class FaultInjector {
  readonly #queue = new FaultQueue<Fault>();

  add(spec: FaultSpec): void {
    if (spec.kind === 'error' && spec.status !== 500 && spec.status !== 503) {
      throw new SandboxError('INVALID_PARAMETER', 'An error fault answers status 500 or 503');
    }
    if (spec.kind === 'latency' && !(spec.latencyMs >= 0)) {
      throw new SandboxError('INVALID_PARAMETER', 'A latency fault needs latencyMs >= 0');
    }
    if (!['error', 'latency', 'hang', 'drop'].includes(spec.kind)) {
      throw new SandboxError('INVALID_PARAMETER', 'kind is one of error, latency, hang, drop');
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
