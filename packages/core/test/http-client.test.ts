/**
 * sendHttp: one exchange read whole, with its headers; every way it fails is an HttpCallError
 * whose reason says why (timeout, cancelled, network — and whether the answer had begun); a
 * caller's agent is used when given.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { HttpCallError, sendHttp } from '../src/http-client.ts';

const server = http.createServer((req, res) => {
  if (req.url === '/ok') {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      res.writeHead(201, { etag: 'W/"7"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'], body }));
    });
  } else if (req.url === '/hang') {
    // never answers
  } else if (req.url === '/cut') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => {
  server.closeAllConnections();
  server.close();
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const signal = new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<HttpCallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpCallError) return error;
    throw error;
  }
  throw new Error('it answered');
}

t.test(
  'an answer read whole, with its status, headers and body; the body sent with its length',
  async (t) => {
    const answer = await sendHttp(
      new URL(`${base}/ok`),
      { method: 'POST', headers: {}, body: 'héllo' },
      { signal, timeoutMs: 2_000 },
    );
    t.equal(answer.status, 201);
    t.equal(answer.ok, true);
    t.equal(answer.headers.etag, 'W/"7"');
    t.same(JSON.parse(answer.text), { method: 'POST', length: '6', body: 'héllo' });
  },
);

t.test('no answer within the timeout: reason timeout', async (t) => {
  const error = await failure(
    sendHttp(new URL(`${base}/hang`), { method: 'GET', headers: {} }, { signal, timeoutMs: 100 }),
  );
  t.equal(error.reason, 'timeout');
});

t.test('the caller cancelling, before or during: reason cancelled', async (t) => {
  const aborted = AbortSignal.abort();
  t.equal(
    (
      await failure(
        sendHttp(
          new URL(`${base}/ok`),
          { method: 'GET', headers: {} },
          { signal: aborted, timeoutMs: 1_000 },
        ),
      )
    ).reason,
    'cancelled',
  );
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  t.equal(
    (
      await failure(
        sendHttp(
          new URL(`${base}/hang`),
          { method: 'GET', headers: {} },
          { signal: controller.signal, timeoutMs: 5_000 },
        ),
      )
    ).reason,
    'cancelled',
  );
});

t.test('nobody listening: network, with the code, before any answer', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const error = await failure(
    sendHttp(
      new URL(`http://127.0.0.1:${port}/`),
      { method: 'GET', headers: {} },
      { signal, timeoutMs: 2_000 },
    ),
  );
  t.equal(error.reason, 'network');
  t.equal(error.networkCode, 'ECONNREFUSED');
  t.equal(error.midAnswer, false);
});

t.test('a connection dropped after the answer began: network, midAnswer', async (t) => {
  const error = await failure(
    sendHttp(new URL(`${base}/cut`), { method: 'GET', headers: {} }, { signal, timeoutMs: 2_000 }),
  );
  t.equal(error.reason, 'network');
  t.equal(error.midAnswer, true);
});

t.test("the caller's agent carries the call", async (t) => {
  const agent = new http.Agent({ keepAlive: false });
  let used = 0;
  const original = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof original>) => {
    used += 1;
    return original(...args);
  }) as typeof agent.createConnection;
  t.teardown(() => agent.destroy());
  const answer = await sendHttp(
    new URL(`${base}/ok`),
    { method: 'GET', headers: {} },
    { signal, timeoutMs: 2_000, agent },
  );
  t.equal(answer.status, 201);
  t.equal(used, 1, 'one connection made through it');
});
