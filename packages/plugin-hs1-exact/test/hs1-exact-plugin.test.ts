/**
 * The plugin as the core sees it: a valid definition with its capabilities, and a Fastify plugin
 * that registers it.
 */
import { EhrRegistry } from '@slotbridge/core';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import hs1Exact, { connectionSchema, hs1ExactCapabilities, hs1ExactPlugin } from '../src/index.ts';

t.test('the Fastify plugin registers the HS1 Exact definition with the core', async (t) => {
  const app = Fastify();
  const ehr = new EhrRegistry();
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('slotbridge', { ehr } as never);
      },
      { name: '@slotbridge/core' },
    ),
  );
  await app.register(hs1Exact);
  await app.ready();
  t.equal(ehr.get('hs1-exact'), hs1ExactPlugin);
  t.same(await ehr.capabilities('hs1-exact'), hs1ExactCapabilities);
  t.equal(typeof hs1ExactPlugin.diagnose, 'function');
  await app.close();
});

t.test('the Fastify plugin needs the core registered first', async (t) => {
  const app = Fastify();
  app.register(hs1Exact);
  await t.rejects(async () => {
    await app.ready();
  }, /@slotbridge\/core/);
});

t.test(
  'the connection is slug + API key, the key a secret; no cancellation; 30 days, 90 at most',
  async (t) => {
    const schema = JSON.parse(JSON.stringify(connectionSchema));
    t.same(Object.keys(schema.properties), ['baseUrl', 'slug', 'apiKey']);
    t.equal(schema.properties.apiKey.writeOnly, true);
    t.equal(schema.additionalProperties, false);
    t.same(schema.required, ['baseUrl', 'slug', 'apiKey']);
    t.same(hs1ExactCapabilities, {
      cancel: false,
      publishingHorizonDays: { default: 30, max: 90 },
      callsPerMinute: 30,
      maxFetchWindowDays: 31,
      listsBookedSlots: true,
    });
  },
);
