/** The server app on a fresh test database, with the in-memory EHR and any other plugins. */
import { Writable } from 'node:stream';
import { ehrFastifyPlugin, type Slotbridge, type WebhookDeliveryOptions } from '@slotbridge/core';
import { createMemoryEhr, createTestSlotbridge, type MemoryEhr } from '@slotbridge/core/testing';
import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { LimitsOptions } from '../../src/limits.ts';
import { loggerOptions } from '../../src/logger.ts';

export interface TestApp {
  app: FastifyInstance;
  slotbridge: Slotbridge;
  memory: MemoryEhr;
  adminKey: string;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** Every route of the app (each method of it), as Fastify's onRoute hook saw it, HEAD included. */
  routes: RouteOptions[];
  /** A new partner with its own key. */
  partner(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export async function testApp(
  options: {
    ehrPlugins?: FastifyPluginAsync[];
    /** Start the workers (as `serve` does). */
    workers?: boolean;
    /** Keep `/slots` answers without workers (as `api` does). */
    answering?: boolean;
    limits?: LimitsOptions;
    /** Webhook delivery settings (a short retry schedule, a short disabling limit). */
    webhooks?: Partial<WebhookDeliveryOptions>;
  } = {},
): Promise<TestApp> {
  const { slotbridge, database } = await createTestSlotbridge(
    options.webhooks ? { webhooks: options.webhooks } : {},
  );
  const memory = createMemoryEhr();
  const logs: string[] = [];
  const routes: RouteOptions[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({
    slotbridge,
    ehrPlugins: [
      ehrFastifyPlugin('@slotbridge/test-memory', memory.definition),
      ...(options.ehrPlugins ?? []),
    ],
    logger: { ...loggerOptions('info'), stream } as never,
    ...(options.limits && { limits: options.limits }),
    onRoute: (route) => routes.push(route),
  });
  await app.ready();
  if (options.workers) await slotbridge.startWorkers();
  else if (options.answering) await slotbridge.startAnswering();
  const admin = await slotbridge.apiKeys.issue(null, 'test admin');
  return {
    app,
    slotbridge,
    memory,
    adminKey: admin.key,
    logs,
    routes,
    async partner(name) {
      const partner = await slotbridge.apiKeys.createPartner(name);
      const key = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'test');
      return { id: partner.id, key: key.key };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
