import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ConnectionViewSchema } from '@slotbridge/core';
import { Type } from 'typebox';
import { connectionExamples, documentedConnectionAnswer, documentedConnectionBody } from '../openapi.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, connections } = app.slotbridge;
  const plugins = app.slotbridge.ehr.list();

  app.put(
    '/v1/practices/:practiceId/connection',
    {
      schema: {
        tags: ['connection'],
        operationId: 'putConnection',
        summary: "Save the practice's EHR credentials",
        description:
          "The body is the plugin's connection settings (GET /v1/plugins shows each plugin's schema). The plugin's set-up checks run first; the settings are saved, encrypted, only when they pass, or when force=true. Secrets are never returned.",
        params: PracticeParams,
        querystring: Type.Object({
          force: Type.Optional(Type.Boolean({ description: 'Save even when set-up checks fail' })),
        }),
        // Checked by the core against the practice's plugin's schema (with its own fix); the
        // document names each plugin's (openapi.ts).
        body: Type.Object({}, { additionalProperties: true }),
        'x-documented-body': documentedConnectionBody(plugins),
        'x-request-examples': connectionExamples(plugins),
        response: { 200: ref(ConnectionViewSchema), ...problemResponses(400, 401, 404, 422) },
        'x-documented-responses': { 200: documentedConnectionAnswer(plugins) },
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
        operationId: 'getConnection',
        summary: "The practice's EHR connection: settings without secrets, set-up checks and sync health",
        description:
          '404 SB_ERR_CONNECTION_MISSING until PUT …/connection has saved one. Settings are answered without their secrets (which are only said to be set or missing).',
        params: PracticeParams,
        response: { 200: ref(ConnectionViewSchema), ...problemResponses(400, 401, 404) },
        'x-documented-responses': { 200: documentedConnectionAnswer(plugins) },
      },
    },
    async (request) => connections.view(await practices.get(request.caller, request.params.practiceId)),
  );
};
