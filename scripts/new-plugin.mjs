#!/usr/bin/env node
/**
 * `npm run new-plugin -- <id> [--dir <path>] [--name <package>] [--ehr-name <name>]`: a new EHR
 * plugin package from scripts/new-plugin/template — a working skeleton (connection, error table,
 * HTTP client, plugin, a sandbox on the sandbox kit with a demo practice, the conformance test)
 * that passes the conformance kit as it is, with TODO(<id>) where the real EHR's wire format goes.
 * docs/adding-an-ehr.md walks through the rest. It never overwrites: an existing folder is refused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templateDir = path.join(root, 'scripts', 'new-plugin', 'template');

const USAGE =
  'usage: npm run new-plugin -- <id> [--dir <path>] [--name <package name>] [--ehr-name <EHR name>]';

/** An id: lower-case letters and digits, in words joined by single hyphens, starting with a letter. */
export const PLUGIN_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

class UsageError extends Error {}

function parse(argv) {
  const options = { id: undefined, dir: undefined, name: undefined, ehrName: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value. ${USAGE}`);
      i += 1;
      return next;
    };
    if (arg === '--dir') options.dir = value();
    else if (arg === '--name') options.name = value();
    else if (arg === '--ehr-name') options.ehrName = value();
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}. ${USAGE}`);
    else if (options.id === undefined) options.id = arg;
    else throw new UsageError(`One plugin id at a time ("${options.id}", then "${arg}"). ${USAGE}`);
  }
  if (options.id === undefined) throw new UsageError(`Name the plugin: its id, e.g. acme. ${USAGE}`);
  return options;
}

const words = (id) => id.split('-');
const capital = (word) => word[0].toUpperCase() + word.slice(1);

/** Everything written, by path relative to the target: checked before anything is. */
export function plan(argv, cwd = process.cwd()) {
  const options = parse(argv);
  const { id } = options;
  if (!PLUGIN_ID.test(id)) {
    throw new UsageError(
      `"${id}" is not a plugin id: use lower-case letters, digits and single hyphens, starting with a letter (e.g. acme or acme-pm). It is stored with every practice and names the package.`,
    );
  }
  const packageName = options.name ?? `@slotbridge/plugin-${id}`;
  if (!PACKAGE_NAME.test(packageName)) {
    throw new UsageError(
      `--name "${packageName}" is not an npm package name: lower-case, e.g. @acme/slotbridge-plugin or slotbridge-plugin-${id}.`,
    );
  }
  const target = path.resolve(cwd, options.dir ?? path.join(root, 'packages', `plugin-${id}`));
  if (existsSync(target)) {
    throw new UsageError(
      `${target} already exists: nothing was written. Choose another id, remove the folder, or give a new folder with --dir <path>.`,
    );
  }
  const insideRepo = !path.relative(root, target).startsWith('..');
  const tokens = {
    __ID__: id,
    __NAME__: options.ehrName ?? words(id).map(capital).join(' '),
    __PACKAGE__: packageName,
    __PREFIX__: words(id).join('').toUpperCase(),
    __Pascal__: words(id).map(capital).join(''),
    __camel__: words(id)[0] + words(id).slice(1).map(capital).join(''),
    // Inside this repository the core is the workspace's; outside it, this checkout's core folder.
    __CORE_VERSION__: insideRepo ? 'workspace:*' : `file:${path.join(root, 'packages', 'core')}`,
  };
  const fill = (text) =>
    text.replace(/__(ID|NAME|PACKAGE|PREFIX|Pascal|camel|CORE_VERSION)__/g, (t) => tokens[t]);
  const files = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const from = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(from);
      else {
        const relative = fill(path.relative(templateDir, from)).replace(/\.tmpl$/, '');
        files.set(relative, fill(readFileSync(from, 'utf8')));
      }
    }
  };
  walk(templateDir);
  // tsconfig.json (typecheck: src and test) and tsconfig.build.json (dist/): on this repository's
  // base config, or standalone outside it.
  const base = path.relative(target, path.join(root, 'tsconfig.base.json')).split(path.sep).join('/');
  const baseOptions = JSON.parse(readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
  const json = (value) => `${formatJson(value, '')}\n`;
  const withBase = (config) =>
    insideRepo
      ? { extends: base, ...config }
      : { ...config, compilerOptions: { ...baseOptions, ...config.compilerOptions } };
  files.set('tsconfig.json', json(withBase({ include: ['src/**/*.ts', 'test/**/*.ts'] })));
  const core = path
    .relative(target, path.join(root, 'packages', 'core', 'tsconfig.build.json'))
    .split(path.sep)
    .join('/');
  files.set(
    'tsconfig.build.json',
    json(
      withBase({
        compilerOptions: {
          noEmit: false,
          composite: true,
          declaration: true,
          sourceMap: true,
          rootDir: 'src',
          outDir: 'dist',
          tsBuildInfoFile: 'dist/.tsbuildinfo',
          rewriteRelativeImportExtensions: true,
        },
        ...(insideRepo && { references: [{ path: core }] }),
        include: ['src/**/*.ts'],
      }),
    ),
  );
  if (!insideRepo) {
    // Outside this repository nothing above the folder provides the tools: the package lists them,
    // and takes this checkout's biome.json (formatting, and the core imports a plugin may use).
    const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const manifest = JSON.parse(files.get('package.json'));
    const tools = ['@biomejs/biome', '@types/luxon', '@types/node', 'tap', 'tsx', 'typescript'];
    for (const tool of tools) manifest.devDependencies[tool] = rootManifest.devDependencies[tool];
    manifest.scripts = {
      lint: 'biome check .',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'node --conditions=development --import=tsx test/conformance.test.ts',
    };
    files.set('package.json', json(manifest));
    files.set('biome.json', readFileSync(path.join(root, 'biome.json'), 'utf8'));
  }
  return { id, packageName, target, insideRepo, files };
}

/** JSON as biome formats it: objects one key a line, arrays on one line when they fit. */
function formatJson(value, indent) {
  const inline = (v) =>
    Array.isArray(v)
      ? `[${v.map(inline).join(', ')}]`
      : v !== null && typeof v === 'object'
        ? `{ ${Object.entries(v)
            .map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`)
            .join(', ')} }`
        : JSON.stringify(v);
  if (Array.isArray(value)) {
    const one = inline(value);
    if (indent.length + one.length < 100) return one;
    return `[\n${value.map((v) => `${indent}  ${formatJson(v, `${indent}  `)}`).join(',\n')}\n${indent}]`;
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const lines = Object.entries(value).map(
    ([k, v]) => `${indent}  ${JSON.stringify(k)}: ${formatJson(v, `${indent}  `)}`,
  );
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

export function write({ target, files }) {
  for (const [relative, text] of files) {
    const file = path.join(target, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  // The imports are sorted by the names the id gave them, and long names wrap: this checkout's
  // biome formats and sorts (not lints) the new files, when it is installed.
  const biome = path.join(root, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) {
    spawnSync(biome, ['check', '--write', '--linter-enabled=false', target], { cwd: root, stdio: 'ignore' });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let planned;
  try {
    planned = plan(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  write(planned);
  const shown = path.relative(process.cwd(), planned.target) || '.';
  console.log(`Created ${planned.packageName} in ${shown} (${planned.files.size} files). Next:`);
  console.log(
    [
      planned.insideRepo
        ? '  npx -y pnpm@10 install'
        : '  npm install   (its @slotbridge/core is this checkout: see package.json)',
      `  npx biome check --write ${shown}`,
      `  npx tsc -p ${shown}/tsconfig.json --noEmit`,
      `  npx tap ${shown}/test/conformance.test.ts`,
      `  add "${planned.insideRepo ? planned.packageName : planned.target}" to "plugins" in slotbridge.config.json, then npm start`,
      '  docs/adding-an-ehr.md: every TODO(' + planned.id + ') to fill in.',
    ].join('\n'),
  );
}
