/**
 * The registered EHR plugins and the one place their hooks are run. Every call into a plugin
 * goes through the hook registry, so partner extensions see every call.
 */

import { lintConnection } from './connection-lint.ts';
import { CallBudgets, type CallPriority } from './ehr-calls.ts';
import type {
  BookingWriteCommand,
  BookingWriteResult,
  DiagnoseInput,
  DiagnosticCheck,
  EhrCapabilities,
  EhrCatalogue,
  EhrContext,
  EhrPluginDefinition,
  MapSlotTypeInput,
  SetupCheck,
  SlotFetchResult,
  SlotTypeMapping,
  SlotWindow,
} from './ehr-plugin.ts';
import { ConflictError, CoreErrorCode, NotFoundError, SlotbridgeError } from './errors.ts';
import { HookRegistry } from './hooks.ts';

const REQUIRED_FUNCTIONS = ['checkSetup', 'discover', 'onSlotFetch', 'onBookingWrite'] as const;

function invalid(message: string): SlotbridgeError {
  return new SlotbridgeError(CoreErrorCode.PLUGIN_INVALID, 'internal', message, {
    fix: 'Declare the plugin with defineEhrPlugin({...}); see docs/adding-an-ehr.md.',
  });
}

function validateDefinition(def: EhrPluginDefinition): void {
  if (typeof def !== 'object' || def === null) throw invalid('An EHR plugin definition must be an object');
  if (typeof def.id !== 'string' || !/^[a-z][a-z0-9-]{1,30}$/.test(def.id)) {
    throw invalid(`EHR plugin id "${String(def.id)}" must be lower-case letters, digits and dashes`);
  }
  if (typeof def.name !== 'string' || def.name.length === 0)
    throw invalid(`EHR plugin ${def.id} needs a name`);
  if (def.connectionSchema?.type !== 'object') {
    throw invalid(`EHR plugin ${def.id}: connectionSchema must be a TypeBox Type.Object`);
  }
  for (const fn of REQUIRED_FUNCTIONS) {
    if (typeof def[fn] !== 'function') throw invalid(`EHR plugin ${def.id}: ${fn} must be a function`);
  }
  for (const optional of ['mapSlotType', 'diagnose'] as const) {
    if (def[optional] !== undefined && typeof def[optional] !== 'function') {
      throw invalid(`EHR plugin ${def.id}: ${optional} must be a function when given`);
    }
  }
  validateSetupSteps(def);
  const caps = def.capabilities;
  const horizon = caps?.publishingHorizonDays;
  if (
    typeof caps?.cancel !== 'boolean' ||
    !horizon ||
    !Number.isInteger(horizon.default) ||
    !Number.isInteger(horizon.max) ||
    horizon.default < 1 ||
    horizon.default > horizon.max ||
    !(caps.callsPerMinute > 0) ||
    !(caps.maxFetchWindowDays > 0)
  ) {
    throw invalid(`EHR plugin ${def.id}: capabilities are incomplete or inconsistent`);
  }
}

/** `setupSteps`, when given: a list of steps, each a non-empty title and text, titles unique. */
function validateSetupSteps(def: EhrPluginDefinition): void {
  const steps: unknown = def.setupSteps;
  if (steps === undefined) return;
  if (!Array.isArray(steps))
    throw invalid(`EHR plugin ${def.id}: setupSteps must be a list of steps when given`);
  const titles = new Set<string>();
  steps.forEach((step: unknown, i) => {
    const at = `EHR plugin ${def.id}: setupSteps[${i}]`;
    if (typeof step !== 'object' || step === null) throw invalid(`${at} must be { title, text, warning? }`);
    const { title, text, warning } = step as Record<string, unknown>;
    if (typeof title !== 'string' || title.trim() === '') throw invalid(`${at} needs a title`);
    if (typeof text !== 'string' || text.trim() === '') throw invalid(`${at} ("${title}") needs a text`);
    if (warning !== undefined && (typeof warning !== 'string' || warning.trim() === '')) {
      throw invalid(`${at} ("${title}"): warning must be a non-empty text when given`);
    }
    if (titles.has(title.trim())) throw invalid(`${at}: the title "${title}" is used by an earlier step`);
    titles.add(title.trim());
  });
}

/** The core's own mapSlotType: read the slot type features table (seed 000, stage 3). */
export function defaultMapSlotType(input: MapSlotTypeInput): SlotTypeMapping {
  const row = input.slotTypeMappings.find((m) => m.ehrSlotTypeId === input.slot.ehrSlotTypeId);
  if (!row) return { feature: 'unmapped', appointmentTypeId: null };
  return { feature: row.feature, appointmentTypeId: row.appointmentTypeId };
}

export class EhrRegistry {
  readonly hooks: HookRegistry;
  /** The EHR call budget of each practice in this process; every hook's calls are metered. */
  readonly budgets: CallBudgets;
  readonly #plugins = new Map<string, EhrPluginDefinition>();

  constructor(hooks: HookRegistry = new HookRegistry(), budgets: CallBudgets = new CallBudgets()) {
    this.hooks = hooks;
    this.budgets = budgets;
  }

  /** Runs a hook of the practice with its EHR calls metered against the practice's budget. */
  #metered<T>(
    def: EhrPluginDefinition,
    ctx: EhrContext,
    hook: () => Promise<T>,
    priority: CallPriority = 'high',
  ): Promise<T> {
    const budget =
      this.budgets.peek(ctx.practice.id) ?? this.budgets.of(ctx.practice.id, def.capabilities.callsPerMinute);
    return this.budgets.run(def.id, budget, ctx.signal, priority, hook);
  }

  register<C extends Record<string, unknown>>(definition: EhrPluginDefinition<C>): void {
    const def = definition as unknown as EhrPluginDefinition;
    validateDefinition(def);
    if (this.#plugins.has(def.id)) {
      throw new SlotbridgeError(
        CoreErrorCode.PLUGIN_DUPLICATE,
        'internal',
        `EHR plugin ${def.id} is registered twice`,
      );
    }
    this.#plugins.set(def.id, def);
    const refine = def.mapSlotType;
    if (refine) {
      this.hooks.addHook('mapSlotType', (ctx, input, next) => refine(ctx, input, () => next(input)), {
        ehrId: def.id,
      });
    }
  }

  has(id: string): boolean {
    return this.#plugins.has(id);
  }

  get(id: string): EhrPluginDefinition {
    const def = this.#plugins.get(id);
    if (!def) {
      throw new NotFoundError(CoreErrorCode.PLUGIN_UNKNOWN, `No EHR plugin "${id}" is registered`, {
        fix: `Use one of: ${[...this.#plugins.keys()].join(', ') || '(none registered)'}.`,
      });
    }
    return def;
  }

  list(): EhrPluginDefinition[] {
    return [...this.#plugins.values()];
  }

  capabilities(id: string): Promise<EhrCapabilities> {
    const def = this.get(id);
    return this.hooks.run('capabilities', id, { ehrId: id }, undefined, async () => def.capabilities);
  }

  /** The shared checks of what was typed (connection-lint.ts) first, then the plugin's own. */
  async checkSetup(id: string, ctx: EhrContext): Promise<SetupCheck[]> {
    const def = this.get(id);
    const checks = await this.#metered(def, ctx, () =>
      this.hooks.run('checkSetup', id, ctx, undefined, () => def.checkSetup(ctx)),
    );
    return [...lintConnection(def.connectionSchema, ctx.connection, checks), ...checks];
  }

  discover(id: string, ctx: EhrContext): Promise<EhrCatalogue> {
    const def = this.get(id);
    return this.#metered(def, ctx, () =>
      this.hooks.run('discover', id, ctx, undefined, () => def.discover(ctx)),
    );
  }

  fetchSlots(
    id: string,
    ctx: EhrContext,
    window: SlotWindow,
    priority: CallPriority = 'high',
  ): Promise<SlotFetchResult> {
    const def = this.get(id);
    return this.#metered(
      def,
      ctx,
      () => this.hooks.run('onSlotFetch', id, ctx, window, (w) => def.onSlotFetch(ctx, w)),
      priority,
    );
  }

  /**
   * Refuses a cancel when the plugin cannot cancel (SB_ERR_CANCEL_UNSUPPORTED): the booking
   * service asks before it accepts one, and writeBooking before it calls the plugin.
   */
  async assertCanCancel(id: string): Promise<void> {
    const def = this.get(id);
    if ((await this.capabilities(id)).cancel) return;
    throw new ConflictError(
      CoreErrorCode.CANCEL_UNSUPPORTED,
      `Online cancellation is not supported for ${def.name}; the practice cancels in ${def.name}`,
      { fix: 'Ask the patient to contact the practice; the cancellation reaches us at the next sync.' },
    );
  }

  async writeBooking(id: string, ctx: EhrContext, command: BookingWriteCommand): Promise<BookingWriteResult> {
    const def = this.get(id);
    // The last guard before the plugin (a cancel queued before the capability changed, a
    // reschedule's release): never call it for a cancel it cannot do.
    if (command.kind === 'cancel') await this.assertCanCancel(id);
    return this.#metered(def, ctx, () =>
      this.hooks.run('onBookingWrite', id, ctx, command, (c) => def.onBookingWrite(ctx, c)),
    );
  }

  diagnose(id: string, ctx: EhrContext, input: DiagnoseInput): Promise<DiagnosticCheck[]> {
    const def = this.get(id);
    return this.#metered(def, ctx, () =>
      this.hooks.run('diagnose', id, ctx, input, async (i) => (def.diagnose ? def.diagnose(ctx, i) : [])),
    );
  }

  mapSlotType(id: string, ctx: EhrContext, input: MapSlotTypeInput): Promise<SlotTypeMapping> {
    this.get(id);
    return this.hooks.run('mapSlotType', id, ctx, input, async (i) => defaultMapSlotType(i));
  }
}
