#!/usr/bin/env node
// `npm start`, `npm run serve|worker` and `npm test` from a fresh clone: check Node, install what
// is missing (pnpm 10 through npx, since corepack may be unavailable), compile the packages to
// dist/ when their sources changed since the last build, then run the compiled CLI (start, serve,
// worker, api, migrate, api-keys) or the TypeScript test runner (test).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';

const osSignals = constants.signals;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`slotbridge needs Node.js 20 or newer; this is ${process.version}.`);
  process.exit(1);
}

// Signals: npm runs this script through `exec` (package.json), so a SIGTERM or SIGINT sent to
// `npm start` reaches this process; it passes them on to the entry point and exits when that has
// stopped. One that arrives while installing or building stops us before the entry point starts.
let child = null;
let stopSignal = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopSignal ??= signal;
    child?.kill(signal);
  });
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// Install when node_modules is missing or the lockfile or a manifest changed since the last
// install: the root's and every workspace package's (a new plugin package is noticed too).
const manifests = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'];
for (const entry of readdirSync(path.join(root, 'packages'), { withFileTypes: true }).sort((a, b) =>
  a.name.localeCompare(b.name),
)) {
  const manifest = path.join('packages', entry.name, 'package.json');
  if (entry.isDirectory() && existsSync(path.join(root, manifest))) manifests.push(manifest);
}
const fingerprint = createHash('sha256');
for (const file of manifests) fingerprint.update(`${file}\0`).update(readFileSync(path.join(root, file)));
const stamp = path.join(root, 'node_modules', '.slotbridge-install');
const wanted = fingerprint.digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  console.log('Installing dependencies (pnpm 10)…');
  const env = { ...process.env, npm_config_yes: 'true' };
  const pnpm = (...args) => run('npx', ['-y', 'pnpm@10', 'install', ...args], { env });
  let status = pnpm('--frozen-lockfile');
  if (status !== 0 && !process.env.CI) {
    // Most often a package added or changed since pnpm-lock.yaml was written (a new plugin): on a
    // developer's machine, bring the lockfile up to date and say so; CI keeps it frozen.
    console.log('The lockfile does not match the manifests: updating pnpm-lock.yaml (commit it)…');
    status = pnpm('--no-frozen-lockfile');
  }
  if (status !== 0) {
    console.error('Installing the dependencies failed; see the messages above.');
    process.exit(status);
  }
  writeFileSync(stamp, wanted);
}

// Build (tsc -b: every package's src/ to its dist/) when the sources, a tsconfig or a manifest
// changed since the last good build, or dist/ is gone. Hashing them takes milliseconds, so an
// unchanged tree starts without running tsc at all.
function buildInputs() {
  const files = ['tsconfig.base.json'];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts')) files.push(relative);
    }
  };
  for (const entry of readdirSync(path.join(root, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const pkg = path.join('packages', entry.name);
    if (!existsSync(path.join(root, pkg, 'tsconfig.build.json'))) continue;
    files.push(path.join(pkg, 'package.json'), path.join(pkg, 'tsconfig.build.json'));
    walk(path.join(pkg, 'src'));
  }
  const hash = createHash('sha256');
  for (const file of files.sort()) hash.update(`${file}\0`).update(readFileSync(path.join(root, file)));
  return hash.digest('hex');
}

const compiledCli = path.join(root, 'packages', 'server', 'dist', 'cli.js');
function buildIfChanged() {
  const buildStamp = path.join(root, 'node_modules', '.slotbridge-build');
  const inputs = buildInputs();
  if (existsSync(compiledCli) && existsSync(buildStamp) && readFileSync(buildStamp, 'utf8') === inputs)
    return;
  console.log('Building (tsc -b, every package)…');
  const { status } = build();
  if (status === 0) {
    writeFileSync(buildStamp, inputs);
  } else if (existsSync(compiledCli)) {
    // tsc still emits when it finds type errors; `npm test` is where they fail the run.
    console.warn(
      'The build reported type errors (above); running what it emitted. `npm test` fails on them.',
    );
  } else {
    console.error('The build failed; see the messages above.');
    process.exit(status);
  }
}

const [command, ...rest] = process.argv.slice(2);
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
if (stopSignal) process.exit(1);
if (['start', 'serve', 'worker', 'api', 'migrate', 'api-keys'].includes(command)) {
  buildIfChanged();
  if (stopSignal) process.exit(1);
  child = spawn(process.execPath, [compiledCli, command, ...rest], { cwd: root, stdio: 'inherit' });
} else if (command === 'test') {
  // The tests run from the sources: the "development" export condition resolves the workspace
  // packages to src/ (tap is told the same in .taprc).
  child = spawn(tsx, ['--conditions=development', 'scripts/test.ts', ...rest], {
    cwd: root,
    stdio: 'inherit',
  });
} else {
  console.error('usage: node scripts/run.mjs start|serve|worker|api|migrate|api-keys|test [args]');
  process.exit(2);
}
// The entry point is a child that gets our signals (above), so stopping npm stops the server
// too. If whoever started us dies without a word (kill -9 of npm), we are re-parented: stop the
// entry point as a SIGTERM would, rather than leave it running unowned.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanWatch);
  stopSignal ??= 'SIGTERM';
  child.kill('SIGTERM');
}, 1000);
orphanWatch.unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (osSignals[signal] ?? 0) : 0)));
