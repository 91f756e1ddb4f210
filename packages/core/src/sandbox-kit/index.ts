/**
 * `@slotbridge/core/sandbox-kit`: small pieces every EHR sandbox needs. Sandboxes are a
 * separate export of each plugin, so production code never loads this either.
 */

/** mulberry32: a tiny deterministic pseudo-random generator, so a seeded demo diary is always the same. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Faults armed against a sandbox's operations, used up in the order they were armed. Each
 * sandbox validates its own fault kinds; this keeps the queue.
 */
export class FaultQueue<F> {
  readonly #armed: { target: string; fault: F; remaining: number }[] = [];

  /** Arms `fault` for the next `times` calls of `target` (an operation name, or `*` for all). */
  arm(target: string, fault: F, times: number | 'always' = 1): void {
    if (times !== 'always' && !(Number.isInteger(times) && times > 0)) {
      throw new RangeError('times must be a positive integer or "always"');
    }
    this.#armed.push({ target, fault, remaining: times === 'always' ? Number.POSITIVE_INFINITY : times });
  }

  clear(): void {
    this.#armed.length = 0;
  }

  /** The fault for this call of `target`, if one is armed; uses it up. */
  take(target: string): F | undefined {
    const index = this.#armed.findIndex((armed) => armed.target === '*' || armed.target === target);
    if (index === -1) return undefined;
    const armed = this.#armed[index]!;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#armed.splice(index, 1);
    return armed.fault;
  }
}
