/**
 * The one error table (the core's ERRORS: the core's codes and the HTTP layer's) is what
 * docs/errors.md lists, both ways and status for status; no source of the core or the server names
 * a code as a string literal outside it, every code named in their prose is in it, and every throw
 * site's category is the table's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERRORS, type ErrorCodeValue, PublishingErrorCode, WebhookErrorCode } from '@slotbridge/core';
import t from 'tap';
import { ServerError, ServerErrorCode } from '../src/errors.ts';
import { statusOf } from '../src/problem.ts';
import { repositoryRoot } from './helpers/plugin-list.ts';

const docs = readFileSync(path.join(repositoryRoot, 'docs', 'errors.md'), 'utf8');
const codes = Object.keys(ERRORS) as ErrorCodeValue[];

/** Each row of the docs' tables that starts with a code: the code, and its status where the table has one. */
const docRows = [...docs.matchAll(/^\| `(SB_ERR_[A-Z0-9_]+)` \| ([^|]*) \|/gm)].map(([, code, second]) => ({
  code: code as string,
  status: /^\d{3}$/.test((second as string).trim()) ? Number(second) : null,
}));

t.test('docs/errors.md lists every code of the table once, with its status', async (t) => {
  for (const code of codes) {
    const rows = docRows.filter((row) => row.code === code);
    t.equal(rows.length, 1, `${code} has one row`);
    const row = rows[0];
    if (!row) continue;
    if (row.status === null) {
      // Listed where no status is: recorded on bookings and sync runs, or raised at start-up.
      t.equal(ERRORS[code].category, 'internal', `${code} is never an HTTP answer`);
    } else {
      t.equal(row.status, statusOf(ERRORS[code].category), `${code} ${row.status}`);
    }
  }
});

t.test('every code docs/errors.md names is in the table', async (t) => {
  const named = new Set([...docs.matchAll(/SB_ERR_[A-Z0-9_]*[A-Z0-9]/g)].map(([code]) => code));
  named.delete('SB_ERR_HTTP'); // SB_ERR_HTTP_<status>: any other status of the HTTP layer
  t.same(
    [...named].filter((code) => !(code in ERRORS)),
    [],
  );
});

const sources = ['core', 'server'].flatMap((pkg) => {
  const src = path.join(repositoryRoot, 'packages', pkg, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !(pkg === 'core' && f === 'errors.ts'))
    .map((f) => ({ file: `${pkg}/src/${f}`, text: readFileSync(path.join(src, f), 'utf8') }));
});

t.test('the core and the server name codes through the table, never as literals', async (t) => {
  for (const { file, text } of sources) {
    const literals = [...text.matchAll(/(['"`])SB_ERR_\w*/g)].map(([literal]) => literal);
    t.same(literals, [], `${file}: no literal code`);
  }
});

t.test('every code their comments and descriptions name is in the table', async (t) => {
  for (const { file, text } of sources) {
    const unknown = [...text.matchAll(/SB_ERR_[A-Z0-9_]*[A-Z0-9]/g)]
      .map(([code]) => code)
      .filter((code) => !(code in ERRORS));
    t.same(unknown, [], `${file}: codes of the table`);
  }
});

t.test("every throw site's category is the table's", async (t) => {
  const byClass: Record<string, string> = {
    NotFoundError: 'not_found',
    ConflictError: 'conflict',
    InputError: 'invalid_input',
    UnprocessableError: 'unprocessable',
    PreconditionFailedError: 'precondition_failed',
  };
  const named: Record<string, Record<string, string>> = { PublishingErrorCode, WebhookErrorCode };
  let sites = 0;
  for (const { file, text } of sources) {
    for (const [, kind, names, name, category] of text.matchAll(
      /new (\w+)\(\s*(\w+)\.(\w+),\s*(?:'(\w+)')?/g,
    )) {
      if (!kind || !names || !name) continue;
      const code = named[names]?.[name] ?? (names.endsWith('ErrorCode') ? `SB_ERR_${name}` : null);
      const expected = kind === 'SlotbridgeError' ? category : byClass[kind];
      if (!code || !expected) continue;
      sites++;
      t.equal(ERRORS[code as ErrorCodeValue]?.category, expected, `${file}: ${code}`);
    }
  }
  t.ok(sites > 50, `${sites} throw sites checked`);
});

t.test('ServerError carries the category and the fix of the table', async (t) => {
  const error = new ServerError(ServerErrorCode.ADMIN_ONLY, 'Only the admin key may do this');
  t.equal(error.code, 'SB_ERR_ADMIN_ONLY');
  t.equal(error.category, 'forbidden');
  t.equal(error.fix, ERRORS.SB_ERR_ADMIN_ONLY.fix);
  t.equal(new ServerError(ServerErrorCode.ADMIN_ONLY, 'x', { fix: 'y' }).fix, 'y');
});
