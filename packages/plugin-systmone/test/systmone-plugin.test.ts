/**
 * The plugin as the core sees it: a valid definition, and a Fastify plugin that registers it.
 */
import { EhrRegistry } from '@slotbridge/core';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import { Value } from 'typebox/value';
import systmone, { connectionSchema, systmoneCapabilities, systmonePlugin } from '../src/index.ts';

t.test('the Fastify plugin registers the SystmOne definition with the core', async (t) => {
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
  await app.register(systmone);
  await app.ready();
  t.equal(ehr.get('systmone'), systmonePlugin);
  t.same(await ehr.capabilities('systmone'), systmoneCapabilities);
  await app.close();
});

t.test('the Fastify plugin needs the core registered first', async (t) => {
  const app = Fastify();
  app.register(systmone);
  await t.rejects(async () => {
    await app.ready();
  }, /@slotbridge\/core/);
});

t.test('the connection schema: the API key is a secret, nothing else is accepted', async (t) => {
  t.same(Object.keys(connectionSchema.properties), [
    'host',
    'port',
    'apiKey',
    'deviceId',
    'deviceVersion',
    'userName',
    'readTimeoutMs',
    'placeholderNhsNumber',
  ]);
  const schema = JSON.parse(JSON.stringify(connectionSchema));
  t.equal(schema.properties.apiKey.writeOnly, true);
  t.equal(schema.additionalProperties, false);
  t.same(schema.required, ['host', 'apiKey', 'deviceId', 'userName']);
  t.equal(schema.properties.port.default, 40700);
  const minimal = { host: 'gateway.local', apiKey: 'k', deviceId: 'd', userName: 'HeroGateway' };
  t.ok(Value.Check(connectionSchema, minimal));
  t.notOk(Value.Check(connectionSchema, { ...minimal, port: 70000 }));
  t.notOk(Value.Check(connectionSchema, { ...minimal, password: 'x' }));
  t.ok(Value.Check(connectionSchema, { ...minimal, placeholderNhsNumber: '9990000093' }));
  t.notOk(Value.Check(connectionSchema, { ...minimal, placeholderNhsNumber: '999 000 0093' }));
  t.same(systmoneCapabilities, {
    cancel: true,
    publishingHorizonDays: { default: 28, max: 56 },
    callsPerMinute: 30,
    maxFetchWindowDays: 56,
  });
  t.equal(systmonePlugin.id, 'systmone');
  t.equal(systmonePlugin.name, 'TPP SystmOne');
});
