/**
 * The OpenAPI document's frame (info, servers, license, tags, security) and the conventions every
 * route follows, checked by `redocly lint` in test/openapi-lint.test.ts:
 *
 * - `operationId` as verbResource (`listPractices`, `createBooking`, `cancelBooking`), a
 *   `summary`, a `description` and `tags` naming one of TAGS below;
 * - the errors the route itself can answer as `...problemResponses(404, 409, …)` (schemas.ts):
 *   application/problem+json with the shared Problem schema. The answers every route of a kind
 *   can give (the HTTP layer's 400/500/503, 413/415 with a body, 414 with a path id, 401/429 with
 *   an API key, 403 on admin routes) are added by documentCommonProblems, so a route lists only
 *   its own;
 * - a body the server does not require: `'x-body-optional': true` in the route schema;
 * - a body or an answer the server checks itself (the plugins' connection settings) documented
 *   more precisely than its validation schema: `'x-documented-body'` / `'x-documented-responses'`;
 * - named examples (openapi-examples.ts): `'x-request-examples': { name: { summary, value } }` and
 *   `'x-response-examples': { 201: { name: { summary, value } } }`.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { examples } from './openapi-examples.ts';
import { problemResponse } from './schemas.ts';

/** Every tag an operation may have; a new one is added here with its description. */
export const TAGS = [
  {
    name: 'plugins',
    description: 'The EHR plugins this server has, their capabilities and connection settings',
  },
  { name: 'partners', description: 'Partners and their API keys (admin key only)' },
  { name: 'practices', description: 'GP practices: each is read from and written to one EHR' },
  { name: 'connection', description: "A practice's EHR credentials, set-up checks and sync health" },
  {
    name: 'booking catalogue',
    description: 'The booking side: practitioners, locations and appointment types of a practice',
  },
  {
    name: 'EHR catalogue',
    description: 'The EHR side: its practitioners, sites and slot types, as discovered',
  },
  {
    name: 'mappings',
    description: 'The mapping tables between the booking side and the EHR, and the active slot types',
  },
  { name: 'sync', description: 'Reading the EHR diary into our database' },
  { name: 'availability', description: 'The slots offered for booking' },
  { name: 'bookings', description: 'Booking, cancelling and moving appointments, written back to the EHR' },
  { name: 'diary', description: 'The appointments of the diary, ours and the EHR’s' },
  { name: 'diagnostics', description: 'Why a slot is, or is not, offered' },
  { name: 'audit', description: 'Who changed what at a practice' },
  { name: 'health', description: 'Liveness and readiness, without an API key' },
  { name: 'webhooks', description: 'Endpoints that are sent the events of a partner’s practices, signed' },
  { name: 'publishing', description: 'SMART Scheduling Links: the slots published as FHIR bulk data' },
];

export const openapiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'slotbridge',
      version: '0.1.0',
      description:
        "Keeps a booking product's bookable slots in step with clinical systems' diaries, and writes bookings back. Errors are application/problem+json (RFC 9457) with a stable code (docs/errors.md).",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the document is served by the server it describes.
    servers: [{ url: '/', description: 'This server' }],
    tags: TAGS,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: sb_…' } },
    },
    security: [{ apiKey: [] }],
  },
  // Keep each schema's $id as its component name.
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  transformObject: (document) =>
    'openapiObject' in document
      ? (finishDocument(document.openapiObject as OpenApiDocument) as typeof document.openapiObject)
      : document.swaggerObject,
};

interface Media {
  schema?: unknown;
  examples?: unknown;
}
interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
  [key: string]: unknown;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
}

const SUCCESS: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: it is done in the background',
  204: 'Done: no content',
};

/** Applies the route schemas' `x-` annotations of the conventions above, and removes them. */
function finishDocument(document: OpenApiDocument): OpenApiDocument {
  for (const methods of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(methods)) {
      if (typeof operation !== 'object' || operation === null) continue;
      if (operation['x-body-optional'] === true && operation.requestBody) {
        operation.requestBody.required = false;
      }
      const body = operation['x-documented-body'];
      if (body && operation.requestBody?.content) {
        for (const media of Object.values(operation.requestBody.content)) media.schema = body;
      }
      const answers = operation['x-documented-responses'] as Record<string, unknown> | undefined;
      for (const [status, schema] of Object.entries(answers ?? {})) {
        for (const media of Object.values(operation.responses?.[status]?.content ?? {}))
          media.schema = schema;
      }
      const requestExamples = operation['x-request-examples'];
      if (requestExamples && operation.requestBody?.content) {
        for (const media of Object.values(operation.requestBody.content)) media.examples = requestExamples;
      }
      const responseExamples = operation['x-response-examples'] as Record<string, unknown> | undefined;
      for (const [status, named] of Object.entries(responseExamples ?? {})) {
        const media = operation.responses?.[status]?.content?.['application/json'];
        if (media) media.examples = named;
      }
      for (const [status, answer] of Object.entries(operation.responses ?? {})) {
        // @fastify/swagger's placeholder for an answer whose schema has no description.
        if (answer.description === 'Default Response' && SUCCESS[status])
          answer.description = SUCCESS[status];
      }
      delete operation['x-request-examples'];
      delete operation['x-response-examples'];
      delete operation['x-body-optional'];
      delete operation['x-documented-body'];
      delete operation['x-documented-responses'];
    }
  }
  return document;
}

/**
 * onRoute hook: the problems every route of its kind can answer, added to its OpenAPI responses
 * unless the route lists them itself — 400 (malformed HTTP; a field not valid), 500 and 503 (the
 * server shutting down, or an answer too slow) on every route; 413 and 415 on a route with a body,
 * or whose method may carry one;
 * 414 on one with a path id.
 */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function documentCommonProblems(route: RouteOptions): void {
  const statuses = [400, 500, 503];
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined;
  if (!schema || schema.hide) return;
  // Fastify reads the body of these methods even when the route takes none.
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (schema.body || methods.some((m) => BODY_METHODS.has(m))) statuses.push(413, 415);
  if (schema.params) statuses.push(414);
  addProblems(route, statuses);
}

/** Adds problem+json answers for these statuses to the route's responses, unless listed already. */
export function addProblems(route: RouteOptions, statuses: number[]): void {
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined;
  if (!schema || schema.hide) return;
  const response = (schema.response ?? {}) as Record<string, unknown>;
  for (const status of statuses) response[status] ??= problemResponse(status);
  schema.response = response;
}

interface PluginWithConnection {
  id: string;
  connectionSchema: {
    $id?: string;
    properties?: Record<string, { writeOnly?: boolean }>;
    required?: string[];
  };
}

/** A plugin's connection settings component: its schema's `$id`, else e.g. `MemoryConnection`. */
export function connectionComponentName(plugin: PluginWithConnection): string {
  const pascal = plugin.id.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
  return plugin.connectionSchema.$id ?? `${pascal}Connection`;
}

/**
 * The components of the loaded plugins' connections, added to the app at boot: `EmisConnection`
 * (the body of PUT …/connection for an EMIS practice) and `EmisConnectionSettings` (the same
 * without its writeOnly secrets: the `settings` of the answer).
 */
export function pluginConnectionSchemas(plugins: PluginWithConnection[]): Record<string, unknown>[] {
  return plugins.flatMap((plugin) => {
    const name = connectionComponentName(plugin);
    const schema = plugin.connectionSchema;
    const secret = (key: string) => schema.properties?.[key]?.writeOnly === true;
    const properties = Object.fromEntries(
      Object.entries(schema.properties ?? {}).filter(([key]) => !secret(key)),
    );
    return [
      { ...schema, $id: name, title: name },
      {
        ...schema,
        $id: `${name}Settings`,
        title: `${name}Settings`,
        description: `The settings of a ${plugin.id} connection as answered: without its secrets`,
        properties,
        required: (schema.required ?? []).filter((key) => !secret(key)),
      },
    ];
  });
}

const componentRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** PUT …/connection's body in the document: one of the loaded plugins' connections. */
export const documentedConnectionBody = (plugins: PluginWithConnection[]) => ({
  oneOf: plugins.map((plugin) => componentRef(connectionComponentName(plugin))),
  description: "The practice's plugin's connection settings: one of these, as GET /v1/plugins shows them",
});

/** The connection answer in the document: its `settings` are one plugin's, without the secrets. */
export const documentedConnectionAnswer = (plugins: PluginWithConnection[]) => ({
  allOf: [
    componentRef('Connection'),
    {
      type: 'object',
      properties: {
        settings: {
          oneOf: plugins.map((plugin) => componentRef(`${connectionComponentName(plugin)}Settings`)),
        },
      },
    },
  ],
});

/** PUT …/connection's examples: those of the loaded plugins (openapi-examples.ts), by component. */
export function connectionExamples(plugins: PluginWithConnection[]): Record<string, unknown> {
  return Object.fromEntries(
    plugins.flatMap((plugin) => {
      const name = connectionComponentName(plugin);
      const example = examples.putConnection[name];
      return example ? [[name, example]] : [];
    }),
  );
}
