/**
 * Every answer the framework gives on its own (Fastify's router and body parsers, Node's HTTP
 * parser, timeouts, shutting down) is problem+json with one of our codes, like the API's own.
 */
import net from 'node:net';
import Fastify, { type LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { problemServerOptions, registerProblemHandlers } from '../src/problem.ts';
import { bearer, testApp } from './helpers/test-app.ts';

function isProblem(
  t: Test,
  response: LightMyRequestResponse,
  status: number,
  code: string,
  extra: object = {},
) {
  t.equal(response.statusCode, status, `${code}: status`);
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${code}: content type`);
  t.match(response.json(), {
    type: `https://slotbridge.dev/errors#${code}`,
    status,
    code,
    title: String,
    detail: String,
    fix: String,
    ...extra,
  });
}

/** Writes `raw` on a new connection to `port` and reads everything until the server closes it. */
function rawExchange(port: number, raw: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('error', () => resolve(text)); // reset after the answer
    socket.on('close', () => resolve(text));
    socket.on('connect', () => socket.write(raw));
    setTimeout(() => reject(new Error(`no close; got ${JSON.stringify(text)}`)), 5000).unref();
  });
}

/** The status and problem body of a raw HTTP/1.1 answer. */
function parseRaw(text: string): { status: number; headers: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

t.test('routing and body parsing: 404, 400, 413, 414, 415 as problem+json', async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const json = { ...bearer(a.key), 'content-type': 'application/json' };

  isProblem(t, await app.inject('/no/such/route'), 404, 'SB_ERR_ROUTE_NOT_FOUND', {
    detail: 'No route GET /no/such/route',
    instance: '/no/such/route',
  });
  isProblem(
    t,
    await app.inject({ method: 'DELETE', url: '/v1/practices', headers: bearer(a.key) }),
    404,
    'SB_ERR_ROUTE_NOT_FOUND',
    { detail: 'No route DELETE /v1/practices' },
  );
  isProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/practices', headers: json, payload: '{"name": ' }),
    400,
    'SB_ERR_JSON_INVALID',
    { detail: 'The body is not valid JSON', instance: '/v1/practices' },
  );
  isProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/practices', headers: json, payload: '' }),
    400,
    'SB_ERR_JSON_INVALID',
    { detail: 'The body is empty, but Content-Type says it is JSON' },
  );
  isProblem(
    t,
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: json,
      payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    }),
    413,
    'SB_ERR_BODY_TOO_LARGE',
    { detail: 'The body is larger than 1048576 bytes' },
  );
  isProblem(
    t,
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: { ...bearer(a.key), 'content-type': 'application/xml' },
      payload: '<practice/>',
    }),
    415,
    'SB_ERR_MEDIA_TYPE_UNSUPPORTED',
    { detail: 'A body of type "application/xml" is not accepted' },
  );
  isProblem(
    t,
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: { ...json, 'content-length': '5' },
      payload: '{"name": "x"}',
    }),
    400,
    'SB_ERR_CONTENT_LENGTH_MISMATCH',
  );
  const long = `/v1/practices/${'a'.repeat(101)}`;
  isProblem(t, await app.inject({ url: long, headers: bearer(a.key) }), 414, 'SB_ERR_URL_TOO_LONG', {
    title: 'URL too long',
    instance: long,
  });
  isProblem(
    t,
    await app.inject({ url: '/v1/practices/%E0%A4%A', headers: bearer(a.key) }),
    400,
    'SB_ERR_URL_INVALID',
  );
});

t.test(
  'an error thrown before any route (in onRequest) is a 500 problem, its message kept out',
  async (t) => {
    const { app, slotbridge, logs, close } = await testApp();
    t.teardown(close);
    slotbridge.apiKeys.authenticate = async () => {
      throw new Error('connection to the database lost: secret-detail');
    };
    const response = await app.inject({ url: '/v1/practices', headers: bearer('sb_anything') });
    t.equal(response.statusCode, 500);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.same(response.json(), {
      type: 'https://slotbridge.dev/errors#SB_ERR_INTERNAL',
      title: 'Internal error',
      status: 500,
      code: 'SB_ERR_INTERNAL',
      detail: 'Something went wrong on our side; the error is logged.',
      fix: 'Retry later; if it keeps happening, tell the operator (the error is logged).',
      instance: '/v1/practices',
    });
    t.match(logs.join(''), /secret-detail/, 'the cause is logged');
  },
);

t.test("Node's HTTP parser: malformed HTTP 400, headers too large 431, a slow request 408", async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;

  const malformed = parseRaw(await rawExchange(port, 'HELLO THERE\r\n\r\n'));
  t.equal(malformed.status, 400);
  t.match(malformed.headers, /content-type: application\/problem\+json/);
  t.match(malformed.body, { status: 400, code: 'SB_ERR_HTTP_MALFORMED', fix: String });

  const huge = parseRaw(
    await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
  );
  t.equal(huge.status, 431);
  t.match(huge.body, {
    status: 431,
    code: 'SB_ERR_HEADERS_TOO_LARGE',
    title: 'Headers too large',
  });

  // Node's request timeout is checked every 30 s: raise the error it raises on a real socket.
  const accepted = new Promise<net.Socket>((resolve) => app.server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  let text = '';
  client.on('data', (chunk) => {
    text += chunk.toString();
  });
  const closed = new Promise((resolve) => client.on('close', resolve));
  client.on('error', () => {});
  client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // headers never finished
  const serverSide = await accepted;
  app.server.emit(
    'clientError',
    Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
    serverSide,
  );
  await closed;
  const timeout = parseRaw(text);
  t.equal(timeout.status, 408);
  t.match(timeout.body, { status: 408, code: 'SB_ERR_REQUEST_TIMEOUT', title: 'Request timeout' });
});

t.test('a handler that takes longer than its handlerTimeout: 503 problem with Retry-After', async (t) => {
  const app = Fastify({ ...problemServerOptions, logger: false });
  registerProblemHandlers(app);
  app.get('/slow', { handlerTimeout: 50 }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { late: true };
  });
  t.teardown(() => app.close());
  const response = await app.inject('/slow');
  isProblem(t, response, 503, 'SB_ERR_ANSWER_TIMEOUT');
  t.equal(response.headers['retry-after'], '1');
});

t.test('a request still arriving while the server shuts down: 503 problem with Retry-After', async (t) => {
  const { app, slotbridge, close } = await testApp();
  t.teardown(close);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  // A first request waits in authentication while the server begins to close; its keep-alive
  // connection then carries a second request.
  let entered!: () => void;
  const inAuthentication = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  slotbridge.apiKeys.authenticate = async () => {
    entered();
    await gate;
    return null;
  };
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let text = '';
  const firstAnswer = new Promise<void>((resolve) =>
    socket.on('data', (chunk) => {
      text += chunk.toString();
      resolve();
    }),
  );
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write('GET /v1/practices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sb_x\r\n\r\n');
  await inAuthentication;
  const closing = app.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  release();
  await firstAnswer;
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await closed;
  await closing;
  const answers = text.split(/(?=HTTP\/1\.1 )/);
  t.equal(answers.length, 2, 'both requests answered');
  t.equal(parseRaw(answers[0]!).status, 401, 'the request already in progress is answered as usual');
  const refused = parseRaw(answers[1]!);
  t.equal(refused.status, 503);
  t.match(refused.headers, /content-type: application\/problem\+json/);
  t.match(refused.headers, /retry-after: 1/);
  t.match(refused.headers, /connection: close/);
  t.match(refused.body, { status: 503, code: 'SB_ERR_SHUTTING_DOWN', instance: '/healthz' });
});
