/**
 * Fault injection: the next requests of a function answer an ErrorMessage, answer late, never
 * answer (as a hung SystmOne does, until the client gives up), have their connection dropped,
 * answer in small chunks, or answer something that is not XML. Faults are matched in the order
 * they were added; each is used up after `times` requests.
 */
import { FaultQueue } from '@slotbridge/core/sandbox-kit';
import { SandboxError } from './sandbox-error.ts';

export type Fault =
  /** An ErrorMessage reply; default text "An internal error occurred". */
  | { kind: 'error'; message?: string }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  /** The right answer, written `chunkBytes` at a time with `gapMs` between writes (default 5). */
  | { kind: 'chunked'; chunkBytes: number; gapMs?: number }
  /** `not xml<EOF>` instead of the answer. */
  | { kind: 'garbage' };

export type FaultKind = Fault['kind'];

export type FaultSpec = Fault & {
  /** A Function name (`GetAppointmentSlots`, `UpdatePatientRecord`…) or `*` for every request. */
  function: string;
  /** How many requests the fault affects (default 1), or `always` until the faults are cleared. */
  times?: number | 'always';
};

const KINDS: readonly FaultKind[] = ['error', 'latency', 'hang', 'drop', 'chunked', 'garbage'];

export class FaultInjector {
  readonly #queue = new FaultQueue<Fault>();

  add(spec: FaultSpec): void {
    const invalid = (why: string) => new SandboxError('INVALID_PARAMETERS', why);
    if (!KINDS.includes(spec.kind)) throw invalid(`kind is one of ${KINDS.join(', ')}`);
    if (spec.kind === 'latency' && !(spec.latencyMs >= 0))
      throw invalid('A latency fault needs latencyMs >= 0');
    if (spec.kind === 'chunked' && !(Number.isInteger(spec.chunkBytes) && spec.chunkBytes > 0)) {
      throw invalid('A chunked fault needs chunkBytes > 0');
    }
    const { function: target, times, ...fault } = spec;
    try {
      this.#queue.arm(target, fault as Fault, times);
    } catch (error) {
      throw new SandboxError('INVALID_PARAMETERS', (error as Error).message);
    }
  }

  clear(): void {
    this.#queue.clear();
  }

  /** The fault for this call of `function`, if one is armed; uses it up. */
  take(fn: string): Fault | undefined {
    return this.#queue.take(fn);
  }
}
