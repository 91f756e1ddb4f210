/**
 * The EHR plugins this process serves, from SLOTBRIDGE_PLUGINS: each a package name resolvable
 * from the server or a path to a package folder or a module file, loaded with import() at boot.
 * Its default export must be the Fastify plugin core's ehrFastifyPlugin made (it carries the
 * definition it registers); two plugins may not share an id. Every problem is listed at once and
 * the process stops before it listens. With the demo on, each plugin's `/sandbox` export may
 * offer `startDemoSandbox` (core's StartDemoSandbox): the demo practice `npm start` sets up on it.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EhrFastifyPlugin, ehrPluginDefinitionOf, type StartDemoSandbox } from '@slotbridge/core';

/** SLOTBRIDGE_PLUGINS' default: the three plugins of this repository. */
export const DEFAULT_PLUGINS = [
  '@slotbridge/plugin-emis',
  '@slotbridge/plugin-systmone',
  '@slotbridge/plugin-hs1-exact',
] as const;

export interface LoadedPlugin {
  /** As listed in SLOTBRIDGE_PLUGINS. */
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
  constructor(readonly problems: string[]) {
    super(`Invalid SLOTBRIDGE_PLUGINS:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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
    return `"${specifier}" is not found: there is no file or folder ${absolute}. Fix the path (relative paths are from the directory the server starts in) or remove it from SLOTBRIDGE_PLUGINS`;
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

function resolvePackage(specifier: string): Entry | string {
  let main: string;
  try {
    main = import.meta.resolve(specifier);
  } catch (error) {
    return `"${specifier}" cannot be found from the server (${firstLine(error)}). Install it beside the server (\`pnpm add ${specifier}\` in packages/server, or \`npm install ${specifier}\` where the server is installed), give the path of its folder instead (./path/to/plugin), or remove it from SLOTBRIDGE_PLUGINS`;
  }
  let sandbox: string | null = null;
  try {
    sandbox = import.meta.resolve(`${specifier}/sandbox`);
  } catch {
    sandbox = null;
  }
  return { main, sandbox };
}

export function parsePluginList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_PLUGINS];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Loads and checks every plugin; throws PluginLoadError listing every problem. */
export async function loadPlugins(
  specifiers: readonly string[],
  options: { cwd: string; demo: boolean },
): Promise<LoadedPlugin[]> {
  const problems: string[] = [];
  const loaded: LoadedPlugin[] = [];
  for (const specifier of specifiers) {
    const entry = isPath(specifier) ? resolvePath(specifier, options.cwd) : resolvePackage(specifier);
    if (typeof entry === 'string') {
      problems.push(entry);
      continue;
    }
    let module: { default?: unknown };
    try {
      module = await import(entry.main);
    } catch (error) {
      problems.push(
        `"${specifier}" failed to load (${firstLine(error)}): fix or reinstall the package, or remove it from SLOTBRIDGE_PLUGINS`,
      );
      continue;
    }
    const definition = ehrPluginDefinitionOf(module.default);
    if (!definition) {
      problems.push(
        `"${specifier}" is not a slotbridge EHR plugin: its default export must be the Fastify plugin made by ehrFastifyPlugin(packageName, definition) from @slotbridge/core (docs/adding-an-ehr.md). List only EHR plugin packages in SLOTBRIDGE_PLUGINS`,
      );
      continue;
    }
    const same = loaded.find((p) => p.id === definition.id);
    if (same) {
      problems.push(
        `"${same.specifier}" and "${specifier}" are both the EHR plugin "${definition.id}": list it once in SLOTBRIDGE_PLUGINS`,
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
            `"${specifier}": its ./sandbox export failed to load (${firstLine(error)}): fix the package, turn the demo off (SLOTBRIDGE_DEMO=false), or remove it from SLOTBRIDGE_PLUGINS`,
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
  if (problems.length > 0) throw new PluginLoadError(problems);
  return loaded;
}
