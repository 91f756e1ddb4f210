/**
 * The closed hook registry. The core owns a fixed list of hook points; an unknown name or a
 * value that is not a function is rejected at registration with a coded error (like Fastify's
 * addHook). Hooks are around-advice: each receives `next` and may rewrite the input,
 * short-circuit, or post-process the result. They run in registration order: the core's
 * default first (innermost), then the plugin's, then the partner's extensions (outermost), so a
 * later hook sees and may refine everything registered before it.
 */
import type {
  BookingWriteCommand,
  BookingWriteResult,
  DiagnoseInput,
  DiagnosticCheck,
  EhrCapabilities,
  EhrCatalogue,
  EhrContext,
  MapSlotTypeInput,
  SetupCheck,
  SlotFetchResult,
  SlotTypeMapping,
  SlotWindow,
} from './ehr-plugin.ts';
import { CoreErrorCode, SlotbridgeError } from './errors.ts';

export const HOOK_NAMES = [
  'onSlotFetch',
  'onBookingWrite',
  'mapSlotType',
  'checkSetup',
  'discover',
  'capabilities',
  'diagnose',
] as const;

export type HookName = (typeof HOOK_NAMES)[number];

/** Input and output of each hook point. */
export interface HookPoints {
  onSlotFetch: { input: SlotWindow; output: SlotFetchResult };
  onBookingWrite: { input: BookingWriteCommand; output: BookingWriteResult };
  mapSlotType: { input: MapSlotTypeInput; output: SlotTypeMapping };
  checkSetup: { input: undefined; output: SetupCheck[] };
  discover: { input: undefined; output: EhrCatalogue };
  capabilities: { input: undefined; output: EhrCapabilities };
  diagnose: { input: DiagnoseInput; output: DiagnosticCheck[] };
}

/** The context of the `capabilities` point has no practice: capabilities are the plugin's own. */
export type HookContextOf<N extends HookName> = N extends 'capabilities' ? { ehrId: string } : EhrContext;

export type Hook<N extends HookName> = (
  ctx: HookContextOf<N>,
  input: HookPoints[N]['input'],
  next: (input: HookPoints[N]['input']) => Promise<HookPoints[N]['output']>,
) => Promise<HookPoints[N]['output']>;

interface Registered<N extends HookName> {
  /** null: applies to every EHR plugin. */
  ehrId: string | null;
  fn: Hook<N>;
}

export interface AddHookOptions {
  /** Limit the hook to one EHR plugin by id. */
  ehrId?: string;
}

export class HookRegistry {
  readonly #hooks = new Map<HookName, Registered<HookName>[]>(HOOK_NAMES.map((name) => [name, []]));

  addHook<N extends HookName>(name: N, fn: Hook<N>, options: AddHookOptions = {}): this {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw new SlotbridgeError(
        CoreErrorCode.HOOK_UNKNOWN,
        'internal',
        `"${String(name)}" is not a hook point`,
        {
          fix: `Use one of: ${HOOK_NAMES.join(', ')}.`,
        },
      );
    }
    if (typeof fn !== 'function') {
      throw new SlotbridgeError(
        CoreErrorCode.HOOK_NOT_FUNCTION,
        'internal',
        `The ${name} hook must be a function, got ${fn === null ? 'null' : typeof fn}`,
        { fix: 'Pass an async function (ctx, input, next) => result.' },
      );
    }
    this.#hooks.get(name)!.push({ ehrId: options.ehrId ?? null, fn: fn as unknown as Hook<HookName> });
    return this;
  }

  /** A copy with the same hooks; hooks added to the copy do not leak into this registry. */
  child(): HookRegistry {
    const copy = new HookRegistry();
    for (const [name, list] of this.#hooks) copy.#hooks.set(name, [...list]);
    return copy;
  }

  count(name: HookName, ehrId: string): number {
    return this.#hooks.get(name)!.filter((h) => h.ehrId === null || h.ehrId === ehrId).length;
  }

  /**
   * Runs the hooks of `name` that apply to `ehrId` around `base` (the innermost step).
   */
  run<N extends HookName>(
    name: N,
    ehrId: string,
    ctx: HookContextOf<N>,
    input: HookPoints[N]['input'],
    base: (input: HookPoints[N]['input']) => Promise<HookPoints[N]['output']>,
  ): Promise<HookPoints[N]['output']> {
    const applicable = (this.#hooks.get(name) as unknown as Registered<N>[]).filter(
      (h) => h.ehrId === null || h.ehrId === ehrId,
    );
    // Registration order, innermost first: hook[i] wraps everything registered before it.
    let next = base;
    for (const { fn } of applicable) {
      const inner = next;
      next = (value) => fn(ctx, value, inner);
    }
    return next(input);
  }
}
