import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, connections } = app.slotbridge;

  app.put(
    '/v1/practices/:practiceId/connection',
    {
      schema: {
        tags: ['connection'],
        summary: "Save the practice's EHR credentials",
        description:
          "The body is the plugin's connection settings (GET /v1/plugins shows each plugin's schema). The plugin's set-up checks run first; the settings are saved, encrypted, only when they pass, or when force=true. Secrets are never returned.",
        params: PracticeParams,
        querystring: Type.Object({
          force: Type.Optional(Type.Boolean({ description: 'Save even when set-up checks fail' })),
        }),
        body: Type.Object({}, { additionalProperties: true }),
        response: { 200: ref('Connection'), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const force = request.query.force === true;
      return connections.put(request.caller, practice, request.body, { force });
    },
  );

  app.get(
    '/v1/practices/:practiceId/connection',
    {
      schema: {
        tags: ['connection'],
        summary: "The practice's EHR connection: settings without secrets, set-up checks and sync health",
        params: PracticeParams,
        response: { 200: ref('Connection'), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => connections.view(await practices.get(request.caller, request.params.practiceId)),
  );
};
