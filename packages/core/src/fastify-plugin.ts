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

/** Wraps an EHR plugin definition as a Fastify plugin that registers it with the core. */
export function ehrFastifyPlugin<C extends Record<string, unknown>>(
  packageName: string,
  definition: EhrPluginDefinition<C>,
): FastifyPluginAsync {
  return fp(
    async (app: FastifyInstance) => {
      app.slotbridge.ehr.register(definition);
    },
    { name: packageName, fastify: '5.x', dependencies: ['@slotbridge/core'] },
  );
}
