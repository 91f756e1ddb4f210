/**
 * `npm test`: lint, typecheck, then the whole tap suite against a real PostgreSQL.
 * By default an embedded PostgreSQL is started for the run (and removed after). With
 * SLOTBRIDGE_TEST_DATABASE_URL set, the suite runs against that server instead.
 * `npm test -- --suite-only` skips lint and typecheck (CI's second pass).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../packages/server/src/embedded-postgres.ts';
import { ensureChromium } from './ensure-chromium.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const suiteOnly = args.includes('--suite-only');
const tapArgs = args.filter((a) => a !== '--suite-only');

// A SIGINT/SIGTERM/SIGHUP stops the run in order: tap first, then the embedded PostgreSQL.
let tap: ReturnType<typeof spawn> | null = null;
let interrupted: NodeJS.Signals | null = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted ??= signal;
    tap?.kill(signal);
  });
}

function step(name: string, command: string, commandArgs: string[]): void {
  console.log(`\n▶ ${name}`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (interrupted) process.exit(1);
  if (result.status !== 0) {
    console.error(`✖ ${name} failed`);
    process.exit(result.status ?? 1);
  }
}

function runTap(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(bin('tap'), tapArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    tap = child;
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      // tap closes with "# { total: N, pass: N, fail: N, … }": restate it as a plain line.
      const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(tail);
      if (summary) {
        const [, total, pass = '0', fail = '0'] = summary;
        const skipped = Number(total) - Number(pass) - Number(fail);
        console.log(`\ntests: ${pass} passed, ${fail} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
      }
      resolve(code ?? 1);
    });
  });
}

if (!suiteOnly) {
  step('lint (biome)', bin('biome'), ['check', '.']);
  step('typecheck (tsc --noEmit)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  step('typecheck the console (its JSDoc, tsc checkJs)', bin('tsc'), [
    '-p',
    'packages/server/console/tsconfig.json',
  ]);
}

// The console's browser test runs once (not on the second, SKIP_SLOW pass): Chromium first.
const browserEnv: NodeJS.ProcessEnv = {};
if (!process.env.SLOTBRIDGE_TEST_SKIP_SLOW) {
  console.log('\n▶ Chromium for the console tests');
  const chromium = ensureChromium();
  console.log(chromium.message);
  if (chromium.path) browserEnv.SLOTBRIDGE_CHROMIUM = chromium.path;
}

let serverUrl = process.env.SLOTBRIDGE_TEST_DATABASE_URL;
let stop = async () => {};
if (!serverUrl) {
  console.log('\n▶ starting an embedded PostgreSQL for the tests');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slotbridge-test-'));
  const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  serverUrl = embedded.adminConnectionString;
  stop = async () => {
    await embedded.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
} else {
  console.log(`\n▶ tests against ${new URL(serverUrl).host}`);
}

console.log('\n▶ tap');
const code = interrupted
  ? 1
  : await runTap({ ...process.env, ...browserEnv, SLOTBRIDGE_TEST_DATABASE_URL: serverUrl });
await stop();
process.exit(code);
