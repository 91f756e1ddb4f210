/**
 * A client generated from the served OpenAPI document works with no edits: openapi-typescript
 * writes the types from /openapi.json of a listening server (every plugin of
 * slotbridge.config.json loaded), fixtures/generated-client/flow.ts (openapi-fetch) is copied
 * beside them and passes `tsc --strict --noEmit`, then runs set-up → slots → book
 * (Idempotency-Key) → confirmed → cancel against that server and an EMIS sandbox.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEmisSandbox } from '@slotbridge/plugin-emis/sandbox';
import openapiTS, { astToString } from 'openapi-typescript';
import t from 'tap';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryPluginList, repositoryRoot } from './helpers/plugin-list.ts';
import { testApp } from './helpers/test-app.ts';

/** What fixtures/generated-client/flow.ts exports (it is typechecked only beside its generated types). */
type Flow = (options: {
  baseUrl: string;
  apiKey: string;
  connection: object;
  log: (line: string) => void;
}) => Promise<{
  booking: { state: string };
  replayStatus: number;
  cancelled: { state: string };
  problem: { status: number; code: string };
}>;

/** A command's exit status and output, without blocking the event loop (the server answers meanwhile). */
function run(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'generated-client');

t.test('a client generated from /openapi.json typechecks unedited and books and cancels', async (t) => {
  const started = Date.now();
  const lap = (what: string) => t.comment(`${what}: ${Date.now() - started} ms`);
  const sandbox = await createEmisSandbox({ demo: { days: 3 } });
  await sandbox.listen();
  const plugins = await loadPlugins(repositoryPluginList(), { demo: false });
  const server = await testApp({ ehrPlugins: plugins.map((p) => p.plugin), workers: true });
  t.teardown(async () => {
    await server.close();
    await sandbox.close();
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;

  lap('server listening');
  const folder = mkdtempSync(path.join(tmpdir(), 'slotbridge-client-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  // openapi-fetch and TypeScript as the repository has them.
  symlinkSync(path.join(repositoryRoot, 'node_modules'), path.join(folder, 'node_modules'), 'dir');
  writeFileSync(
    path.join(folder, 'schema.ts'),
    astToString(await openapiTS(new URL('/openapi.json', baseUrl))),
  );
  lap('types generated');
  copyFileSync(path.join(fixture, 'flow.ts'), path.join(folder, 'flow.ts'));
  writeFileSync(
    path.join(folder, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        lib: ['es2022', 'dom'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        allowImportingTsExtensions: true,
        // As a browser or isomorphic client: fetch and Response from the DOM library. The
        // generated types and the client are checked in full; the libraries' own .d.ts are not.
        types: [],
        skipLibCheck: true,
      },
      files: ['schema.ts', 'flow.ts'],
    }),
  );
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ type: 'module', private: true }));

  // The typecheck runs while the client runs: both take a few seconds.
  const tsc = run(path.join(repositoryRoot, 'node_modules', '.bin', 'tsc'), ['-p', folder, '--strict']);

  const { flow } = (await import(pathToFileURL(path.join(folder, 'flow.ts')).href)) as { flow: Flow };
  const result = await flow({
    baseUrl,
    apiKey: (await server.partner('Generated client')).key,
    connection: sandbox.connection(),
    log: (line) => t.comment(line),
  });
  lap('flow');
  const typecheck = await tsc;
  lap('tsc');
  t.equal(
    typecheck.status,
    0,
    `tsc --strict --noEmit on the generated types and the client, unedited\n${typecheck.output}`,
  );
  t.equal(result.booking.state, 'confirmed', 'booked and confirmed in the EHR');
  t.equal(result.replayStatus, 200, 'the retry with the same Idempotency-Key answers the same booking');
  t.match(result.cancelled.state, /^cancell(ing|ed)$/, 'cancelled with no body');
  t.equal(result.problem.status, 404);
  t.equal(result.problem.code, 'SB_ERR_BOOKING_NOT_FOUND');
});
