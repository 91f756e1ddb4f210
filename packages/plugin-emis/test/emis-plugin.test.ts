/**
 * The plugin as the core sees it: a valid definition, and a Fastify plugin that registers it.
 */
import { EhrRegistry } from '@slotbridge/core';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import emis, { connectionSchema, emisCapabilities, emisPlugin } from '../src/index.ts';

t.test('the Fastify plugin registers the EMIS definition with the core', async (t) => {
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
  await app.register(emis);
  await app.ready();
  t.equal(ehr.get('emis'), emisPlugin);
  t.same(await ehr.capabilities('emis'), emisCapabilities);
  await app.close();
});

t.test('the Fastify plugin needs the core registered first', async (t) => {
  const app = Fastify();
  app.register(emis);
  await t.rejects(async () => {
    await app.ready();
  }, /@slotbridge\/core/);
});

t.test('the connection schema marks the API password as a secret', async (t) => {
  t.same(Object.keys(connectionSchema.properties), [
    'baseUrl',
    'applicationId',
    'cdbNumber',
    'username',
    'apiPassword',
  ]);
  const schema = JSON.parse(JSON.stringify(connectionSchema));
  t.equal(schema.properties.apiPassword.writeOnly, true);
  t.equal(schema.additionalProperties, false);
  t.same(emisCapabilities, {
    cancel: true,
    publishingHorizonDays: { default: 28, max: 90 },
    callsPerMinute: 120,
    maxFetchWindowDays: 90,
  });
});
