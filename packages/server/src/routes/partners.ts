import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listOf, problemResponses, ref } from '../schemas.ts';

const partnerView = (p: { id: string; name: string; createdAt: Date }) => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
});

export const partnerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/partners',
    {
      config: { admin: true },
      schema: {
        tags: ['partners'],
        operationId: 'createPartner',
        summary: 'Create a partner (admin key only)',
        description: 'A partner is a booking product; its API keys reach only its own practices.',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: ref('Partner'), ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const partner = await app.slotbridge.apiKeys.createPartner(request.body.name);
      return reply.code(201).send(partnerView(partner));
    },
  );

  app.get(
    '/v1/partners',
    {
      config: { admin: true },
      schema: {
        tags: ['partners'],
        operationId: 'listPartners',
        summary: 'List partners (admin key only)',
        description: 'Every partner, oldest first.',
        response: { 200: listOf('Partner') },
      },
    },
    async () => ({ data: (await app.slotbridge.apiKeys.listPartners()).map(partnerView) }),
  );

  app.post(
    '/v1/partners/:partnerId/api-keys',
    {
      config: { admin: true },
      schema: {
        tags: ['partners'],
        operationId: 'createPartnerApiKey',
        summary:
          "Issue an API key scoped to this partner's practices (admin key only). The key is shown once.",
        description:
          'The key is in the answer once: only its hash is kept. Send it as "Authorization: Bearer <key>".',
        params: Type.Object({ partnerId: Type.String({ format: 'uuid' }) }),
        body: Type.Object(
          { label: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: ref('IssuedApiKey'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const issued = await app.slotbridge.apiKeys.issuePartnerKey(
        request.params.partnerId,
        request.body.label,
      );
      return reply.code(201).send(issued);
    },
  );
};
