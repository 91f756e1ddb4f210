/**
 * Property-based requests (fast-check), generated from each route's own JSON schemas (params,
 * querystring, body, headers) for every route of the real app: valid values, and values broken
 * in one place (unicode and control characters, huge numbers, wrong types, missing and extra
 * fields, impossible dates and malformed uuids), invalid JSON, and ids that exist, do not, or are
 * not ids at all. Whatever comes in: never a 5xx, never a stack trace or an internal message in
 * the body, and every error is application/problem+json with `code`, `status` and `detail`.
 *
 * Seeded (SLOTBRIDGE_FUZZ_SEED to try another seed, SLOTBRIDGE_FUZZ_RUNS for more runs per route).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import {
  type ApiRoute,
  apiRoutes,
  type JsonSchema,
  NASTY_STRINGS,
  pathOf,
  schemaContext,
  validOrBrokenArb,
  weirdArb,
} from './helpers/route-table.ts';
import { bearer } from './helpers/test-app.ts';
import { type TenantIds, twoPartners } from './helpers/two-partners.ts';

const SEED = Number(process.env.SLOTBRIDGE_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.SLOTBRIDGE_FUZZ_RUNS ?? 60);

/** Which of A's ids a field or parameter of this name takes, when it takes a real one. */
const ID_OF: Record<string, keyof TenantIds> = {
  practiceId: 'practiceId',
  partnerId: 'partnerId',
  practitionerId: 'practitionerId',
  locationId: 'locationId',
  appointmentTypeId: 'appointmentTypeId',
  bookingId: 'bookingId',
  slotId: 'freeSlotId',
};

/** What an answer must never show: a stack frame, a source path, a database or runtime message. */
const INTERNALS: [string, RegExp][] = [
  ['stack frame', /\bat (?:[\w.<>$[\] ]+ )?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/],
  ['source path', /\.ts:\d+|node_modules|\/work\/|node:internal/],
  [
    'runtime error',
    /\b(TypeError|ReferenceError|RangeError|SyntaxError)\b|Cannot read properties|is not a function/,
  ],
  [
    'database message',
    /invalid input syntax|violates .* constraint|duplicate key value|syntax error at or near|relation "|column "|invalid byte sequence|out of range for type|\bkysely\b|\bpg_/i,
  ],
];

function checkAnswer(res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${res.body.slice(0, 500)}`;
  for (const [what, pattern] of INTERNALS) {
    const m = pattern.exec(res.body);
    if (m) return `the answer shows a ${what} (${JSON.stringify(m[0])}): ${res.body.slice(0, 500)}`;
  }
  if (res.statusCode < 400) return null;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
    return `${res.statusCode} is ${res.headers['content-type']}, not problem+json: ${res.body.slice(0, 300)}`;
  }
  let problem: { code?: unknown; status?: unknown; detail?: unknown };
  try {
    problem = JSON.parse(res.body);
  } catch {
    return `${res.statusCode} problem+json that is not JSON: ${res.body.slice(0, 300)}`;
  }
  if (typeof problem.code !== 'string' || !problem.code) return `no code: ${res.body.slice(0, 300)}`;
  if (problem.status !== res.statusCode) return `status ${problem.status} in a ${res.statusCode} answer`;
  if (typeof problem.detail !== 'string' || !problem.detail) return `no detail: ${res.body.slice(0, 300)}`;
  return null;
}

/** A query value as it goes on the wire. */
const wire = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/** Strings JavaScript and URLs can carry (lone surrogates made whole: encodeURIComponent refuses them). */
const whole = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

function queryString(query: unknown): string {
  if (query === undefined) return '';
  if (query === null || typeof query !== 'object' || Array.isArray(query)) {
    return `?${encodeURIComponent(whole(wire(query)))}`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      parts.push(`${encodeURIComponent(whole(k))}=${encodeURIComponent(whole(wire(one)))}`);
    }
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

const RAW_BODIES = [
  '{',
  '[1,',
  'nul',
  '{"a":1}}',
  '"\\ud800"',
  '{"name":"\\u0000"}',
  '\u0000',
  '1e99999',
  '',
];
const RAW_PARAMS = ['%', '%E0%A4%A', '%00', '..', '%2e%2e', 'x'.repeat(101), '%F0%9F%98'];

t.test(
  'generated requests to every route: never a 5xx, never internals, every error problem+json',
  async (t) => {
    const setup = await twoPartners();
    t.teardown(setup.close);
    const { app, a, adminKey, logs } = setup;
    const idArb = (name: string) =>
      fc.oneof(
        { arbitrary: fc.constant(a.ids[ID_OF[name]!]), weight: 3 },
        { arbitrary: fc.uuid(), weight: 1 },
      );
    // Id fields take A's real ids as often as not, so requests get past "not found" to the code behind.
    const ctx = schemaContext(app, (name, schema) =>
      ID_OF[name] && schema.format === 'uuid' ? idArb(name) : undefined,
    );
    const routes = apiRoutes(setup.routes);
    const stats = { routes: 0, requests: 0, statuses: new Map<number, number>() };
    // Every status answered is one the route's OpenAPI responses list (a generated client types
    // the others as never): "METHOD url status" of those that are not.
    const undocumented = new Set<string>();

    const paramArb = (param: string): fc.Arbitrary<{ value: string; raw: boolean }> =>
      fc.oneof(
        {
          arbitrary: (ID_OF[param] ? idArb(param) : fc.string()).map((value) => ({ value, raw: false })),
          weight: 5,
        },
        {
          arbitrary: fc
            .oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }))
            .map((value) => ({ value: whole(value), raw: false })),
          weight: 2,
        },
        { arbitrary: fc.constantFrom(...RAW_PARAMS).map((value) => ({ value, raw: true })), weight: 1 },
      );

    const bodyArb = (
      route: ApiRoute,
    ): fc.Arbitrary<{ json?: unknown; raw?: string; type?: string } | null> => {
      const schema = route.schema.body as JsonSchema | undefined;
      const json = schema ? validOrBrokenArb(schema, ctx) : weirdArb;
      return fc.oneof(
        { arbitrary: json.map((value) => ({ json: value })), weight: 8 },
        { arbitrary: fc.constant(null), weight: 1 },
        { arbitrary: fc.constantFrom(...RAW_BODIES).map((raw) => ({ raw })), weight: 1 },
        {
          arbitrary: fc
            .constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/json; charset=latin1',
            )
            .map((type) => ({ raw: 'a=1', type })),
          weight: 1,
        },
      );
    };

    const headerArb = (route: ApiRoute): fc.Arbitrary<Record<string, string>> => {
      const wanted = Boolean(
        (route.schema.headers as JsonSchema | undefined)?.properties?.['idempotency-key'],
      );
      const key = fc.oneof(
        { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 60 }), weight: 4 },
        { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 7 }), weight: 1 },
        { arbitrary: fc.constant('k'.repeat(201)), weight: 1 },
      );
      return fc
        .option(
          key.map((k) => k.trim() || 'x'),
          { freq: wanted ? 6 : 2, nil: undefined },
        )
        .map((k): Record<string, string> => (k === undefined ? {} : { 'idempotency-key': k }));
    };

    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const query = route.schema.querystring
        ? validOrBrokenArb(route.schema.querystring as JsonSchema, ctx)
        : fc.dictionary(fc.string({ maxLength: 8 }), weirdArb, { maxKeys: 2 });
      const request = fc.record({
        params: fc.record(Object.fromEntries(route.params.map((p) => [p, paramArb(p)]))),
        query: fc.option(query, { nil: undefined, freq: 4 }),
        body: route.method === 'GET' ? fc.constant(null) : bodyArb(route),
        headers: headerArb(route),
      });
      const seed = SEED ^ createHash('sha1').update(name).digest().readUInt32BE(0);
      stats.routes += 1;
      try {
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            const values = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v.value]));
            const raws = Object.entries(r.params).some(([, v]) => v.raw);
            const path = raws
              ? pathOf(
                  route,
                  Object.fromEntries(
                    Object.entries(r.params).map(([k, v]) => [
                      k,
                      v.raw ? v.value : encodeURIComponent(v.value),
                    ]),
                  ),
                  false,
                )
              : pathOf(route, values);
            const headers: Record<string, string> = {
              ...r.headers,
              ...bearer(route.admin ? adminKey : a.key),
            };
            let payload: string | undefined;
            if (r.body) {
              payload = r.body.raw ?? JSON.stringify(r.body.json);
              if (payload !== undefined) headers['content-type'] = r.body.type ?? 'application/json';
            }
            const res = await app.inject({
              method: route.method as 'GET',
              url: path + queryString(r.query),
              headers,
              ...(payload !== undefined && { payload }),
            });
            stats.requests += 1;
            stats.statuses.set(res.statusCode, (stats.statuses.get(res.statusCode) ?? 0) + 1);
            if (!route.hidden && !route.documented.has(res.statusCode)) {
              undocumented.add(`${route.method} ${route.url} ${res.statusCode} ${res.body.slice(0, 160)}`);
            }
            const problem = checkAnswer(res);
            if (problem) throw new Error(`${route.method} ${path}${queryString(r.query)}: ${problem}`);
          }),
          { seed, numRuns: RUNS, includeErrorInReport: true },
        );
        t.pass(`${name}: ${RUNS} generated requests`);
      } catch (error) {
        t.fail(`${name}: ${(error as Error).message.slice(0, 3000)}`);
      }
    }

    t.same([...undocumented].sort(), [], 'every status answered is in the OpenAPI document');
    const unexpected = logs.filter((line) => /"level":(50|60)/.test(line));
    t.same(unexpected, [], 'no error was logged');
    const statuses = [...stats.statuses.entries()].sort(([x], [y]) => x - y).map(([s, n]) => `${s}×${n}`);
    t.comment(
      `fuzz: ${stats.routes} routes, ${stats.requests} requests (seed ${SEED}): ${statuses.join(' ')}`,
    );
    // The suite must not silently shrink to nothing: most requests get past validation somewhere.
    t.ok(
      (stats.statuses.get(200) ?? 0) + (stats.statuses.get(201) ?? 0) > stats.routes,
      'valid requests got through',
    );
  },
);

t.test('what PostgreSQL cannot hold is 400 naming the field: NUL, unpaired surrogates, 1e309', async (t) => {
  const setup = await twoPartners();
  t.teardown(setup.close);
  const { app, a } = setup;
  const p = `/v1/practices/${a.ids.practiceId}`;
  const cases: [string, string, string | undefined, string][] = [
    ['POST', `${p}/practitioners`, '{"name":"Dr \\u0000"}', '/name'],
    ['PATCH', p, '{"name":"\\ud800 Surgery"}', '/name'],
    ['POST', `${p}/locations`, '{"name":"Room \\udc00"}', '/name'],
    ['PUT', `${p}/connection`, '{"practiceCode":"T1","secret":"a\\u0000b"}', '/secret'],
    ['GET', `${p}/sync-runs?limit=1e309`, undefined, '/limit'],
    ['GET', `${p}/audit?limit=1e309`, undefined, '/limit'],
  ];
  for (const [method, url, payload, field] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...bearer(a.key), ...(payload && { 'content-type': 'application/json' }) },
      ...(payload && { payload }),
    });
    t.equal(res.statusCode, 400, `${method} ${url} ${payload ?? ''}`);
    t.match(res.json(), { code: 'SB_ERR_VALIDATION', errors: [{ field }] });
  }
  const fine = await app.inject({
    method: 'POST',
    url: `${p}/practitioners`,
    headers: bearer(a.key),
    payload: { name: 'Dr 👩‍⚕️ Ünïcödé' },
  });
  t.equal(fine.statusCode, 201, 'paired surrogates (emoji) and accents are fine');
});
