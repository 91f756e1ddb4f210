/**
 * The served OpenAPI document, with every plugin of slotbridge.config.json loaded, passes
 * `redocly lint` with the recommended ruleset and the rules of redocly.yaml (operationIds,
 * descriptions, declared tags, problem+json errors): 0 errors and 0 warnings. A failure prints
 * each problem with where it is, e.g. a new route without an operationId.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryPluginList, repositoryRoot } from './helpers/plugin-list.ts';
import { testApp } from './helpers/test-app.ts';

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer?: string }[];
}
interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: LintProblem[];
}

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

const redocly = path.join(repositoryRoot, 'node_modules', '.bin', 'redocly');

function lint(document: unknown, folder: string, name: string): LintReport {
  const file = path.join(folder, name);
  writeFileSync(file, JSON.stringify(document, null, 2));
  const run = spawnSync(
    redocly,
    ['lint', file, '--config', path.join(repositoryRoot, 'redocly.yaml'), '--format=json'],
    {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  if (run.error) throw run.error;
  try {
    return JSON.parse(run.stdout) as LintReport;
  } catch {
    throw new Error(`redocly lint did not answer JSON (status ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
}

const describe = (report: LintReport) =>
  report.problems
    .map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`)
    .join('\n');

const plugins = await loadPlugins(repositoryPluginList(), { demo: false });
const server = await testApp({ ehrPlugins: plugins.map((p) => p.plugin) });
t.teardown(server.close);
const document = (await server.app.inject('/openapi.json')).json();
const folder = mkdtempSync(path.join(tmpdir(), 'slotbridge-openapi-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true }));

t.test('redocly lint (recommended + redocly.yaml): 0 errors, 0 warnings', async (t) => {
  const report = lint(document, folder, 'openapi.json');
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 }, describe(report) || 'no problems');
});

t.test('every operation has an operationId, tags and its errors as problem+json', async (t) => {
  const ids = new Set<string>();
  for (const [route, methods] of Object.entries(
    document.paths as Record<string, Record<string, Operation>>,
  )) {
    for (const [method, operation] of Object.entries(methods)) {
      const where = `${method.toUpperCase()} ${route}`;
      t.match(operation.operationId, /^[a-z]+[A-Za-z0-9]*$/, `${where}: operationId verbResource`);
      t.notOk(ids.has(operation.operationId), `${where}: operationId unique`);
      ids.add(operation.operationId);
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || route === '/readyz') continue;
        t.same(
          Object.keys(answer.content ?? {}),
          ['application/problem+json'],
          `${where} ${status}: problem+json`,
        );
      }
    }
  }
  t.ok(document.paths['/v1/practices'].get.responses['401'], 'a list route documents its errors');
  t.same(document.servers, [{ url: '/', description: 'This server' }]);
  t.equal(document.info.license.identifier, 'MIT');
  const cancel = document.paths['/v1/practices/{practiceId}/bookings/{bookingId}/cancel'].post;
  t.equal(cancel.requestBody.required, false, 'the cancel body is optional, as the server takes none');
  const put = document.paths['/v1/practices/{practiceId}/connection'].put;
  t.same(
    put.requestBody.content['application/json'].schema.oneOf.map((s: { $ref: string }) => s.$ref).sort(),
    ['EmisConnection', 'GpConnectConnection', 'Hs1ExactConnection', 'MemoryConnection', 'SystmOneConnection']
      .map((name) => `#/components/schemas/${name}`)
      .sort(),
    "PUT …/connection's body: one of the loaded plugins' connections",
  );
  const media = (route: string, method: string, status?: string) => {
    const operation = document.paths[route][method];
    return (status ? operation.responses[status] : operation.requestBody).content['application/json'];
  };
  for (const [route, method, status] of [
    ['/v1/practices', 'post', undefined],
    ['/v1/practices', 'post', '201'],
    ['/v1/practices/{practiceId}/connection', 'put', undefined],
    ['/v1/practices/{practiceId}/slots', 'get', '200'],
    ['/v1/practices/{practiceId}/bookings', 'post', undefined],
    ['/v1/practices/{practiceId}/bookings', 'post', '201'],
    ['/v1/practices/{practiceId}/bookings/{bookingId}/cancel', 'post', undefined],
    ['/v1/practices/{practiceId}/bookings/{bookingId}/cancel', 'post', '200'],
  ] as const) {
    t.ok(
      Object.keys(media(route, method, status).examples ?? {}).length > 0,
      `examples: ${method} ${route} ${status ?? 'body'}`,
    );
  }
  t.notOk(
    document.components.schemas.EmisConnectionSettings.properties.apiPassword,
    'the answer does not list the secrets',
  );
});

t.test('the lint finds what this test exists to catch', async (t) => {
  // A route added without an operationId or description, under an undeclared tag, answering JSON errors.
  const broken = structuredClone(document);
  const operation = broken.paths['/v1/practices'].get;
  delete operation.operationId;
  delete operation.description;
  operation.tags = ['webhooks-undeclared'];
  operation.responses['401'].content = {
    'application/json': operation.responses['401'].content['application/problem+json'],
  };
  // An example that does not match its schema.
  broken.paths['/v1/practices/{practiceId}/slots'].get.responses['200'].content[
    'application/json'
  ].examples.page.value.data[0].durationMinutes = 'ten';
  const report = lint(broken, folder, 'broken.json');
  const rules = new Set(report.problems.map((p) => p.ruleId));
  for (const rule of [
    'operation-operationId',
    'operation-description',
    'operation-tag-defined',
    'operation-4xx-problem-details-rfc7807',
    'no-invalid-media-type-examples',
  ]) {
    t.ok(rules.has(rule), `${rule} reported`);
  }
});
