import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listOf } from '../schemas.ts';

export const pluginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/plugins',
    {
      schema: {
        tags: ['plugins'],
        operationId: 'listPlugins',
        summary: 'The EHR plugins this server has, with their capabilities and connection settings',
        description:
          'Every EHR plugin loaded at boot (slotbridge.config.json), with its capabilities and the JSON Schema of its connection settings: the body of PUT …/connection for a practice on it.',
        response: { 200: listOf('Plugin') },
      },
    },
    async () => ({
      data: await Promise.all(
        app.slotbridge.ehr.list().map(async (plugin) => {
          const capabilities = await app.slotbridge.ehr.capabilities(plugin.id);
          return {
            id: plugin.id,
            name: plugin.name,
            // A move is the core's: the new slot booked, then the old cancelled.
            capabilities: { ...capabilities, reschedule: capabilities.cancel },
            connectionSchema: plugin.connectionSchema,
          };
        }),
      ),
    }),
  );
};
