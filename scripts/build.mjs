#!/usr/bin/env node
// `npm run build`: tsc -b over every workspace package that has a tsconfig.build.json (each
// names the packages it depends on in its references, so tsc builds them in order). A package
// added under packages/ is built with no list to edit.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The build projects, relative to the repository root, in a stable order. */
export function buildProjects() {
  return readdirSync(path.join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join('packages', entry.name, 'tsconfig.build.json'))
    .filter((project) => existsSync(path.join(root, project)))
    .sort();
}

/** Runs `tsc -b` (plus `extra` arguments) over every project; returns tsc's exit status. */
export function build(extra = [], options = {}) {
  const result = spawnSync(
    path.join(root, 'node_modules', '.bin', 'tsc'),
    ['-b', ...buildProjects(), ...extra],
    { cwd: root, stdio: 'inherit', ...options },
  );
  if (result.error) throw result.error;
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exit(build(process.argv.slice(2)).status ?? 1);
}
