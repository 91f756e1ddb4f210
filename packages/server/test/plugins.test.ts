/**
 * Which EHR plugins load is configuration (slotbridge.config.json, or SLOTBRIDGE_PLUGINS), each
 * checked at boot, and the demo sets up a practice for each loaded plugin whose `/sandbox` export
 * offers one.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EhrRegistry } from '@slotbridge/core';
import { createMemoryEhr, createTestSlotbridge } from '@slotbridge/core/testing';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startDemo } from '../src/demo.ts';
import { CONFIG_FILE, loadPlugins, PluginLoadError, readPluginList } from '../src/plugins.ts';
import { repositoryPluginList, repositoryRoot } from './helpers/plugin-list.ts';
import { bearer, testApp } from './helpers/test-app.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverDir = path.resolve(here, '..');
const emisFolder = path.resolve(here, '../../plugin-emis');

/** A list as SLOTBRIDGE_PLUGINS gives it, from this test's folder. */
const listed = (...specifiers: string[]) => ({ specifiers, from: here, source: 'SLOTBRIDGE_PLUGINS' });

async function refused(specifiers: string[]): Promise<string> {
  try {
    await loadPlugins(listed(...specifiers), { demo: true });
  } catch (error) {
    if (error instanceof PluginLoadError) return error.message;
    throw error;
  }
  throw new Error('loaded');
}

t.test(
  'unset, the config file in the start directory lists them: the bundled plugins load, each with its demo',
  async (t) => {
    const config = loadConfig({}, { demo: true, cwd: repositoryRoot });
    t.same(config.plugins, repositoryPluginList());
    t.equal(config.plugins.source, path.join(repositoryRoot, CONFIG_FILE));
    t.equal(config.plugins.from, repositoryRoot, "names are resolved from the config file's folder");
    const plugins = await loadPlugins(config.plugins, { demo: true });
    t.same(
      plugins.slice(0, 3).map((p) => [p.id, typeof p.startDemoSandbox]),
      [
        ['emis', 'function'],
        ['systmone', 'function'],
        ['hs1-exact', 'function'],
      ],
    );
    t.ok(
      plugins.every((p) => typeof p.startDemoSandbox === 'function'),
      'every plugin of this repository brings its demo practice',
    );
    const serving = await loadPlugins(config.plugins, { demo: false });
    t.ok(
      serving.every((p) => p.startDemoSandbox === null && p.noDemo === null),
      'without the demo no sandbox is loaded',
    );
  },
);

t.test('SLOTBRIDGE_PLUGINS=@slotbridge/plugin-emis: one demo practice, and only emis served', async (t) => {
  const config = loadConfig(
    { SLOTBRIDGE_PLUGINS: ' @slotbridge/plugin-emis ' },
    { demo: true, cwd: repositoryRoot },
  );
  t.same(config.plugins.specifiers, ['@slotbridge/plugin-emis'], 'the variable wins over the config file');
  const plugins = await loadPlugins(config.plugins, { demo: true });
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
  const plugins = await loadPlugins(
    listed('./fixtures/plugin-without-sandbox.ts', '@slotbridge/plugin-emis'),
    {
      demo: true,
    },
  );
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
  // Relative to the list's folder (here: this test's, as for SLOTBRIDGE_PLUGINS started here).
  const [emis] = await loadPlugins(listed('../../plugin-emis'), { demo: true });
  t.equal(emis!.id, 'emis');
  t.type(emis!.startDemoSandbox, 'function');
});

t.test(
  'a config file elsewhere (SLOTBRIDGE_CONFIG): names from its node_modules, paths from its folder',
  async (t) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'slotbridge-config-'));
    t.teardown(() => rmSync(folder, { recursive: true, force: true }));
    // A plugin installed beside the config file under a name the server does not know, as
    // `npm install @acme/slotbridge-plugin-emis` there would.
    mkdirSync(path.join(folder, 'node_modules', '@acme'), { recursive: true });
    symlinkSync(emisFolder, path.join(folder, 'node_modules', '@acme', 'slotbridge-plugin-emis'));
    const file = path.join(folder, 'partner.json');
    writeFileSync(file, JSON.stringify({ plugins: ['@acme/slotbridge-plugin-emis'] }));
    const config = loadConfig({ SLOTBRIDGE_CONFIG: file }, { demo: false, cwd: here });
    t.same(config.plugins, { specifiers: ['@acme/slotbridge-plugin-emis'], from: folder, source: file });
    const [emis] = await loadPlugins(config.plugins, { demo: true });
    t.equal(emis!.id, 'emis');
    t.type(emis!.startDemoSandbox, 'function', 'its ./sandbox export found the same way');

    writeFileSync(file, JSON.stringify({ plugins: ['./fixtures/plugin-without-sandbox.ts'] }));
    t.rejects(
      loadPlugins(readPluginList({ SLOTBRIDGE_CONFIG: file }, here) as never, { demo: false }),
      {
        message: new RegExp(
          `Invalid EHR plugin list \\(${file}\\)[^]*there is no file or folder ${folder}/fixtures`,
        ),
      },
      "a relative path is from the config file's folder, not the start directory",
    );

    const problem = (text: string) => {
      writeFileSync(file, text);
      return readPluginList({ SLOTBRIDGE_CONFIG: file }, here);
    };
    t.match(problem('{ plugins: [] }'), /is not valid JSON .*fix it, e\.g\. \{ "plugins"/);
    t.match(problem('{ "plugins": [] }'), /"plugins" lists at least one EHR plugin package/);
    t.match(problem('{ "plugins": ["@slotbridge/plugin-emis", 3] }'), /"plugins" lists at least one/);
    t.match(
      problem('{ "plugins": ["@slotbridge/plugin-emis"], "port": 8080 }'),
      /has "port", which slotbridge does not read: remove it .*environment variable/,
    );
    t.match(
      readPluginList({ SLOTBRIDGE_CONFIG: path.join(folder, 'nope.json') }, here),
      /SLOTBRIDGE_CONFIG names .*nope\.json, which does not exist/,
    );
  },
);

t.test('refused at boot, each with its fix', async (t) => {
  t.match(
    await refused(['@slotbridge/plugin-nope']),
    /"@slotbridge\/plugin-nope" cannot be found from .* nor from the server.*npm install @slotbridge\/plugin-nope/,
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
      `"@slotbridge/plugin-emis" and "${emisFolder.replaceAll('/', '\\/')}" are both the EHR plugin "emis": list it once`,
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
  t.throws(() => loadConfig({}, { demo: false, cwd: here }), {
    message: /no EHR plugin is listed: there is no slotbridge\.config\.json in .*SLOTBRIDGE_CONFIG/,
  });
});

t.test('the CLI exits 1 with the message before it starts anything', async (t) => {
  for (const [plugins, message] of [
    [
      '@slotbridge/plugin-nope',
      /Invalid EHR plugin list \(SLOTBRIDGE_PLUGINS\):\n {2}- "@slotbridge\/plugin-nope" cannot be found/,
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

t.test(
  "GET /v1/plugins answers each loaded plugin's set-up steps, in order; none declared is []",
  async (t) => {
    const plugins = await loadPlugins(repositoryPluginList(), { demo: false });
    const { app, adminKey, close } = await testApp({ ehrPlugins: plugins.map((p) => p.plugin) });
    t.teardown(close);
    const answer = await app.inject({ url: '/v1/plugins', headers: bearer(adminKey) });
    t.equal(answer.statusCode, 200);
    const served = new Map<string, { setupSteps: { title: string; text: string; warning?: string }[] }>(
      answer.json().data.map((p: { id: string }) => [p.id, p]),
    );
    for (const plugin of app.slotbridge.ehr.list()) {
      t.same(
        served.get(plugin.id)?.setupSteps,
        plugin.setupSteps ?? [],
        `${plugin.id}: its declared steps, in order`,
      );
    }
    t.same(served.get('memory')?.setupSteps, [], 'a plugin that declares none: an empty list');
    const emis = served.get('emis')!.setupSteps;
    t.ok(emis.length >= 4 && emis.length <= 8, 'EMIS: 4 to 8 steps');
    const emisText = emis.map((s) => `${s.title}\n${s.text}\n${s.warning ?? ''}`).join('\n');
    t.match(emisText, /API password/);
    t.match(emisText, /Login Access/);
    t.match(emisText, /Auto Login/);
    t.match(emisText, /CDB number/);
    t.ok(
      emis.some((s) => /not the EMIS user password/.test(s.warning ?? '')),
      'a warning says which password goes in the form',
    );
    for (const id of ['systmone', 'hs1-exact', 'gpconnect']) {
      t.ok((served.get(id)?.setupSteps.length ?? 0) >= 4, `${id} declares its steps`);
    }
    t.match(
      served
        .get('hs1-exact')!
        .setupSteps.map((s) => s.text)
        .join('\n'),
      /slug/,
    );
    for (const [id, plugin] of served) {
      for (const step of plugin.setupSteps) {
        t.notMatch(
          `${step.title}${step.text}${step.warning ?? ''}`,
          /<[a-z/]|\*\*|TODO/i,
          `${id}: plain text`,
        );
      }
    }

    const openapi = (await app.inject('/openapi.json')).json();
    t.ok(openapi.components.schemas.SetupStep, 'component SetupStep');
    t.same(openapi.components.schemas.Plugin.properties.setupSteps.items, {
      $ref: '#/components/schemas/SetupStep',
    });
    t.same(openapi.components.schemas.Plugin.properties.capabilities, {
      $ref: '#/components/schemas/Capabilities',
    });
  },
);

t.test('the registry refuses set-up steps without a title or text, or with a title twice', async (t) => {
  const { definition } = createMemoryEhr();
  const step = { title: 'Ask for the API key', text: 'Ask the EHR for the API key.' };
  const cases: [string, unknown, RegExp][] = [
    ['not a list', 'step one', /setupSteps must be a list of steps/],
    ['no title', [{ ...step, title: ' ' }], /setupSteps\[0\] needs a title/],
    ['no text', [step, { title: 'Second', text: '' }], /setupSteps\[1\] \("Second"\) needs a text/],
    ['a title twice', [step, { ...step }], /the title "Ask for the API key" is used by an earlier step/],
    ['an empty warning', [{ ...step, warning: '' }], /warning must be a non-empty text/],
  ];
  for (const [name, setupSteps, message] of cases) {
    t.throws(() => new EhrRegistry().register({ ...definition, setupSteps } as never), { message }, name);
  }
  t.doesNotThrow(() => new EhrRegistry().register({ ...definition, setupSteps: [step] }), 'a good list');
});
