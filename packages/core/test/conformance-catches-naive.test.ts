/**
 * The conformance kit must fail a plugin written carelessly (test/fixtures/naive-plugin: local
 * times read as UTC, a repeated book booked twice, no patient matching, cancel declared but not
 * done, plain Errors and codes outside its table, reception controls that do nothing), each named
 * check with a message that says what went wrong. The kit runs in a child process, as tap runs a
 * plugin's conformance file, and its TAP output is read back. The control: the same runner on
 * the EMIS plugin's own conformance file, only these checks, passes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const NAIVE_RUNNER = 'packages/core/test/fixtures/naive-plugin/run-conformance.ts';
const EMIS_CONFORMANCE = 'packages/plugin-emis/test/conformance.test.ts';

/** The kit's new checks, by the names it gives them (after `<plugin id>: `), and what a failure must say. */
const NEW_CHECKS: [string, RegExp[]][] = [
  [
    'the same book command again (its answer lost) books once',
    [
      /a repeated book command answers the same booking/,
      /holds exactly one appointment in the slot after the repeat \(2 is a double booking\)/,
    ],
  ],
  [
    'slots keep their local wall-clock times across both daylight-saving changes',
    [
      /on \d{4}-\d{2}-\d{2} \(the day after the clocks go forward\): starts at 09:00 local in Europe\/London/,
      /on \d{4}-\d{2}-\d{2} \(the day before the clocks go back\): starts at 16:00 local in Europe\/London/,
    ],
  ],
  ['cancel is as the capabilities declare', [/cancel frees the slot in the sandbox/]],
  [
    'a patient the EHR cannot match is held, as declared',
    [
      /an unmatched patient is held: heldForReconciliation is true/,
      /the sandbox diary shows the slot held/,
      /no unregistered-patient slot type: expected an EhrError of kind patient_not_matched; got no error: it succeeded/,
    ],
  ],
  [
    'what reception does in the EHR shows in the next onSlotFetch',
    [/reception booked: the diary holds the appointment/, /blocked by reception: no longer reported free/],
  ],
  [
    'an outage is a typed transient error',
    [
      /fetch while the EHR is down: expected an EhrError of kind transient; got a plain Error \(HTTP 503\)/,
      /write while the EHR is down: NAIVE_ERR_HTTP_503 is a code of the plugin's error table/,
    ],
  ],
  [
    'a booking lands in the sandbox; a taken slot is a typed slot_taken',
    [
      /another booking of the taken slot: expected an EhrError of kind slot_taken; got no error: it succeeded/,
    ],
  ],
];

interface TopLevel {
  ok: boolean;
  skipped: boolean;
  /** The messages of the failing assertions inside it. */
  failures: string[];
}

/** Runs one tap file in a child node, as tap would (tsx, the development condition); its TAP. */
function runTap(
  file: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; tap: string }> {
  // Not the parent runner's TAP_* settings: the child is a top-level run that prints raw TAP.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(TAP|_TAPJS|NODE_OPTIONS$)/.test(key)),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import=tsx', file], {
      cwd: root,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tap = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      tap += chunk;
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, tap }));
  });
}

/** The top-level tests of a TAP stream by name, each with the failing assertions directly inside. */
function topLevel(tap: string): Map<string, TopLevel> {
  const tests = new Map<string, TopLevel>();
  let failures: string[] = [];
  for (const line of tap.split('\n')) {
    const inner = /^ {4}not ok \d+ - (.*)$/.exec(line);
    if (inner) failures.push(inner[1]!);
    const result = /^(ok|not ok) \d+ - (.*?)(?: # (SKIP|time=).*)?$/.exec(line);
    if (result) {
      tests.set(result[2]!, { ok: result[1] === 'ok', skipped: result[3] === 'SKIP', failures });
      failures = [];
    }
  }
  return tests;
}

// Child processes and no database: CI's second pass, against another PostgreSQL, skips these
// (SLOTBRIDGE_TEST_SKIP_SLOW); generous under a loaded machine.
const slow = {
  skip: process.env.SLOTBRIDGE_TEST_SKIP_SLOW ? 'ran in the first pass: it uses no database' : false,
  timeout: 10 * 60_000,
};

t.test('the kit fails the naive plugin on each new check, saying what went wrong', slow, async (t) => {
  const { code, tap } = await runTap(NAIVE_RUNNER);
  t.not(code, 0, 'the naive plugin’s conformance run fails');
  const tests = topLevel(tap);
  for (const [check, messages] of NEW_CHECKS) {
    const test = tests.get(`naive: ${check}`);
    t.ok(test, `the kit ran “${check}”`);
    t.equal(test?.ok, false, `“${check}” fails the naive plugin`);
    for (const message of messages) {
      t.ok(
        test?.failures.some((failure) => message.test(failure)),
        `“${check}” says ${message}`,
        { failures: test?.failures },
      );
    }
  }
  // Within the same run, what the naive plugin does do right passes: the failures are the checks'.
  for (const check of [
    'the definition is accepted by the core; its error table is complete',
    'discover returns the catalogue',
    "onSlotFetch returns exactly the sandbox's slots for a window",
  ]) {
    t.equal(tests.get(`naive: ${check}`)?.ok, true, `“${check}” passes the naive plugin`);
  }
});

t.test('control: the same runner on the EMIS plugin passes the same checks', slow, async (t) => {
  // Only these checks (tap's grep): EMIS's full conformance run is its own test file.
  const grep = NEW_CHECKS.map(([check]) => check.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const { code, tap } = await runTap(EMIS_CONFORMANCE, { TAP_GREP: `emis: (${grep})$` });
  const tests = topLevel(tap);
  for (const [check] of NEW_CHECKS) {
    const test = tests.get(`emis: ${check}`);
    t.ok(test?.ok && !test.skipped, `“${check}” passes EMIS`, { failures: test?.failures });
  }
  t.equal(code, 0, 'the EMIS run of these checks exits 0');
});
