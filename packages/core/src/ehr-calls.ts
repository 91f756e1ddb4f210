/**
 * Every call a plugin makes to its EHR goes through `meterEhrCall`, at the plugin's one transport
 * choke point (an HTTP fetch, a TCP request). The core runs each hook inside the practice's call
 * meter, so a call waits for the connection's budget (a token bucket: the plugin declares a safe
 * rate, the practice may lower it), and is counted and timed. A plugin needs no other wiring.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/** Told of every metered call: the metrics, for instance. */
export type EhrCallObserver = (
  call: { plugin: string; operation: string; outcome: 'ok' | 'error' },
  seconds: number,
) => void;

/**
 * A token bucket of one connection: `perMinute` calls a minute on average, and a minute's worth
 * at once (a whole-horizon read at start-up goes through; a steady stream is held to the rate).
 * High-priority waiters are served first, each class first come, first served.
 */
export class CallBudget {
  #perMinute: number;
  #tokens: number;
  #refilledAt: number;
  readonly #waiters: { priority: CallPriority; wake: () => void }[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Start times (ms) of the calls of the last minute, oldest first. */
  readonly #recent: number[] = [];

  constructor(
    perMinute: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#perMinute = perMinute;
    this.#tokens = this.capacity;
    this.#refilledAt = clock();
  }

  get perMinute(): number {
    return this.#perMinute;
  }

  set perMinute(value: number) {
    this.#refill();
    this.#perMinute = value;
    this.#tokens = Math.min(this.#tokens, this.capacity);
  }

  get capacity(): number {
    return Math.max(1, this.#perMinute);
  }

  /** Calls started in the last 60 seconds. */
  get callsLastMinute(): number {
    this.#trim();
    return this.#recent.length;
  }

  /** Waits until a call may be made, then spends one token. */
  take(signal?: AbortSignal, priority: CallPriority = 'high'): Promise<void> {
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#spend();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        priority,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#spend();
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        if (this.#waiters.length === 0 && this.#timer) {
          clearTimeout(this.#timer);
          this.#timer = null;
        }
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A high-priority call goes ahead of every low one, behind the other high ones.
      const at = priority === 'high' ? this.#waiters.findIndex((w) => w.priority === 'low') : -1;
      if (at >= 0) this.#waiters.splice(at, 0, waiter);
      else this.#waiters.push(waiter);
      this.#arm();
    });
  }

  #spend(): void {
    this.#tokens -= 1;
    this.#recent.push(this.clock());
    this.#trim();
  }

  #trim(): void {
    const since = this.clock() - 60_000;
    while (this.#recent.length > 0 && this.#recent[0]! < since) this.#recent.shift();
  }

  #refill(): void {
    const now = this.clock();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((now - this.#refilledAt) * this.#perMinute) / 60_000,
    );
    this.#refilledAt = now;
  }

  #arm(): void {
    if (this.#timer || this.#waiters.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * 60_000) / this.#perMinute));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) this.#waiters.shift()!.wake();
      this.#arm();
    }, wait);
  }
}

/** A budget serves every waiting 'high' call before any 'low' one. */
export type CallPriority = 'high' | 'low';

interface Meter {
  priority: CallPriority;
  plugin: string;
  budget: CallBudget;
  signal: AbortSignal | undefined;
  observe: EhrCallObserver | undefined;
}

const current = new AsyncLocalStorage<Meter>();

/**
 * The call budgets of this process, one per practice. The scheduler that owns a practice sets
 * its rate; elsewhere a practice's budget starts at the plugin's rate.
 */
export class CallBudgets {
  readonly #budgets = new Map<string, CallBudget>();

  /** `observe` is told of every metered call (the metrics). */
  constructor(private readonly observe?: EhrCallObserver) {}

  /** The practice's budget, created at `perMinute` when new; `perMinute` also updates it. */
  of(practiceId: string, perMinute: number): CallBudget {
    let budget = this.#budgets.get(practiceId);
    if (!budget) {
      budget = new CallBudget(perMinute);
      this.#budgets.set(practiceId, budget);
    } else if (budget.perMinute !== perMinute) {
      budget.perMinute = perMinute;
    }
    return budget;
  }

  peek(practiceId: string): CallBudget | undefined {
    return this.#budgets.get(practiceId);
  }

  forget(practiceId: string): void {
    this.#budgets.delete(practiceId);
  }

  /** Runs a hook with its EHR calls metered against `budget`. */
  run<T>(
    plugin: string,
    budget: CallBudget,
    signal: AbortSignal | undefined,
    priority: CallPriority,
    hook: () => Promise<T>,
  ): Promise<T> {
    return current.run({ plugin, budget, signal, priority, observe: this.observe }, hook);
  }
}

/**
 * Makes one call to the EHR: waits for the connection's budget, then calls, timing it. Plugins
 * wrap their transport's single call site in it; outside a hook run it just calls.
 */
export async function meterEhrCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const meter = current.getStore();
  if (!meter) return call();
  await meter.budget.take(meter.signal, meter.priority);
  const started = performance.now();
  let outcome: 'ok' | 'error' = 'error';
  try {
    const result = await call();
    outcome = 'ok';
    return result;
  } finally {
    meter.observe?.({ plugin: meter.plugin, operation, outcome }, (performance.now() - started) / 1000);
  }
}
