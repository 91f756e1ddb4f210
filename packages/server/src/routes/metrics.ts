/**
 * `GET /metrics`: the Prometheus text of the core's registry (docs/metrics.md), and the HTTP
 * latency of every route, recorded by route pattern (never the raw URL, so ids do not become
 * series). Open by default, like /healthz; with a token set, the scraper must send it as
 * `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Slotbridge } from '@slotbridge/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken } from '../auth.ts';
import { ServerError, ServerErrorCode } from '../errors.ts';

export interface MetricsRoutesOptions {
  metrics: Slotbridge['metrics'];
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>` (SLOTBRIDGE_METRICS_TOKEN). */
  token?: string | null;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export const metricsRoutes = fp<MetricsRoutesOptions>(
  async (app: FastifyInstance, options) => {
    const { metrics } = options;
    const wanted = options.token ? digest(options.token) : null;

    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequest(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          statusCode: reply.statusCode,
        },
        reply.elapsedTime / 1000,
      );
      done();
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (wanted) {
        const presented = bearerToken(request.headers.authorization);
        if (!presented || !timingSafeEqual(digest(presented), wanted)) {
          reply.header('www-authenticate', 'Bearer');
          throw new ServerError(
            ServerErrorCode.UNAUTHENTICATED,
            presented ? 'This metrics token is not valid' : 'A metrics token is required',
            { fix: 'Send the value of SLOTBRIDGE_METRICS_TOKEN as "Authorization: Bearer <token>".' },
          );
        }
      }
      const text = await metrics.render();
      return reply.header('content-type', metrics.contentType).send(text);
    });
  },
  { name: 'slotbridge-metrics', fastify: '5.x' },
);
