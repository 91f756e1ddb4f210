/**
 * SLOTBRIDGE_PLUGINS: which EHR plugins load is configuration, each checked at boot, and the demo
 * sets up a practice for each loaded plugin whose `/sandbox` export offers one.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestSlotbridge } from '@slotbridge/core/testing';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startDemo } from '../src/demo.ts';
import { DEFAULT_PLUGINS, loadPlugins, PluginLoadError } from '../src/plugins.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverDir = path.resolve(here, '..');
const emisFolder = path.resolve(here, '../../plugin-emis');

async function refused(specifiers: string[]): Promise<string> {
  try {
    await loadPlugins(specifiers, { cwd: here, demo: true });
  } catch (error) {
    if (error instanceof PluginLoadError) return error.message;
    throw error;
  }
  throw new Error('loaded');
}

t.test('unset, the three bundled plugins load, each with its demo practice', async (t) => {
  const config = loadConfig({}, { demo: true, cwd: here });
  t.same(config.plugins, [...DEFAULT_PLUGINS]);
  const plugins = await loadPlugins(config.plugins, { cwd: here, demo: true });
  t.same(
    plugins.map((p) => [p.id, typeof p.startDemoSandbox]),
    [
      ['emis', 'function'],
      ['systmone', 'function'],
      ['hs1-exact', 'function'],
    ],
  );
  const serving = await loadPlugins(config.plugins, { cwd: here, demo: false });
  t.ok(
    serving.every((p) => p.startDemoSandbox === null && p.noDemo === null),
    'without the demo no sandbox is loaded',
  );
});

t.test('SLOTBRIDGE_PLUGINS=@slotbridge/plugin-emis: one demo practice, and only emis served', async (t) => {
  const config = loadConfig({ SLOTBRIDGE_PLUGINS: ' @slotbridge/plugin-emis ' }, { demo: true, cwd: here });
  const plugins = await loadPlugins(config.plugins, { cwd: here, demo: true });
  const { slotbridge, database } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: plugins.map((p) => p.plugin) });
  await app.ready();
  const demo = await startDemo(slotbridge, plugins);
  t.teardown(async () => {
    await demo.close();
    await app.close();
    await database.drop();
  });
  t.same(
    demo.practices.map((p) => [p.ehr, p.name, p.sync.status]),
    [['emis', 'Demo Surgery (EMIS Web)', 'succeeded']],
  );
  const listed = await app.inject({
    url: '/v1/plugins',
    headers: { authorization: `Bearer ${demo.partnerKey}` },
  });
  t.equal(listed.statusCode, 200);
  t.same(
    listed.json().data.map((p: { id: string }) => p.id),
    ['emis'],
  );
});

t.test('a plugin given by path, without a /sandbox export, is served with no demo practice', async (t) => {
  const plugins = await loadPlugins(['./fixtures/plugin-without-sandbox.ts', '@slotbridge/plugin-emis'], {
    cwd: here,
    demo: true,
  });
  t.equal(plugins[0]!.startDemoSandbox, null);
  t.match(plugins[0]!.noDemo, /no \.\/sandbox export/);
  const { slotbridge, database } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: plugins.map((p) => p.plugin) });
  await app.ready();
  const demo = await startDemo(slotbridge, plugins);
  t.teardown(async () => {
    await demo.close();
    await app.close();
    await database.drop();
  });
  t.ok(slotbridge.ehr.has(plugins[0]!.id), 'the plugin is registered');
  t.same(
    demo.practices.map((p) => p.ehr),
    ['emis'],
  );
});

t.test('a package folder given by path loads like its name', async (t) => {
  // Relative to the directory the server starts in (here: this test's).
  const [emis] = await loadPlugins(['../../plugin-emis'], { cwd: here, demo: true });
  t.equal(emis!.id, 'emis');
  t.type(emis!.startDemoSandbox, 'function');
});

t.test('refused at boot, each with its fix', async (t) => {
  t.match(
    await refused(['@slotbridge/plugin-nope']),
    /"@slotbridge\/plugin-nope" cannot be found from the server.*Install it beside the server/,
  );
  t.match(
    await refused(['./no-such-folder']),
    /"\.\/no-such-folder" is not found: there is no file or folder/,
  );
  t.match(
    await refused(['pino']),
    /"pino" is not a slotbridge EHR plugin: its default export must be the Fastify plugin made by ehrFastifyPlugin/,
  );
  t.match(
    await refused(['@slotbridge/plugin-emis', emisFolder]),
    new RegExp(
      `"@slotbridge/plugin-emis" and "${emisFolder.replaceAll('/', '\\/')}" are both the EHR plugin "emis": list it once in SLOTBRIDGE_PLUGINS`,
    ),
  );
  t.match(
    await refused(['@slotbridge/plugin-emis', '@slotbridge/plugin-emis']),
    /are both the EHR plugin "emis"/,
  );
  const all = await refused(['@slotbridge/plugin-nope', 'pino']);
  t.match(all, /plugin-nope/);
  t.match(all, /"pino"/, 'every problem listed at once');
  t.throws(() => loadConfig({ SLOTBRIDGE_PLUGINS: ' , ' }, { demo: false, cwd: here }), {
    message: /SLOTBRIDGE_PLUGINS must list at least one EHR plugin package/,
  });
});

t.test('the CLI exits 1 with the message before it starts anything', async (t) => {
  for (const [plugins, message] of [
    [
      '@slotbridge/plugin-nope',
      /Invalid SLOTBRIDGE_PLUGINS:\n {2}- "@slotbridge\/plugin-nope" cannot be found/,
    ],
    ['pino', /"pino" is not a slotbridge EHR plugin/],
    ['@slotbridge/plugin-emis,@slotbridge/plugin-emis', /are both the EHR plugin "emis"/],
  ] as const) {
    const run = spawnSync(
      process.execPath,
      ['--conditions=development', '--import=tsx', path.join(serverDir, 'src/cli.ts'), 'serve'],
      {
        cwd: serverDir,
        encoding: 'utf8',
        timeout: 60_000,
        // An unreachable database: had it got that far, it would fail differently.
        env: {
          ...process.env,
          SLOTBRIDGE_PLUGINS: plugins,
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          SLOTBRIDGE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
          PORT: '0',
        },
      },
    );
    t.equal(run.status, 1, `${plugins}: exit 1`);
    t.match(run.stderr, message, plugins);
    t.notMatch(run.stdout, /listening/, `${plugins}: never listened`);
  }
});
