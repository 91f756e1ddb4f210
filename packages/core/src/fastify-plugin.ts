/**
 * Fastify integration: the core decorates the app with `slotbridge`, and each EHR plugin is a
 * Fastify plugin (fastify-plugin) that registers its definition with it.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { EhrPluginDefinition } from './ehr-plugin.ts';
import type { Slotbridge } from './slotbridge.ts';

declare module 'fastify' {
  interface FastifyInstance {
    slotbridge: Slotbridge;
  }
}

export interface SlotbridgeCorePluginOptions {
  slotbridge: Slotbridge;
}

/** Decorates the app with the core; closes it with the app. */
export const slotbridgeCore = fp<SlotbridgeCorePluginOptions>(
  async (app, options) => {
    app.decorate('slotbridge', options.slotbridge);
    app.addHook('onClose', async () => {
      await options.slotbridge.close();
    });
  },
  { name: '@slotbridge/core', fastify: '5.x' },
);

/**
 * The mark ehrFastifyPlugin puts on the Fastify plugin it returns: the definition it registers.
 * A global symbol (Symbol.for), so a plugin package built against another copy of the core is
 * still recognised. The server loads plugins by package name (SLOTBRIDGE_PLUGINS) and refuses a
 * default export without it.
 */
export const EHR_PLUGIN_DEFINITION = Symbol.for('slotbridge.ehr-plugin-definition');

/** A Fastify plugin made by ehrFastifyPlugin, carrying the definition it registers. */
export type EhrFastifyPlugin = FastifyPluginAsync & {
  readonly [EHR_PLUGIN_DEFINITION]: EhrPluginDefinition;
};

/** Wraps an EHR plugin definition as a Fastify plugin that registers it with the core. */
export function ehrFastifyPlugin<C extends Record<string, unknown>>(
  packageName: string,
  definition: EhrPluginDefinition<C>,
): EhrFastifyPlugin {
  const plugin = fp(
    async (app: FastifyInstance) => {
      app.slotbridge.ehr.register(definition);
    },
    { name: packageName, fastify: '5.x', dependencies: ['@slotbridge/core'] },
  );
  return Object.assign(plugin, {
    [EHR_PLUGIN_DEFINITION]: definition as unknown as EhrPluginDefinition,
  });
}

/** The definition an EHR Fastify plugin registers, or null when `value` is not one. */
export function ehrPluginDefinitionOf(value: unknown): EhrPluginDefinition | null {
  if (typeof value !== 'function') return null;
  const definition = (value as Partial<EhrFastifyPlugin>)[EHR_PLUGIN_DEFINITION];
  return definition && typeof definition.id === 'string' ? definition : null;
}
