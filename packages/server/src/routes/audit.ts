import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listAuditEvents } from '@slotbridge/core';
import { Type } from 'typebox';
import { listOf, PracticeParams, problemResponses } from '../schemas.ts';

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, db } = app.slotbridge;

  app.get(
    '/v1/practices/:practiceId/audit',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'Who changed what at the practice, newest first',
        description:
          'Every change to the practice, its connection, catalogue and mappings, with the API key that made it. Details never hold secrets or patient data. For the next page, pass the id of the last event as before.',
        params: PracticeParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(
            Type.String({ format: 'uuid', description: 'An event id: list only the events older than it' }),
          ),
        }),
        response: { 200: listOf('AuditEvent'), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { limit = 50, before } = request.query;
      return {
        data: await listAuditEvents(db, practice.id, { limit, ...(before !== undefined && { before }) }),
      };
    },
  );
};
