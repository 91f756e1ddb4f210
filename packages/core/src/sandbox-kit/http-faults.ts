/**
 * Faults for an HTTP sandbox, and their playback. The next calls of an operation fail with an
 * error status, answer late, hang until the client gives up, have their connection dropped, or
 * are carried out with their answer lost (`lost-answer`: the write lands, then the connection is
 * dropped, or held until the client gives up). Faults are matched in the order they were armed;
 * each is used up after `times` calls.
 *
 * Chaos: besides the armed faults, a share of all calls (`rate`) fails with one of a list of
 * faults picked at random from a seed, so a run is repeatable.
 *
 * `installFaultPlayback` logs every call of the sandbox's own API (not its control surface) and
 * plays the fault the injector hands it, before the sandbox looks at credentials, as a failing
 * server fails first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FaultQueue } from './fault-queue.ts';
import { seededRandom } from './random.ts';

export const HTTP_FAULT_KINDS = ['error', 'latency', 'hang', 'drop', 'lost-answer'] as const;

/** A fault an HTTP call can play; `S` is the error statuses the sandbox answers. */
export type HttpFault<S extends number = number> =
  | { kind: 'error'; status: S }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'lost-answer'; after?: 'drop' | 'hang' };

export type HttpFaultSpec<S extends number = number> = HttpFault<S> & {
  /** An operation of the sandbox's call log, or `*` for every call. */
  operation: string;
  /** How many calls the fault affects (default 1), or `always` until the faults are cleared. */
  times?: number | 'always';
};

export interface ChaosSpec<F = HttpFault> {
  /** The share of calls that fail, 0 to 1. */
  rate: number;
  /** The seed of the random choices (which calls fail, and how). */
  seed: number;
  /** The faults to pick from, each equally likely. Default: DEFAULT_CHAOS_FAULTS. */
  faults?: F[];
  /** The operations chaos applies to. Default: every call. */
  operations?: string[];
}

/** Errors, a timeout (hang), a dropped connection, and a call carried out whose answer is lost. */
export const DEFAULT_CHAOS_FAULTS: HttpFault<500 | 503>[] = [
  { kind: 'error', status: 500 },
  { kind: 'error', status: 503 },
  { kind: 'hang' },
  { kind: 'drop' },
  { kind: 'lost-answer', after: 'drop' },
];

export interface HttpFaultInjectorOptions<S extends number> {
  /** The statuses an `error` fault may answer. */
  statuses: readonly S[];
  /** The sandbox's own "invalid parameter" error, thrown for a fault it cannot play. */
  invalid(message: string): Error;
}

/** Armed faults and seeded chaos, checked against the sandbox's statuses. */
export class HttpFaultInjector<S extends number> {
  readonly #queue = new FaultQueue<HttpFault<S>>();
  readonly #statuses: readonly number[];
  readonly #invalid: (message: string) => Error;
  #chaos: {
    rate: number;
    random: () => number;
    faults: HttpFault<S>[];
    operations: Set<string> | null;
  } | null = null;

  constructor(options: HttpFaultInjectorOptions<S>) {
    this.#statuses = options.statuses;
    this.#invalid = options.invalid;
  }

  #check(fault: HttpFault<S>): void {
    if (!(HTTP_FAULT_KINDS as readonly string[]).includes(fault.kind)) {
      throw this.#invalid(`kind is one of ${HTTP_FAULT_KINDS.join(', ')}`);
    }
    if (fault.kind === 'error' && !this.#statuses.includes(fault.status)) {
      throw this.#invalid(`An error fault answers one of ${this.#statuses.join(', ')}`);
    }
    if (fault.kind === 'latency' && !(fault.latencyMs >= 0)) {
      throw this.#invalid('A latency fault needs latencyMs >= 0');
    }
    if (
      fault.kind === 'lost-answer' &&
      fault.after !== undefined &&
      !['drop', 'hang'].includes(fault.after)
    ) {
      throw this.#invalid('A lost-answer fault is followed by drop or hang');
    }
  }

  add(spec: HttpFaultSpec<S>): void {
    const { operation: target, times, ...fault } = spec;
    this.#check(fault as HttpFault<S>);
    try {
      this.#queue.arm(target, fault as HttpFault<S>, times);
    } catch (error) {
      throw this.#invalid((error as Error).message);
    }
  }

  /** Fails a share of all calls at random (seeded); null stops it. */
  chaos(spec: ChaosSpec<HttpFault<S>> | null): void {
    if (spec === null) {
      this.#chaos = null;
      return;
    }
    if (!(spec.rate >= 0 && spec.rate <= 1)) throw this.#invalid('rate is a share of calls, from 0 to 1');
    const faults = spec.faults ?? (DEFAULT_CHAOS_FAULTS as HttpFault<S>[]);
    if (faults.length === 0) throw this.#invalid('chaos needs at least one fault');
    for (const fault of faults) this.#check(fault);
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
  take(operation: string): HttpFault<S> | undefined {
    const armed = this.#queue.take(operation);
    if (armed) return armed;
    const chaos = this.#chaos;
    if (!chaos || (chaos.operations && !chaos.operations.has(operation))) return undefined;
    if (chaos.random() >= chaos.rate) return undefined;
    return chaos.faults[Math.floor(chaos.random() * chaos.faults.length)];
  }
}

/** What every logged call carries; a sandbox's call entries may add fields. */
export interface LoggedHttpCall {
  operation: string;
  /** The status answered; null until answered, and for a call whose connection was dropped. */
  statusCode: number | null;
  fault: HttpFault['kind'] | null;
}

export interface FaultPlaybackOptions<S extends number, C extends LoggedHttpCall> {
  /** The operation a request calls; undefined for a request not logged nor faulted (the control surface). */
  operationOf(request: FastifyRequest): string | undefined;
  faults: { take(operation: string): HttpFault<S> | undefined };
  /** The call log: each call is pushed as it arrives, its status set once answered. */
  calls: C[];
  /** The log entry of a call (default: operation, statusCode null, fault kind). */
  entryOf?(operation: string, request: FastifyRequest, fault: HttpFault<S> | null): C;
  /** The error an `error` fault throws; the sandbox's error handler answers it. */
  errorOf(status: S): Error;
  /** Aborted when the sandbox closes: latency and hang faults give up. */
  closing: AbortSignal;
}

/** Resolves when the client or the sandbox gives up on `reply`. */
function heldUntilClosed(request: FastifyRequest, reply: FastifyReply, closing: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (reply.raw.destroyed || request.raw.socket?.destroyed) return resolve();
    reply.raw.once('close', () => resolve());
    closing.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Logs the calls of `app` and plays their faults. Install it before the routes' own onRequest
 * hooks (authentication), so a faulted call fails before its credentials are looked at.
 */
export function installFaultPlayback<S extends number, C extends LoggedHttpCall>(
  app: FastifyInstance,
  options: FaultPlaybackOptions<S, C>,
): void {
  const { closing } = options;
  const entryOf =
    options.entryOf ??
    ((operation: string, _request: FastifyRequest, fault: HttpFault<S> | null) =>
      ({ operation, statusCode: null, fault: fault?.kind ?? null }) as C);
  const callOf = new WeakMap<FastifyRequest, C>();
  const answerLost = new WeakMap<FastifyRequest, 'drop' | 'hang'>();

  async function play(fault: HttpFault<S>, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    switch (fault.kind) {
      case 'error':
        throw options.errorOf(fault.status);
      case 'latency':
        await sleep(fault.latencyMs, undefined, { signal: closing }).catch(() => undefined);
        return;
      case 'hang':
        reply.hijack();
        await new Promise<void>((resolve) => {
          reply.raw.once('close', () => resolve());
          closing.addEventListener('abort', () => resolve(), { once: true });
        });
        request.raw.socket?.destroy();
        return;
      case 'drop':
        reply.hijack();
        request.raw.socket?.destroy();
        return;
      case 'lost-answer':
        // Carried out as usual; the answer is lost on its way back (onSend below).
        answerLost.set(request, fault.after ?? 'drop');
        return;
    }
  }

  // A call carried out whose answer never reaches the client: dropped, or held until it gives up.
  app.addHook('onSend', async (request, reply, payload) => {
    const lost = answerLost.get(request);
    if (lost === undefined) return payload;
    if (lost === 'hang') await heldUntilClosed(request, reply, closing);
    request.raw.socket?.destroy();
    return payload;
  });

  app.addHook('onRequest', async (request, reply) => {
    const operation = options.operationOf(request);
    if (operation === undefined) return;
    const fault = options.faults.take(operation) ?? null;
    const call = entryOf(operation, request, fault);
    options.calls.push(call);
    callOf.set(request, call);
    if (fault) await play(fault, request, reply);
  });

  app.addHook('onResponse', async (request, reply) => {
    const call = callOf.get(request);
    if (call) call.statusCode = reply.statusCode;
  });
}
