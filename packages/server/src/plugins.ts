/**
 * The EHR plugins this process serves. The list is configuration, never code: SLOTBRIDGE_PLUGINS
 * (comma-separated) or else the `plugins` of the config file (SLOTBRIDGE_CONFIG, by default
 * `slotbridge.config.json` in the directory the server starts in; this repository's lists the
 * bundled plugins). Each entry is a package name or a path to a package folder or a module file,
 * loaded with import() at boot: names are resolved from the list's folder (the config file's,
 * or the start directory for SLOTBRIDGE_PLUGINS) and then from the server, paths relative to
 * that folder. The default export must be the Fastify plugin core's ehrFastifyPlugin made (it
 * carries the definition it registers); two plugins may not share an id. Every problem is listed
 * at once and the process stops before it listens. With the demo on, each plugin's `/sandbox`
 * export may offer `startDemoSandbox` (core's StartDemoSandbox): the demo practice `npm start`
 * sets up on it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EhrFastifyPlugin, ehrPluginDefinitionOf, type StartDemoSandbox } from '@slotbridge/core';

/** The config file looked for in the start directory when SLOTBRIDGE_CONFIG is unset. */
export const CONFIG_FILE = 'slotbridge.config.json';

/** Which plugins to load, and where their names and paths are resolved from. */
export interface PluginList {
  specifiers: string[];
  /** The folder names and relative paths are resolved from. */
  from: string;
  /** Where the list was read: `SLOTBRIDGE_PLUGINS` or the config file's path (for messages). */
  source: string;
}

export interface LoadedPlugin {
  /** As listed. */
  specifier: string;
  /** The plugin's EHR id (`emis`), what practices name. */
  id: string;
  /** The Fastify plugin to register (after the core). */
  plugin: EhrFastifyPlugin;
  /** Its demo practice, when the demo is on and its `/sandbox` export offers one. */
  startDemoSandbox: StartDemoSandbox | null;
  /** Why it has no demo practice (demo on only). */
  noDemo: string | null;
}

export class PluginLoadError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid EHR plugin list (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PluginLoadError';
  }
}

/** The entry points of one specifier: its main module and its `/sandbox` one (null: none). */
interface Entry {
  main: string;
  sandbox: string | null;
}

const isPath = (specifier: string) => specifier.startsWith('.') || path.isAbsolute(specifier);

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}

/** A path: a module file (no sandbox), or a package folder (its exports `.` and `./sandbox`). */
function resolvePath(specifier: string, cwd: string): Entry | string {
  const absolute = path.resolve(cwd, specifier);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(absolute);
  } catch {
    return `"${specifier}" is not found: there is no file or folder ${absolute}. Fix the path (relative paths are from the folder of the list: the config file's, or the start directory for SLOTBRIDGE_PLUGINS) or remove it from the list`;
  }
  if (!stat.isDirectory()) return { main: pathToFileURL(absolute).href, sandbox: null };
  const manifest = path.join(absolute, 'package.json');
  let pkg: { name?: string; exports?: unknown };
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return `"${specifier}" is a folder without a readable package.json (${manifest}): give the plugin package's folder, or the path of its module file`;
  }
  // A package resolves its own name through its exports (self-reference), with this process's
  // conditions: what importing it by name would load.
  const require = createRequire(manifest);
  const resolve = (request: string) => pathToFileURL(require.resolve(request)).href;
  try {
    const selfReferenced = pkg.name !== undefined && pkg.exports !== undefined;
    const main = selfReferenced ? resolve(pkg.name!) : resolve(absolute);
    let sandbox: string | null = null;
    if (selfReferenced) {
      try {
        sandbox = resolve(`${pkg.name}/sandbox`);
      } catch {
        sandbox = null;
      }
    }
    return { main, sandbox };
  } catch (error) {
    return `"${specifier}": its package's main module cannot be found (${firstLine(error)}). Build the package (its exports may point to dist/) or give the path of its module file`;
  }
}

/**
 * A package name: looked up from the list's folder (its node_modules, then its parents'), then
 * from the server's own dependencies; through its `exports` with this process's conditions.
 */
function resolvePackage(specifier: string, from: string): Entry | string {
  const fromList = createRequire(path.join(from, 'slotbridge-plugins.js'));
  const attempts: ((request: string) => string)[] = [
    (request) => pathToFileURL(fromList.resolve(request)).href,
    (request) => import.meta.resolve(request),
  ];
  for (const resolve of attempts) {
    let main: string;
    try {
      main = resolve(specifier);
    } catch {
      continue;
    }
    let sandbox: string | null = null;
    try {
      sandbox = resolve(`${specifier}/sandbox`);
    } catch {
      sandbox = null;
    }
    return { main, sandbox };
  }
  return `"${specifier}" cannot be found from ${from} nor from the server. Install it where the list is (\`npm install ${specifier}\`, or in this repository add it to the root package.json as "workspace:*" and run \`npx -y pnpm@10 install\`), give the path of its folder instead (./path/to/plugin), or remove it from the list`;
}

/**
 * The plugin list from the environment or the config file; a string when there is none or it
 * cannot be read (the problem, with its fix).
 */
export function readPluginList(env: NodeJS.ProcessEnv, cwd: string): PluginList | string {
  const raw = env.SLOTBRIDGE_PLUGINS;
  if (raw !== undefined && raw.trim() !== '') {
    const specifiers = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (specifiers.length === 0) {
      return "SLOTBRIDGE_PLUGINS must list at least one EHR plugin package, comma-separated (unset: the config file's list)";
    }
    return { specifiers, from: cwd, source: 'SLOTBRIDGE_PLUGINS' };
  }
  const named = env.SLOTBRIDGE_CONFIG !== undefined && env.SLOTBRIDGE_CONFIG !== '';
  const file = path.resolve(cwd, named ? env.SLOTBRIDGE_CONFIG! : CONFIG_FILE);
  if (!existsSync(file)) {
    return named
      ? `SLOTBRIDGE_CONFIG names ${file}, which does not exist: give the path of your slotbridge config file`
      : `no EHR plugin is listed: there is no ${CONFIG_FILE} in ${cwd} and SLOTBRIDGE_PLUGINS is unset. Start the server in the folder holding ${CONFIG_FILE} ({ "plugins": ["@slotbridge/plugin-emis", …] }), point SLOTBRIDGE_CONFIG at it, or set SLOTBRIDGE_PLUGINS`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return `${file} is not valid JSON (${firstLine(error)}): fix it, e.g. { "plugins": ["@slotbridge/plugin-emis"] }`;
  }
  const config = parsed as { plugins?: unknown };
  const unknown =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? Object.keys(parsed).filter((key) => key !== 'plugins' && key !== '$comment')
      : [];
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    !Array.isArray(config.plugins) ||
    config.plugins.length === 0 ||
    !config.plugins.every((p) => typeof p === 'string' && p.trim() !== '')
  ) {
    return `${file} must be an object whose "plugins" lists at least one EHR plugin package name or path, e.g. { "plugins": ["@slotbridge/plugin-emis"] }`;
  }
  if (unknown.length > 0) {
    return `${file} has ${unknown.map((k) => `"${k}"`).join(', ')}, which slotbridge does not read: remove it (only "plugins" and "$comment" are read; everything else is an environment variable, docs/configuration.md)`;
  }
  return {
    specifiers: (config.plugins as string[]).map((p) => p.trim()),
    from: path.dirname(file),
    source: file,
  };
}

/** Loads and checks every plugin; throws PluginLoadError listing every problem. */
export async function loadPlugins(list: PluginList, options: { demo: boolean }): Promise<LoadedPlugin[]> {
  const problems: string[] = [];
  const loaded: LoadedPlugin[] = [];
  for (const specifier of list.specifiers) {
    const entry = isPath(specifier)
      ? resolvePath(specifier, list.from)
      : resolvePackage(specifier, list.from);
    if (typeof entry === 'string') {
      problems.push(entry);
      continue;
    }
    let module: { default?: unknown };
    try {
      module = await import(entry.main);
    } catch (error) {
      problems.push(
        `"${specifier}" failed to load (${firstLine(error)}): fix or reinstall the package, or remove it from the list`,
      );
      continue;
    }
    const definition = ehrPluginDefinitionOf(module.default);
    if (!definition) {
      problems.push(
        `"${specifier}" is not a slotbridge EHR plugin: its default export must be the Fastify plugin made by ehrFastifyPlugin(packageName, definition) from @slotbridge/core (docs/adding-an-ehr.md). List only EHR plugin packages`,
      );
      continue;
    }
    const same = loaded.find((p) => p.id === definition.id);
    if (same) {
      problems.push(
        `"${same.specifier}" and "${specifier}" are both the EHR plugin "${definition.id}": list it once`,
      );
      continue;
    }
    let startDemoSandbox: StartDemoSandbox | null = null;
    let noDemo: string | null = null;
    if (options.demo) {
      if (entry.sandbox === null) {
        noDemo = 'its package has no ./sandbox export';
      } else {
        try {
          const sandbox = (await import(entry.sandbox)) as { startDemoSandbox?: unknown };
          if (typeof sandbox.startDemoSandbox === 'function') {
            startDemoSandbox = sandbox.startDemoSandbox as StartDemoSandbox;
          } else {
            noDemo = 'its ./sandbox export has no startDemoSandbox function';
          }
        } catch (error) {
          problems.push(
            `"${specifier}": its ./sandbox export failed to load (${firstLine(error)}): fix the package, turn the demo off (SLOTBRIDGE_DEMO=false), or remove it from the list`,
          );
          continue;
        }
      }
    }
    loaded.push({
      specifier,
      id: definition.id,
      plugin: module.default as EhrFastifyPlugin,
      startDemoSandbox,
      noDemo,
    });
  }
  if (loaded.length === 0 && problems.length === 0) {
    problems.push('no plugin is listed: list at least one EHR plugin package');
  }
  if (problems.length > 0) throw new PluginLoadError(list.source, problems);
  return loaded;
}
