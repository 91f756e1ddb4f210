import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ApiKeyViewSchema,
  type Caller,
  ConflictError,
  CoreErrorCode,
  IssuedKeySchema,
  NotFoundError,
  PAGE_DEFAULT,
  PAGE_MAX,
  ROTATION_GRACE_DEFAULT_SECONDS,
  ROTATION_GRACE_MAX_SECONDS,
} from '@slotbridge/core';
import { type Static, Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const PartnerParams = Type.Object({ partnerId: Type.String({ format: 'uuid' }) });
const KeyParams = Type.Object({
  partnerId: Type.String({ format: 'uuid' }),
  keyId: Type.String({ format: 'uuid' }),
});

/** A partner as the API answers it (component `Partner`); only these routes build it. */
export const PartnerSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time', description: 'When it was created' }),
  },
  { $id: 'Partner' },
);
type PartnerView = Static<typeof PartnerSchema>;

/** A rotation's answer, built here: the new key (core's IssuedApiKey) and the old one as listed. */
const RotatedApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    key: Type.String({ description: 'The new key itself. Shown once: only its hash is kept.' }),
    prefix: Type.String(),
    label: Type.String({ description: "The old key's label" }),
    partnerId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    practiceId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: "A practice key: the one practice it reaches (the old key's); null: a partner key",
    }),
    previous: ref(ApiKeyViewSchema),
  },
  { $id: 'RotatedApiKey', description: 'The new key (shown once) and the old one, now expiring' },
);

/**
 * The admin key manages any partner's keys; a partner key only its own partner's (another
 * partner answers 404, as an unknown one).
 */
function assertReaches(caller: Caller, partnerId: string): void {
  if (caller.partnerId !== null && caller.partnerId !== partnerId) {
    throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId} for this API key`, {
      fix: "A partner key manages its own partner's keys only: use your partner id, or the admin key.",
    });
  }
}

const partnerView = (p: { id: string; name: string; createdAt: Date }): PartnerView => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
});

export const partnerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(PartnerSchema);
  app.addSchema(RotatedApiKeySchema);
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
        response: { 201: ref(PartnerSchema), ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const partner = await app.slotbridge.apiKeys.createPartner(request.body.name);
      reply.code(201);
      return partnerView(partner);
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
        querystring: Type.Object(pageQuery(), { additionalProperties: false }),
        response: { 200: pageOfRef(PartnerSchema), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = PAGE_DEFAULT, cursor } = request.query;
      const page = await app.slotbridge.apiKeys.partnersPage({ limit, cursor });
      return pageAnswer(request, page, partnerView);
    },
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
        response: { 201: ref(IssuedKeySchema), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const issued = await app.slotbridge.apiKeys.issuePartnerKey(
        request.params.partnerId,
        request.body.label,
      );
      reply.code(201);
      return issued;
    },
  );
  app.get(
    '/v1/partners/:partnerId/api-keys',
    {
      schema: {
        tags: ['partners'],
        operationId: 'listApiKeys',
        summary: "List a partner's API keys",
        description: `Oldest first, in pages. Never the key itself: its prefix, label, status, when it was created, last used (recorded at most once a minute), revoked, or stops after a rotation. Its practice keys are listed too, each with its practiceId (null: a partner key). The admin key lists any partner's keys; a partner key its own partner's (another partner answers 404). Default page ${PAGE_DEFAULT}, at most ${PAGE_MAX}.`,
        params: PartnerParams,
        querystring: Type.Object(pageQuery(), { additionalProperties: false }),
        response: { 200: pageOfRef(ApiKeyViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      assertReaches(request.caller, request.params.partnerId);
      const { limit = PAGE_DEFAULT, cursor } = request.query;
      const page = await app.slotbridge.apiKeys.listPartnerKeys(request.params.partnerId, { limit, cursor });
      return pageAnswer(request, page, (key) => key);
    },
  );

  app.get(
    '/v1/partners/:partnerId/api-keys/:keyId',
    {
      schema: {
        tags: ['partners'],
        operationId: 'getApiKey',
        summary: 'Get one API key of a partner',
        description: 'As listed: never the key itself. A key of another partner answers 404.',
        params: KeyParams,
        response: { 200: ref(ApiKeyViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      assertReaches(request.caller, request.params.partnerId);
      return app.slotbridge.apiKeys.partnerKey(request.params.partnerId, request.params.keyId);
    },
  );

  app.post(
    '/v1/partners/:partnerId/api-keys/:keyId/revoke',
    {
      schema: {
        tags: ['partners'],
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key: it stops working at once',
        description:
          "A partner key or a practice key of the partner. The key is refused from the next request in this process, and within 30 seconds in the other API processes (keys are verified from memory). Revoking a revoked key answers it unchanged. The admin key revokes any partner's keys; a partner key its own partner's — but not the key making the request unless confirm=true (409 SB_ERR_API_KEY_IN_USE otherwise), so a client does not lock itself out by mistake.",
        params: KeyParams,
        querystring: Type.Object(
          {
            confirm: Type.Optional(
              Type.Boolean({
                default: false,
                description: 'true: revoke even the key making this request',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ref(ApiKeyViewSchema), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { partnerId, keyId } = request.params;
      assertReaches(request.caller, partnerId);
      if (keyId === request.caller.apiKeyId && request.query.confirm !== true) {
        await app.slotbridge.apiKeys.partnerKey(partnerId, keyId); // 404 first, for an unknown key
        throw new ConflictError(
          CoreErrorCode.API_KEY_IN_USE,
          'This is the key making the request: revoking it locks this client out at once',
          {
            fix: 'Rotate it instead (POST …/rotate: the old key keeps working for a grace period), or repeat with ?confirm=true.',
          },
        );
      }
      return app.slotbridge.apiKeys.revokePartnerKey(request.caller, partnerId, keyId);
    },
  );

  app.post(
    '/v1/partners/:partnerId/api-keys/:keyId/rotate',
    {
      schema: {
        tags: ['partners'],
        operationId: 'rotateApiKey',
        summary: 'Rotate an API key: a new key now, the old one stops after a grace period',
        description: `Issues a new key with the old one's label (shown once, in this answer: only its hash is kept). The old key keeps working for graceSeconds (default ${ROTATION_GRACE_DEFAULT_SECONDS}, 24 hours; at most ${ROTATION_GRACE_MAX_SECONDS}, 7 days; 0: it stops now), then is refused; its status is expiring meanwhile, and replacedBy names the new key. Only an active key can be rotated: a revoked or already rotated one answers 409 SB_ERR_API_KEY_NOT_ROTATABLE (rotate its replacement). A practice key's replacement reaches the same practice. The admin key rotates any partner's keys; a partner key its own partner's, the key making the request included.`,
        params: KeyParams,
        querystring: Type.Object(
          {
            graceSeconds: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: ROTATION_GRACE_MAX_SECONDS,
                default: ROTATION_GRACE_DEFAULT_SECONDS,
                description: 'How long the old key keeps working, in seconds (0: it stops now)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: ref(RotatedApiKeySchema), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { partnerId, keyId } = request.params;
      assertReaches(request.caller, partnerId);
      const { issued, previous } = await app.slotbridge.apiKeys.rotatePartnerKey(
        request.caller,
        partnerId,
        keyId,
        request.query.graceSeconds ?? ROTATION_GRACE_DEFAULT_SECONDS,
      );
      reply.code(201).header('cache-control', 'no-store');
      return { ...issued, previous };
    },
  );

  app.post(
    '/v1/practices/:practiceId/api-keys',
    {
      config: { partnerLevel: true },
      schema: {
        tags: ['partners'],
        operationId: 'createPracticeApiKey',
        summary:
          'Issue a practice key: an API key for this practice only, for its manager. The key is shown once.',
        description:
          "The key reaches this practice only: its settings, connection, mappings, sync, slots, bookings and diagnostics (GET /v1/practices lists just it; another practice, of this partner or another, answers 404). It can do nothing at the partner's level — create a practice, anything under /v1/partners or /v1/webhook-endpoints, issue keys — which answers 403 SB_ERR_PRACTICE_KEY_NOT_ALLOWED. It is one of the partner's keys: GET /v1/partners/{partnerId}/api-keys lists it with its practiceId, and …/revoke and …/rotate work on it (the new key reaches the same practice). The partner's key issues one for its own practices; the admin key for any practice. The key is in the answer once: only its hash is kept. Send it as \"Authorization: Bearer <key>\", or paste it into the console at /console/.",
        params: PracticeParams,
        body: Type.Object(
          { label: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: ref(IssuedKeySchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const practice = await app.slotbridge.practices.get(request.caller, request.params.practiceId);
      const issued = await app.slotbridge.apiKeys.issuePracticeKey(
        request.caller,
        practice.partner_id,
        practice.id,
        request.body.label,
      );
      reply.code(201).header('cache-control', 'no-store');
      return issued;
    },
  );
};
