/**
 * The app's route table as Fastify's onRoute hook saw it (TestApp.routes), and fast-check
 * arbitraries derived from each route's JSON schemas: valid values, and values broken in one
 * place (a wrong type, control characters, a huge number, a missing or an extra field…).
 */
import fc from 'fast-check';
import type { FastifyInstance, RouteOptions } from 'fastify';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents are untyped here.
export type JsonSchema = Record<string, any>;

export interface ApiRoute {
  method: string;
  /** Fastify's form: /v1/practices/:practiceId */
  url: string;
  /** The path parameters, in order (`*` for a wildcard). */
  params: string[];
  schema: { params?: JsonSchema; querystring?: JsonSchema; body?: JsonSchema; headers?: JsonSchema };
  /** The statuses its schema documents (response keys). */
  documented: Set<number>;
  admin: boolean;
  /** Refuses a practice key (403): `config.partnerLevel`, set by auth.ts (flagged, or by prefix). */
  partnerLevel: boolean;
  hidden: boolean;
}

/** Every route and method, HEAD left out (Fastify adds it to each GET). */
export function apiRoutes(routes: RouteOptions[]): ApiRoute[] {
  const seen = new Set<string>();
  const out: ApiRoute[] = [];
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const id = `${method} ${route.url}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const schema = (route.schema ?? {}) as JsonSchema;
      out.push({
        method,
        url: route.url,
        params: [...route.url.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*'),
        schema: {
          params: schema.params,
          querystring: schema.querystring,
          body: schema.body,
          headers: schema.headers,
        },
        documented: new Set(Object.keys(schema.response ?? {}).map(Number)),
        admin: (route.config as { admin?: boolean } | undefined)?.admin === true,
        partnerLevel: (route.config as { partnerLevel?: boolean } | undefined)?.partnerLevel === true,
        hidden: schema.hide === true,
      });
    }
  }
  return out;
}

/** The concrete path of a route with these parameter values (each percent-encoded). */
export function pathOf(route: ApiRoute, values: Record<string, string>, encode = true): string {
  return route.url.replace(/:(\w+)|\*/g, (_m, name: string | undefined) => {
    const value = values[name ?? '*'] ?? '';
    return encode ? encodeURIComponent(value) : value;
  });
}

/** How schemas are read: `resolve` follows a $ref to the app's shared schemas; `hint` may pick a field's values. */
export interface SchemaContext {
  resolve: (schema: JsonSchema) => JsonSchema;
  hint?: (name: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;
}

export function schemaContext(app: FastifyInstance, hint?: SchemaContext['hint']): SchemaContext {
  const shared = app.getSchemas() as Record<string, JsonSchema>;
  const resolve = (schema: JsonSchema) => {
    let s = schema;
    for (let i = 0; i < 10 && s && typeof s.$ref === 'string'; i++) {
      s = shared[s.$ref.replace(/^#\/?/, '')] ?? s;
    }
    return s;
  };
  return { resolve, ...(hint && { hint }) };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const dayArb = fc.integer({ min: -400, max: 400 }).map((n) => isoDate(new Date(Date.now() + n * 86_400_000)));

/** Field names whose plain strings mean a date or an instant (the schema says so in words only). */
const DATE_FIELDS = /^(date|from|to)$/;

/** Arbitrary of values valid for `schema`. `name`: the property's name, for a few hints. */
export function validArb(schema: JsonSchema, ctx: SchemaContext, name = ''): fc.Arbitrary<unknown> {
  const s = ctx.resolve(schema);
  const hinted = ctx.hint?.(name, s);
  if (hinted) return hinted;
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: JsonSchema) => validArb(x, ctx, name)));
  }
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'array':
      return fc.array(validArb(s.items ?? {}, ctx, name), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object':
      return objectArb(s, ctx);
    case 'string':
      return stringArb(s, name);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function stringArb(s: JsonSchema, name: string): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'date':
      return dayArb;
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
  }
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  if (DATE_FIELDS.test(name)) return dayArb;
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 30, 30));
  return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'binary', minLength, maxLength }));
}

function objectArb(s: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(properties);
  if (names.length === 0) {
    return s.additionalProperties === false
      ? fc.constant({})
      : fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), {
          maxKeys: 4,
        });
  }
  const required = (s.required ?? []) as string[];
  const record = fc.record(Object.fromEntries(names.map((n) => [n, validArb(properties[n]!, ctx, n)])), {
    requiredKeys: required,
  }) as fc.Arbitrary<Record<string, unknown>>;
  const min = s.minProperties ?? 0;
  return min > 0 ? record.filter((r) => Object.keys(r).length >= min) : record;
}

/** A fixed, valid example of `schema` (the first value of a seeded run), with `overrides` by field name. */
export function sampleValid(
  schema: JsonSchema | undefined,
  ctx: SchemaContext,
  overrides: (name: string, value: unknown) => unknown = (_n, v) => v,
): unknown {
  if (!schema) return undefined;
  const [value] = fc.sample(validArb(schema, ctx), { seed: 42, numRuns: 1 });
  return replaceFields(value, overrides);
}

/** Every field of `value` (at any depth) passed through `fn(name, value)`. */
export function replaceFields(value: unknown, fn: (name: string, value: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceFields(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(k, replaceFields(v, fn))]));
  }
  return value;
}

/** Strings a careless parser or query chokes on. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m\r\n',
  '\t\n',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  '2026-02-30',
  '2026-13-01',
  '0000-00-00',
  '9999-12-31',
  '275760-09-13',
  '2026-11-24T25:61:00Z',
  '2026-11-24T09:00:00+99:00',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '5b0c2a4e-0000-4000-8000-00000000000g',
  '{5b0c2a4e-0000-4000-8000-000000000000}',
  "' or 1=1 --",
  '"; drop table practices; --',
  '%',
  '%00',
  '../../etc/passwd',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '👩‍⚕️🩺',
  'Z̷̛̛a̶l̸g̵o̷',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  'x'.repeat(300),
  '9'.repeat(400),
];

/** A value of any JSON type, often hostile. */
export const weirdArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

type Mutation = 'replace' | 'delete' | 'add';

/** Paths to every node of a JSON value: [] is the root. */
function nodePaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  const out = [path];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...nodePaths(v, [...path, i]));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...nodePaths(v, [...path, k]));
  }
  return out;
}

function mutateAt(value: unknown, pick: number, weird: unknown, op: Mutation, extraName: string): unknown {
  const copy = structuredClone(value);
  const paths = nodePaths(copy);
  const path = paths[pick % paths.length]!;
  if (path.length === 0) {
    if (op === 'add' && copy && typeof copy === 'object' && !Array.isArray(copy)) {
      (copy as Record<string, unknown>)[extraName] = weird;
      return copy;
    }
    return weird;
  }
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (
    op === 'add' &&
    parent[last] &&
    typeof parent[last] === 'object' &&
    !Array.isArray(parent[last])
  ) {
    (parent[last] as Record<string, unknown>)[extraName] = weird;
  } else {
    parent[last] = weird;
  }
  return copy;
}

/** A valid value of `schema` broken in one place: a node replaced, deleted, or given an extra field. */
export function brokenArb(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      validArb(schema, ctx),
      fc.nat(),
      weirdArb,
      fc.constantFrom<Mutation>('replace', 'delete', 'add'),
      fc.constantFrom('extra', '__proto__', 'constructor', '', 'patient', 'slotId'),
    )
    .map(([value, pick, weird, op, extra]) => mutateAt(value, pick, weird, op, extra));
}

/** A valid value or a broken one. */
export function validOrBrokenArb(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: validArb(schema, ctx), weight: 1 },
    { arbitrary: brokenArb(schema, ctx), weight: 2 },
  );
}
