import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PAGE_DEFAULT, PracticeViewSchema } from '@slotbridge/core';
import { Type } from 'typebox';
import { examples } from '../openapi-examples.ts';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const OdsCode = Type.String({ pattern: '^[A-Za-z0-9]{3,10}$', description: 'NHS ODS code (UK practices)' });
const HorizonDays = Type.Integer({
  minimum: 1,
  description:
    "Days ahead to publish slots; at most the plugin's maximum (GET /v1/plugins). null: the plugin's default.",
});

export const practiceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices } = app.slotbridge;

  app.post(
    '/v1/practices',
    {
      config: { partnerLevel: true },
      schema: {
        tags: ['practices'],
        operationId: 'createPractice',
        'x-request-examples': examples.createPractice.request,
        'x-response-examples': examples.createPractice.responses,
        summary: 'Create a practice',
        description:
          "A practice on one EHR plugin (GET /v1/plugins), in its diary's time zone. Next: PUT …/connection with the plugin's settings. A partner key creates it for its partner; the admin key names the partner; a practice key may not (403).",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            odsCode: Type.Optional(Type.Union([OdsCode, Type.Null()])),
            ehr: Type.String({ description: 'EHR plugin id, e.g. emis (GET /v1/plugins)' }),
            timeZone: Type.String({
              description: 'IANA time zone, e.g. Europe/London',
              examples: ['Europe/London'],
            }),
            publishingHorizonDays: Type.Optional(Type.Union([HorizonDays, Type.Null()])),
            partnerId: Type.Optional(
              Type.String({
                format: 'uuid',
                description: 'Required with the admin key; implied by a partner key',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: ref(PracticeViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request, reply) => {
      const practice = await practices.create(request.caller, request.body);
      reply.code(201).header('location', `/v1/practices/${practice.id}`);
      return practices.view(practice);
    },
  );

  app.get(
    '/v1/practices',
    {
      schema: {
        tags: ['practices'],
        operationId: 'listPractices',
        summary: 'List the practices this key can reach',
        description:
          "A partner key: its partner's practices; a practice key: its one practice; the admin key: every practice.",
        querystring: Type.Object(pageQuery(), { additionalProperties: false }),
        response: { 200: pageOfRef(PracticeViewSchema), ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const { limit = PAGE_DEFAULT, cursor } = request.query;
      const page = await practices.listPage(request.caller, { limit, cursor });
      const views = await Promise.all(page.items.map((p) => practices.view(p)));
      return pageAnswer(request, { items: views, next: page.next }, (view) => view);
    },
  );

  app.get(
    '/v1/practices/:practiceId',
    {
      schema: {
        tags: ['practices'],
        operationId: 'getPractice',
        summary: 'Get a practice',
        description: 'A practice of another partner answers 404, like an unknown one.',
        params: PracticeParams,
        response: { 200: ref(PracticeViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => practices.view(await practices.get(request.caller, request.params.practiceId)),
  );

  app.patch(
    '/v1/practices/:practiceId',
    {
      schema: {
        tags: ['practices'],
        operationId: 'updatePractice',
        summary: 'Change a practice',
        description: 'Changes the fields sent; the others stay. Audited.',
        params: PracticeParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            odsCode: Type.Optional(Type.Union([OdsCode, Type.Null()])),
            timeZone: Type.Optional(Type.String()),
            publishingHorizonDays: Type.Optional(Type.Union([HorizonDays, Type.Null()])),
            ehrCallsPerMinute: Type.Optional(
              Type.Union([
                Type.Integer({
                  minimum: 1,
                  description:
                    "Lower the practice's EHR call budget below the plugin's callsPerMinute (GET /v1/plugins); null restores the plugin's",
                }),
                Type.Null(),
              ]),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ref(PracticeViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) =>
      practices.view(await practices.update(request.caller, request.params.practiceId, request.body)),
  );
};
