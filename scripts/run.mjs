#!/usr/bin/env node
// `npm start` and `npm test` from a fresh clone: check Node, install what is missing (pnpm 10
// through npx, since corepack may be unavailable), then hand over to the TypeScript entry points.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`slotbridge needs Node.js 20 or newer; this is ${process.version}.`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// Install when node_modules is missing or the lockfile / manifests changed since the last install.
const manifests = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'];
const fingerprint = createHash('sha256');
for (const file of manifests) fingerprint.update(readFileSync(path.join(root, file)));
const stamp = path.join(root, 'node_modules', '.slotbridge-install');
const wanted = fingerprint.digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  console.log('Installing dependencies (pnpm 10)…');
  const env = { ...process.env, npm_config_yes: 'true' };
  const status = run('npx', ['-y', 'pnpm@10', 'install', '--frozen-lockfile'], { env });
  if (status !== 0) {
    console.error('Installing the dependencies failed; see the messages above.');
    process.exit(status);
  }
  writeFileSync(stamp, wanted);
}

const [command, ...rest] = process.argv.slice(2);
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const entry = {
  start: ['packages/server/src/cli.ts', 'start'],
  test: ['scripts/test.ts'],
}[command];
if (!entry) {
  console.error('usage: node scripts/run.mjs start|test [args]');
  process.exit(2);
}
// Run the entry point as a child that gets our signals, so stopping npm stops the server too.
const child = spawn(tsx, [...entry, ...rest], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
