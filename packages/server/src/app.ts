/**
 * Builds the Fastify app (never listening: tests use `inject` or listen themselves).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Slotbridge, slotbridgeCore } from '@slotbridge/core';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type RouteOptions } from 'fastify';
import type { LoggerOptions } from 'pino';
import { apiKeyAuth } from './auth.ts';
import { consoleRoutes } from './console.ts';
import { registerInputChecks } from './input-text.ts';
import { type LimitsOptions, limits } from './limits.ts';
import { documentCommonProblems, openapiOptions, pluginConnectionSchemas } from './openapi.ts';
import { problemServerOptions, registerProblemHandlers } from './problem.ts';
import { appointmentRoutes } from './routes/appointments.ts';
import { auditRoutes } from './routes/audit.ts';
import { bookingCatalogueRoutes } from './routes/booking-catalogue.ts';
import { bookingRoutes } from './routes/bookings.ts';
import { connectionRoutes } from './routes/connection.ts';
import { diagnosticsRoutes } from './routes/diagnostics.ts';
import { ehrCatalogueRoutes } from './routes/ehr-catalogue.ts';
import { healthRoutes } from './routes/health.ts';
import { mappingRoutes } from './routes/mappings.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { partnerRoutes } from './routes/partners.ts';
import { pluginRoutes } from './routes/plugins.ts';
import { practiceRoutes } from './routes/practices.ts';
import { publicationRoutes, publishingSettingsRoutes } from './routes/publishing.ts';
import { reconciliationRoutes } from './routes/reconciliation.ts';
import { slotRoutes } from './routes/slots.ts';
import { syncRoutes } from './routes/sync.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { sharedSchemas } from './schemas.ts';

export interface BuildAppOptions {
  slotbridge: Slotbridge;
  /** EHR plugins (Fastify plugins made with ehrFastifyPlugin). */
  ehrPlugins: FastifyPluginAsync[];
  /** pino options, or false for silence (tests). */
  logger?: LoggerOptions | false;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>` (SLOTBRIDGE_METRICS_TOKEN). */
  metricsToken?: string | null;
  /** Rate limits; unset: from the environment (SLOTBRIDGE_AUTH_FAILURES_PER_MINUTE, …). */
  limits?: LimitsOptions;
  /** Called with every route as it is added, before any other (tests enumerate the route table). */
  onRoute?: (route: RouteOptions) => void;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Unknown fields are an error to report, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    ...problemServerOptions,
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  // The errors every route of its kind can answer, in its OpenAPI responses (openapi.ts).
  app.addHook('onRoute', documentCommonProblems);

  registerProblemHandlers(app);
  registerInputChecks(app);
  for (const schema of sharedSchemas) app.addSchema(schema);
  // First, so its latency hook sees every route.
  await app.register(metricsRoutes, {
    metrics: options.slotbridge.metrics,
    token: options.metricsToken ?? null,
  });

  await app.register(swagger, openapiOptions);
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(slotbridgeCore, { slotbridge: options.slotbridge });
  await app.register(limits, { limits: options.limits });
  for (const plugin of options.ehrPlugins) await app.register(plugin);
  // Each loaded plugin's connection settings as components (EmisConnection, …): openapi.ts.
  for (const schema of pluginConnectionSchemas(options.slotbridge.ehr.list())) app.addSchema(schema);
  await app.register(healthRoutes);
  // The practice manager's console: static files, a client of the API below (docs/console.md).
  await app.register(consoleRoutes);
  // The public SMART Scheduling Links feed: no API key (docs/publishing.md).
  await app.register(publicationRoutes);

  // The API proper: every route in this context needs an API key.
  await app.register(async (api) => {
    await api.register(apiKeyAuth);
    // A change answered to a client is seen by that client's next read of /slots from this
    // process at once, before the change's notification (which drops it everywhere) arrives.
    api.addHook('onSend', async (request, reply) => {
      const { practiceId } = (request.params ?? {}) as { practiceId?: string };
      if (practiceId && request.method !== 'GET' && reply.statusCode < 400) {
        options.slotbridge.answers.drop(practiceId);
      }
    });
    await api.register(pluginRoutes);
    await api.register(partnerRoutes);
    await api.register(practiceRoutes);
    await api.register(bookingCatalogueRoutes);
    await api.register(ehrCatalogueRoutes);
    await api.register(auditRoutes);
    await api.register(connectionRoutes);
    await api.register(mappingRoutes);
    await api.register(syncRoutes);
    await api.register(slotRoutes);
    await api.register(publishingSettingsRoutes);
    await api.register(bookingRoutes);
    await api.register(reconciliationRoutes);
    await api.register(appointmentRoutes);
    await api.register(diagnosticsRoutes);
    await api.register(webhookRoutes);
  });
  return app;
}
