/**
 * Fault injection: the next calls of an operation fail (500, 502 practice server offline, 503,
 * 504 practice server timeout), answer late, hang until the client gives up, have their
 * connection dropped, or are carried out with their answer lost (`lost-answer`: the write lands,
 * then the connection is dropped, or held until the client gives up). Faults are matched in the
 * order they were added; each is used up after `times` calls.
 *
 * Chaos: besides the armed faults, a share of all calls (`rate`) fails with one of a list of
 * faults picked at random from a seed, so a run is repeatable.
 */
import { FaultQueue, seededRandom } from '@slotbridge/core/sandbox-kit';
import { SandboxError } from './sandbox-error.ts';

export const FAULT_STATUSES = [500, 502, 503, 504] as const;

export type Fault =
  | { kind: 'error'; status: (typeof FAULT_STATUSES)[number] }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'lost-answer'; after?: 'drop' | 'hang' };

export type FaultSpec = Fault & {
  /** An operation (`GetSchedule`, `CreateAppointment`…) or `*` for every cloud API call. */
  operation: string;
  /** How many calls the fault affects (default 1), or `always` until the faults are cleared. */
  times?: number | 'always';
};

export interface ChaosSpec {
  /** The share of calls that fail, 0 to 1. */
  rate: number;
  /** The seed of the random choices (which calls fail, and how). */
  seed: number;
  /** The faults to pick from, each equally likely. Default: DEFAULT_CHAOS_FAULTS. */
  faults?: Fault[];
  /** The operations chaos applies to. Default: every cloud API call. */
  operations?: string[];
}

/** Errors, a timeout (hang), a dropped connection, and a call carried out whose answer is lost. */
export const DEFAULT_CHAOS_FAULTS: Fault[] = [
  { kind: 'error', status: 500 },
  { kind: 'error', status: 503 },
  { kind: 'hang' },
  { kind: 'drop' },
  { kind: 'lost-answer', after: 'drop' },
];

const KINDS = ['error', 'latency', 'hang', 'drop', 'lost-answer'];

function checkFault(fault: Fault): void {
  if (!KINDS.includes(fault.kind)) {
    throw new SandboxError('INVALID_PARAMETER', `kind is one of ${KINDS.join(', ')}`);
  }
  if (fault.kind === 'error' && !(FAULT_STATUSES as readonly number[]).includes(fault.status)) {
    throw new SandboxError('INVALID_PARAMETER', `An error fault answers one of ${FAULT_STATUSES.join(', ')}`);
  }
  if (fault.kind === 'latency' && !(fault.latencyMs >= 0)) {
    throw new SandboxError('INVALID_PARAMETER', 'A latency fault needs latencyMs >= 0');
  }
  if (fault.kind === 'lost-answer' && fault.after !== undefined && !['drop', 'hang'].includes(fault.after)) {
    throw new SandboxError('INVALID_PARAMETER', 'A lost-answer fault is followed by drop or hang');
  }
}

export class FaultInjector {
  readonly #queue = new FaultQueue<Fault>();
  #chaos: { rate: number; random: () => number; faults: Fault[]; operations: Set<string> | null } | null =
    null;

  add(spec: FaultSpec): void {
    const { operation: target, times, ...fault } = spec;
    checkFault(fault as Fault);
    try {
      this.#queue.arm(target, fault as Fault, times);
    } catch (error) {
      throw new SandboxError('INVALID_PARAMETER', (error as Error).message);
    }
  }

  /** Fails a share of all calls at random (seeded); null stops it. */
  chaos(spec: ChaosSpec | null): void {
    if (spec === null) {
      this.#chaos = null;
      return;
    }
    if (!(spec.rate >= 0 && spec.rate <= 1)) {
      throw new SandboxError('INVALID_PARAMETER', 'rate is a share of calls, from 0 to 1');
    }
    const faults = spec.faults ?? DEFAULT_CHAOS_FAULTS;
    if (faults.length === 0) throw new SandboxError('INVALID_PARAMETER', 'chaos needs at least one fault');
    for (const fault of faults) checkFault(fault);
    this.#chaos = {
      rate: spec.rate,
      random: seededRandom(spec.seed),
      faults,
      operations: spec.operations ? new Set(spec.operations) : null,
    };
  }

  /** Disarms every fault, chaos included. */
  clear(): void {
    this.#queue.clear();
    this.#chaos = null;
  }

  /** The fault for this call of `operation`, if one is armed (used up) or chaos picks one. */
  take(operation: string): Fault | undefined {
    const armed = this.#queue.take(operation);
    if (armed) return armed;
    const chaos = this.#chaos;
    if (!chaos || (chaos.operations && !chaos.operations.has(operation))) return undefined;
    if (chaos.random() >= chaos.rate) return undefined;
    return chaos.faults[Math.floor(chaos.random() * chaos.faults.length)];
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
