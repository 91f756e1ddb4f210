/**
 * API-key authentication for the routes of the context it is registered in. Keys are sent as
 * `Authorization: Bearer <key>` (the scheme in any case) or `X-API-Key`. Failed attempts count
 * towards the per-address limit of limits.ts. Routes with `config: { admin: true }` need the
 * admin key. Partner-level routes refuse a practice key (403 SB_ERR_PRACTICE_KEY_NOT_ALLOWED): those
 * with `config: { partnerLevel: true }`, and every route under /v1/partners and
 * /v1/webhook-endpoints (by prefix, so a route added there later is one too). A practice key
 * reaches the rest: its own practice's routes (Practices.get answers 404 for any other), the
 * practice list (its one practice) and the plugins. Verifying a key writes nothing on the request
 * path (api-keys.ts: a cache by key hash, `last_used_at` batched at most once a minute per key).
 */
import type { Caller } from '@slotbridge/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ServerError, ServerErrorCode } from './errors.ts';
import { addTooManyRequests } from './limits.ts';
import { addProblems } from './openapi.ts';
import { problemResponse } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    admin?: boolean;
    /** A partner key or the admin key only: a practice key is refused (403). */
    partnerLevel?: boolean;
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header, or null. The scheme is matched
 * without regard to case and may be followed by any run of spaces or tabs (RFC 9110 §11.1,
 * §11.4): `Bearer`, `bearer` and `BEARER` are one scheme.
 */
export function bearerToken(header: string | undefined): string | null {
  const match = header && /^bearer[ \t]+(.+)$/i.exec(header);
  return match ? match[1]!.trim() || null : null;
}

/** Routes under these prefixes are partner-level, flagged or not. */
const PARTNER_LEVEL_PREFIXES = ['/v1/partners', '/v1/webhook-endpoints'];

/** Whether a practice key is refused on this route (403). */
export function isPartnerLevel(route: { url: string; config?: { partnerLevel?: boolean } }): boolean {
  return (
    route.config?.partnerLevel === true ||
    PARTNER_LEVEL_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))
  );
}

/** The 403 of a partner-level route, as the OpenAPI document describes it. */
const practiceKeyRefused = {
  ...problemResponse(403),
  description:
    "This key may not do this: a practice key on a partner-level route (SB_ERR_PRACTICE_KEY_NOT_ALLOWED: a partner key or the admin key only; a practice key reaches only its practice's settings, slots and bookings)",
};

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header && /^bearer(?:[ \t]|$)/i.test(header)) return bearerToken(header);
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() || null : null;
}

export const apiKeyAuth = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('caller', null as unknown as Caller);
    // Every route here may answer 401, and 429 for failed authentication (limits.ts); admin
    // routes and partner-level ones 403: the OpenAPI document says so.
    app.addHook('onRoute', (route) => {
      if (!route.config?.admin && isPartnerLevel(route)) {
        route.config = { ...route.config, partnerLevel: true };
        const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
        if (schema && !schema.hide) {
          schema.response ??= {};
          schema.response[403] ??= practiceKeyRefused;
        }
      }
      addProblems(route, route.config?.admin ? [401, 403] : [401]);
      addTooManyRequests(route);
    });
    // Keys are verified from memory; the uses still queued are recorded before the pool closes.
    app.addHook('onClose', async () => {
      await app.slotbridge.apiKeys.close();
    });
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config;
      const key = presentedKey(request);
      const caller = key ? await app.slotbridge.apiKeys.authenticate(key) : null;
      if (!caller) {
        if (await app.limits.failedAuthentication(request, reply)) return reply;
        // Thrown, so the one error handler answers it (problem.ts), with `instance`.
        reply.header('www-authenticate', 'Bearer');
        throw new ServerError(
          ServerErrorCode.UNAUTHENTICATED,
          key ? 'This API key is not valid or was revoked' : 'An API key is required',
        );
      }
      if (config?.admin && caller.partnerId !== null) {
        throw new ServerError(ServerErrorCode.ADMIN_ONLY, 'Only the admin key may do this');
      }
      if (config?.partnerLevel && caller.practiceId !== null) {
        throw new ServerError(
          ServerErrorCode.PRACTICE_KEY_NOT_ALLOWED,
          'A practice key may not do this: it is for a partner key or the admin key',
        );
      }
      request.caller = caller;
    });
  },
  { name: 'slotbridge-auth', fastify: '5.x', dependencies: ['@slotbridge/core', 'slotbridge-limits'] },
);
