/**
 * Where webhooks may go (networks.ts, SLOTBRIDGE_WEBHOOK_NETWORKS): a partner cannot make the
 * server call a private or link-local address (cloud metadata, the operator's network), nor this
 * machine under `public` — refused at registration when the URL names an address, and at
 * connection time for every address a host name resolves to.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { guardedLookup, refusedAddress } from '../src/webhooks/networks.ts';
import { withWebhooks } from '../src/webhooks/tables.ts';
import { memoryPractice } from './helpers/memory-practice.ts';

t.test('the rule per address', async (t) => {
  const cases: [string, string | null, string | null, string | null][] = [
    // address, under public, loopback, private (null: allowed)
    ['8.8.8.8', null, null, null],
    ['2606:4700::1111', null, null, null],
    ['127.0.0.1', 'loopback', null, null],
    ['[::1]', 'loopback', null, null],
    ['10.1.2.3', 'not a public', 'not a public', null],
    ['192.168.0.10', 'not a public', 'not a public', null],
    ['172.20.0.1', 'not a public', 'not a public', null],
    ['169.254.169.254', 'not a public', 'not a public', null],
    ['100.64.0.1', 'not a public', 'not a public', null],
    ['0.0.0.0', 'not a public', 'not a public', null],
    ['::ffff:10.0.0.1', 'not a public', 'not a public', null],
    ['fd00::1', 'not a public', 'not a public', null],
    ['fe80::1', 'not a public', 'not a public', null],
  ];
  for (const [address, pub, loop, priv] of cases) {
    for (const [networks, expected] of [
      ['public', pub],
      ['loopback', loop],
      ['private', priv],
    ] as const) {
      const reason = refusedAddress(address, networks);
      if (expected === null) t.equal(reason, null, `${address} allowed under ${networks}`);
      else t.match(reason, expected, `${address} refused under ${networks}`);
    }
  }
});

t.test('a name is refused when any address it resolves to is', async (t) => {
  const resolving =
    (addresses: string[]) =>
    (
      _host: string,
      _options: object,
      callback: (e: null, a: { address: string; family: number }[]) => void,
    ) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
  const lookup = (addresses: string[], all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      guardedLookup('loopback', resolving(addresses))('hooks.example', { all }, (error, address) =>
        resolve({ error, address }),
      ),
    );
  const mixed = await lookup(['93.184.216.34', '10.0.0.7'], false);
  t.equal(mixed.error?.code, 'ERR_WEBHOOK_ADDRESS_REFUSED', 'one private address among public ones');
  t.match(mixed.error?.message, /hooks\.example: 10\.0\.0\.7 is not a public address/);
  t.equal((await lookup(['93.184.216.34'], false)).address, '93.184.216.34', 'one address asked: the first');
  t.same(
    (await lookup(['93.184.216.34', '127.0.0.1'], true)).address,
    [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
    'all asked: all, loopback allowed by default',
  );
});

t.test('registration refuses a URL naming a refused address, with the fix', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const create = (url: string) => setup.slotbridge.webhooks.create(setup.caller, { url });
  for (const url of [
    'https://10.1.2.3/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[fd00::1]/hook',
  ]) {
    await t.rejects(create(url), { code: 'SB_ERR_WEBHOOK_URL_INVALID', fix: /public address/ }, url);
  }
  t.ok((await create('http://127.0.0.1:9/hook')).endpoint.id, 'this machine: allowed by default');
  t.ok((await create('https://hooks.example.com/slotbridge')).endpoint.id, 'a public name');

  const strict = await memoryPractice({ webhooks: { networks: 'public' } });
  t.teardown(strict.close);
  await t.rejects(
    strict.slotbridge.webhooks.create(strict.caller, { url: 'http://localhost:9/hook' }),
    { code: 'SB_ERR_WEBHOOK_URL_INVALID', message: /localhost is this machine/ },
    'public only: not this machine either',
  );
});

t.test('delivery checks the address it connects to: a refused one is never called', async (t) => {
  let calls = 0;
  const receiver = http.createServer((_req, res) => {
    calls++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const port = (receiver.address() as AddressInfo).port;

  /** One connection.health_changed event to an endpoint at `url`, delivered once: the attempt. */
  const deliverOnce = async (networks: 'public' | 'loopback', url: string) => {
    const setup = await memoryPractice({ webhooks: { networks } });
    t.teardown(setup.close);
    const { slotbridge, caller, practice } = setup;
    const { endpoint } = await slotbridge.webhooks.create(caller, {
      url: 'https://hooks.example.com/slotbridge',
      eventTypes: ['connection.health_changed'],
    });
    // As if registered under a looser rule, or a name that now resolves to this machine.
    await withWebhooks(slotbridge.db)
      .updateTable('webhook_endpoints')
      .set({ url })
      .where('id', '=', endpoint.id)
      .execute();
    await slotbridge.connections.put(
      caller,
      practice,
      { practiceCode: 'T1', secret: 'wrong' },
      { force: true },
    );
    const [delivery] = await slotbridge.webhookDelivery.claim(10);
    const outcome = await slotbridge.webhookDelivery.execute(delivery!);
    const attempt = await withWebhooks(slotbridge.db)
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('endpoint_id', '=', endpoint.id)
      .executeTakeFirstOrThrow();
    return { outcome, attempt };
  };

  const byName = await deliverOnce('public', `http://localhost:${port}/hook`);
  t.equal(byName.outcome, 'retry');
  t.match(byName.attempt.error, /localhost: (127\.0\.0\.1|::1) is this machine \(loopback\): refused/);
  const byAddress = await deliverOnce('public', `http://127.0.0.1:${port}/hook`);
  t.match(byAddress.attempt.error, /127\.0\.0\.1 is this machine \(loopback\): refused/);
  t.equal(calls, 0, 'the receiver was never called');

  const allowed = await deliverOnce('loopback', `http://localhost:${port}/hook`);
  t.equal(allowed.outcome, 'delivered', 'the same receiver, allowed: delivered');
  t.equal(calls, 1);
});
