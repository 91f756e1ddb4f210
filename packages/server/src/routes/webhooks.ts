/**
 * Signed webhooks (docs/webhooks.md): a partner's endpoints, their delivery log and replays. A
 * partner key reaches its own endpoints only (others' answer 404); the admin key reaches any and
 * acts for a partner with `?partnerId=` (required to create one).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  PAGE_DEFAULT,
  WebhookAttemptViewSchema,
  WebhookEndpointViewSchema,
  WebhookEventTypeSchema,
} from '@slotbridge/core';
import { Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { problemResponses, ref } from '../schemas.ts';

const TAGS = ['webhooks'];

const PartnerQuery = Type.Object({
  partnerId: Type.Optional(
    Type.String({
      format: 'uuid',
      description:
        'The admin key acts for this partner (required to create an endpoint); a partner key may leave it out or name itself',
    }),
  ),
});

const EndpointParams = Type.Object({ endpointId: Type.String({ format: 'uuid' }) });
const EventParams = Type.Object({
  endpointId: Type.String({ format: 'uuid' }),
  eventId: Type.String({ format: 'uuid', description: "The event's id, sent as webhook-id" }),
});

/** What create and rotate answer, built here: the endpoint and its secret, shown once. */
const EndpointWithSecret = Type.Object(
  {
    ...WebhookEndpointViewSchema.properties,
    secret: Type.String({
      description:
        'The signing secret, whsec_ and base64 (Standard Webhooks). Shown this once: only its sealed form is kept.',
    }),
  },
  { description: 'The endpoint, with its signing secret shown once' },
);

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'https:// (http:// only to 127.0.0.1 or localhost, for testing)',
});
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const EventTypes = Type.Union([Type.Array(WebhookEventTypeSchema, { maxItems: 20 }), Type.Null()], {
  description: 'The event types to send; null or absent: all',
});

const Queued = Type.Object({
  queued: Type.Integer({ description: 'Deliveries queued again (each keeps its webhook-id)' }),
});

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks } = app.slotbridge;

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        operationId: 'createWebhookEndpoint',
        tags: TAGS,
        summary: 'Create a webhook endpoint',
        description:
          "Events of the partner's practices are POSTed to the URL, signed as Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The answer carries the signing secret once. The admin key names the partner with ?partnerId=.",
        querystring: PartnerQuery,
        body: Type.Object(
          { url: Url, eventTypes: Type.Optional(EventTypes), description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: { 201: EndpointWithSecret, ...problemResponses(400, 404, 422) },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.create(request.caller, {
        url: request.body.url,
        ...(request.body.eventTypes !== undefined && { eventTypes: request.body.eventTypes }),
        ...(request.body.description !== undefined && { description: request.body.description }),
        ...(request.query.partnerId !== undefined && { partnerId: request.query.partnerId }),
      });
      reply.header('location', `/v1/webhook-endpoints/${endpoint.id}`);
      reply.code(201);
      return { ...endpoint, secret };
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        operationId: 'listWebhookEndpoints',
        tags: TAGS,
        summary: 'List webhook endpoints',
        description:
          "The partner's endpoints, oldest first, in pages (the admin key: every partner's, or ?partnerId='s).",
        querystring: Type.Object(
          { ...PartnerQuery.properties, ...pageQuery() },
          { additionalProperties: false },
        ),
        response: { 200: pageOfRef(WebhookEndpointViewSchema), ...problemResponses(404) },
      },
    },
    async (request) => {
      const { partnerId, limit = PAGE_DEFAULT, cursor } = request.query;
      const page = await webhooks.listPage(request.caller, partnerId, { limit, cursor });
      return pageAnswer(request, page, (endpoint) => endpoint);
    },
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId',
    {
      schema: {
        operationId: 'getWebhookEndpoint',
        tags: TAGS,
        summary: 'Get a webhook endpoint',
        description: 'Its settings and health (never its secret).',
        params: EndpointParams,
        querystring: PartnerQuery,
        response: { 200: ref(WebhookEndpointViewSchema), ...problemResponses(404) },
      },
    },
    async (request) => webhooks.get(request.caller, request.params.endpointId, request.query.partnerId),
  );

  app.patch(
    '/v1/webhook-endpoints/:endpointId',
    {
      schema: {
        operationId: 'updateWebhookEndpoint',
        tags: TAGS,
        summary: 'Change a webhook endpoint',
        description:
          'Any of url, eventTypes, description, enabled. Enabling a disabled endpoint sends what waited for it at once, in order.',
        params: EndpointParams,
        querystring: PartnerQuery,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            eventTypes: Type.Optional(EventTypes),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: ref(WebhookEndpointViewSchema), ...problemResponses(400, 404, 422) },
      },
    },
    async (request) =>
      webhooks.update(
        request.caller,
        request.params.endpointId,
        {
          ...(request.body.url !== undefined && { url: request.body.url }),
          ...(request.body.eventTypes !== undefined && { eventTypes: request.body.eventTypes }),
          ...(request.body.description !== undefined && { description: request.body.description }),
          ...(request.body.enabled !== undefined && { enabled: request.body.enabled }),
        },
        request.query.partnerId,
      ),
  );

  app.delete(
    '/v1/webhook-endpoints/:endpointId',
    {
      schema: {
        operationId: 'deleteWebhookEndpoint',
        tags: TAGS,
        summary: 'Delete a webhook endpoint',
        description: 'Its deliveries waiting and its log go with it.',
        params: EndpointParams,
        querystring: PartnerQuery,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.caller, request.params.endpointId, request.query.partnerId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookEndpointSecret',
        tags: TAGS,
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          'A new secret, shown once. For 24 hours the previous secret signs too: webhook-signature carries both signatures, space-separated, so a receiver verifies with either while it switches.',
        params: EndpointParams,
        querystring: PartnerQuery,
        response: { 200: EndpointWithSecret, ...problemResponses(404) },
      },
    },
    async (request) => {
      const { endpoint, secret } = await webhooks.rotate(
        request.caller,
        request.params.endpointId,
        request.query.partnerId,
      );
      return { ...endpoint, secret };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: TAGS,
        summary: "A webhook endpoint's delivery log",
        description:
          'Each attempt, newest first, in pages (default 50, at most 200): the event, its type, the attempt, the status code or the error, the time. Never a payload.',
        params: EndpointParams,
        querystring: Type.Object({
          ...PartnerQuery.properties,
          ...pageQuery({ default: 50, max: 200 }),
        }),
        response: { 200: pageOfRef(WebhookAttemptViewSchema), ...problemResponses(404) },
      },
    },
    async (request) => {
      const { partnerId, limit = 50, cursor } = request.query;
      const page = await webhooks.attemptsPage(request.caller, request.params.endpointId, {
        limit,
        cursor,
        ...(partnerId !== undefined && { partnerId }),
      });
      return pageAnswer(request, page, (attempt) => attempt);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/deliveries/:eventId/replay',
    {
      schema: {
        operationId: 'replayWebhookDelivery',
        tags: TAGS,
        summary: 'Send one event to the endpoint again',
        description: 'Queued at once, with the same webhook-id (receivers de-duplicate on it).',
        params: EventParams,
        querystring: PartnerQuery,
        response: { 202: Queued, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const queued = await webhooks.replayEvent(
        request.caller,
        request.params.endpointId,
        request.params.eventId,
        request.query.partnerId,
      );
      reply.code(202);
      return { queued };
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/replay',
    {
      schema: {
        operationId: 'replayWebhookEvents',
        tags: TAGS,
        summary: 'Send every event since a time to the endpoint again',
        description:
          'Every stored event of the partner since `since` that the endpoint subscribes to, in order, each with its webhook-id: to catch up after an outage or once it is enabled again.',
        params: EndpointParams,
        querystring: Type.Object({
          ...PartnerQuery.properties,
          since: Type.String({ format: 'date-time', description: 'Events stored at or after this' }),
        }),
        response: { 202: Queued, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const queued = await webhooks.replaySince(
        request.caller,
        request.params.endpointId,
        new Date(request.query.since),
        request.query.partnerId,
      );
      reply.code(202);
      return { queued };
    },
  );
};
