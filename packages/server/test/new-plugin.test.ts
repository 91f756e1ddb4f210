/**
 * `npm run new-plugin -- <id>` (scripts/new-plugin.mjs): the skeleton it writes typechecks, passes
 * biome, passes the conformance kit as the kit now stands, and is accepted by the server's plugin
 * loader with a demo practice. Bad input is refused with the fix, and nothing is written.
 *
 * The skeleton is written into a temporary folder under packages/ (removed at the end) whose
 * node_modules links to this checkout's core and the core's own dependencies, so it resolves
 * `@slotbridge/core` without `pnpm install`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryRoot } from './helpers/plugin-list.ts';

const script = path.join(repositoryRoot, 'scripts', 'new-plugin.mjs');
const bin = (name: string) => path.join(repositoryRoot, 'node_modules', '.bin', name);

function newPlugin(...args: string[]) {
  const run = spawnSync(process.execPath, [script, ...args], { cwd: repositoryRoot, encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

t.test(
  'an id that is not lower-case letters, digits and hyphens is refused with the rule; nothing is written',
  async (t) => {
    const parent = mkdtempSync(path.join(tmpdir(), 'new-plugin-'));
    t.teardown(() => rmSync(parent, { recursive: true, force: true }));
    for (const id of ['Acme', 'acme_pm', '9acme', 'acme-', 'acme--pm', 'acme pm']) {
      const dir = path.join(parent, 'plugin');
      const { status, out } = newPlugin(id, '--dir', dir);
      t.not(status, 0, `"${id}" is refused`);
      t.match(
        out,
        /is not a plugin id: use lower-case letters, digits and single hyphens/,
        `"${id}": the rule`,
      );
      t.notOk(existsSync(dir), `"${id}": nothing written`);
    }
    const { status, out } = newPlugin();
    t.not(status, 0, 'no id is refused');
    t.match(out, /Name the plugin: its id, e.g. acme/);
  },
);

t.test('an existing folder is refused, naming the fix; nothing in it is touched', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'new-plugin-existing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { status, out } = newPlugin('acme', '--dir', dir);
  t.not(status, 0);
  t.match(
    out,
    /already exists: nothing was written\. Choose another id, remove the folder, or give a new folder with --dir/,
  );
  t.same(readdirSync(dir), [], 'the folder is as it was');
  const bundled = newPlugin('emis');
  t.not(bundled.status, 0, 'the default folder of an existing plugin (packages/plugin-emis) too');
  t.match(bundled.out, /plugin-emis already exists/);
  const badName = newPlugin('acme', '--dir', path.join(dir, 'x'), '--name', 'Not A Name');
  t.not(badName.status, 0, 'a --name that is not a package name is refused');
  t.match(badName.out, /is not an npm package name/);
  t.notOk(existsSync(path.join(dir, 'x')));
});

// Slow (tsc, biome and the kit in child processes) and needs no database: CI's second pass, against
// another PostgreSQL, skips it (SLOTBRIDGE_TEST_SKIP_SLOW); generous under a loaded machine.
const slow = {
  skip: process.env.SLOTBRIDGE_TEST_SKIP_SLOW ? 'ran in the first pass: it uses no database' : false,
  timeout: 10 * 60_000,
};

t.test(
  'the skeleton typechecks, passes biome and the conformance kit, and the server loads it with a demo',
  slow,
  async (t) => {
    // Inside the workspace (so the base tsconfig and biome.json apply), under a dot folder that the
    // workspace's globs (tsconfig.json, tap) leave out.
    const parent = mkdtempSync(path.join(repositoryRoot, 'packages', '.new-plugin-test-'));
    t.teardown(() => rmSync(parent, { recursive: true, force: true }));
    const dir = path.join(parent, 'plugin-scaffold-check');
    const made = newPlugin('scaffold-check', '--dir', dir, '--name', '@example/slotbridge-scaffold-check');
    t.equal(made.status, 0, 'new-plugin succeeds', { output: made.out });
    t.match(made.out, /Created @example\/slotbridge-scaffold-check/);
    for (const file of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'src/index.ts',
      'src/scaffold-check-plugin.ts',
      'src/connection.ts',
      'src/errors.ts',
      'src/client.ts',
      'src/sandbox/index.ts',
      'test/conformance.test.ts',
    ]) {
      t.ok(existsSync(path.join(dir, file)), `${file} written`);
    }

    // What `pnpm install` would link: the workspace's core and the core's own dependencies.
    const core = path.join(repositoryRoot, 'packages', 'core');
    mkdirSync(path.join(dir, 'node_modules', '@slotbridge'), { recursive: true });
    symlinkSync(core, path.join(dir, 'node_modules', '@slotbridge', 'core'), 'dir');
    for (const dependency of ['luxon', 'typebox', 'fastify', 'fastify-plugin']) {
      const target = realpathSync(path.join(core, 'node_modules', dependency));
      symlinkSync(target, path.join(dir, 'node_modules', dependency), 'dir');
    }

    const typecheck = spawnSync(bin('tsc'), ['-p', path.join(dir, 'tsconfig.json'), '--noEmit'], {
      cwd: repositoryRoot,
      encoding: 'utf8',
    });
    t.equal(typecheck.status, 0, 'tsc --noEmit passes', { output: `${typecheck.stdout}${typecheck.stderr}` });

    const lint = spawnSync(bin('biome'), ['check', dir], { cwd: repositoryRoot, encoding: 'utf8' });
    t.equal(lint.status, 0, 'biome check passes', { output: `${lint.stdout}${lint.stderr}` });

    const conformance = spawnSync(
      process.execPath,
      ['--conditions=development', '--import=tsx', path.join(dir, 'test', 'conformance.test.ts')],
      { cwd: repositoryRoot, encoding: 'utf8', timeout: 120_000 },
    );
    const tap = conformance.stdout;
    t.equal(conformance.status, 0, 'the conformance kit passes', { output: `${tap}${conformance.stderr}` });
    t.notMatch(tap, /^not ok/m, 'no check of the kit fails');
    const checks = tap.match(/^ok \d+ - scaffold-check: /gm) ?? [];
    t.ok(checks.length >= 12, `the kit ran its checks (${checks.length})`);

    const [loaded] = await loadPlugins(
      { specifiers: [dir], from: repositoryRoot, source: 'test' },
      { demo: true },
    );
    t.equal(loaded?.id, 'scaffold-check', 'the server loader accepts it by its folder');
    t.equal(loaded?.noDemo, null, 'with no reason against a demo');
    t.type(loaded?.startDemoSandbox, 'function', 'its /sandbox export offers a demo practice');
    const demo = await loaded!.startDemoSandbox!();
    t.teardown(() => demo.close());
    t.match(demo.practiceName, /Scaffold Check/, 'the demo practice is named after the EHR');
    const connection = demo.connection as { baseUrl: string; apiKey: string };
    const slots = await fetch(new URL('/api/catalogue', connection.baseUrl), {
      headers: { authorization: `Bearer ${connection.apiKey}` },
    });
    t.equal(slots.status, 200, 'the demo sandbox answers its API with the demo connection');
  },
);
