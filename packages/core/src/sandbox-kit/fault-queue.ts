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
