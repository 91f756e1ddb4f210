import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditEventViewSchema, auditEventsPage } from '@slotbridge/core';
import { Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses } from '../schemas.ts';

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
          'Every change to the practice, its connection, catalogue and mappings, with the API key that made it. Details never hold secrets or patient data. In pages of `limit` (default 50, at most 200): next is the URL of the next (older) page. `before` (an event id: only older events) is the older way to page, still read when no cursor is given.',
        params: PracticeParams,
        querystring: Type.Object({
          ...pageQuery({ default: 50, max: 200 }),
          before: Type.Optional(
            Type.String({
              format: 'uuid',
              description: 'An event id: list only the events older than it (ignored with a cursor)',
            }),
          ),
        }),
        response: { 200: pageOfRef(AuditEventViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { limit = 50, before, cursor } = request.query;
      const page = await auditEventsPage(db, practice.id, {
        limit,
        cursor,
        ...(before !== undefined && { before }),
      });
      return pageAnswer(request, page, (event) => event);
    },
  );
};
