import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers',
        description:
          'Answers 200 while the process runs; no API key, no database call. For a liveness probe.',
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        description:
          '200 when the database answers, 503 (this body, not a problem) when it does not. For a readiness probe; no API key.',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(app.slotbridge.db);
        return { status: 'ready', checks: { database: 'ok' } };
      } catch {
        return reply.code(503).send({ status: 'not ready', checks: { database: 'unreachable' } });
      }
    },
  );
};
