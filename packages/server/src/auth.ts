/**
 * API-key authentication for the routes of the context it is registered in. Keys are sent as
 * `Authorization: Bearer <key>` (or `X-API-Key`). Routes with `config: { admin: true }` need the
 * admin key. Verifying a key writes nothing on the request path (api-keys.ts: a cache by key
 * hash, `last_used_at` batched at most once a minute per key).
 */
import type { Caller } from '@slotbridge/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    admin?: boolean;
  }
}

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : null;
}

export const apiKeyAuth = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('caller', null as unknown as Caller);
    // Keys are verified from memory; the uses still queued are recorded before the pool closes.
    app.addHook('onClose', async () => {
      await app.slotbridge.apiKeys.close();
    });
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config;
      const key = presentedKey(request);
      const caller = key ? await app.slotbridge.apiKeys.authenticate(key) : null;
      if (!caller) {
        return sendProblem(reply.header('www-authenticate', 'Bearer'), {
          status: 401,
          code: 'SB_ERR_UNAUTHENTICATED',
          detail: key ? 'This API key is not valid or was revoked' : 'An API key is required',
          fix: 'Send the key as "Authorization: Bearer <key>". The admin key is printed at first start or set with SLOTBRIDGE_ADMIN_KEY.',
        });
      }
      if (config?.admin && caller.partnerId !== null) {
        return sendProblem(reply, {
          status: 403,
          code: 'SB_ERR_ADMIN_ONLY',
          detail: 'Only the admin key may do this',
          fix: 'Use the admin key (SLOTBRIDGE_ADMIN_KEY).',
        });
      }
      request.caller = caller;
    });
  },
  { name: 'slotbridge-auth', fastify: '5.x', dependencies: ['@slotbridge/core'] },
);
