/**
 * The HTTP layer's error table (src/errors.ts) is what docs/errors.md lists, status for status, and
 * no server source names one of its codes as a string literal outside it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SERVER_ERRORS, ServerError, ServerErrorCode } from '../src/errors.ts';
import { repositoryRoot } from './helpers/plugin-list.ts';

t.test('docs/errors.md lists every code of the table with its status', async (t) => {
  const docs = readFileSync(path.join(repositoryRoot, 'docs', 'errors.md'), 'utf8');
  for (const [code, { status }] of Object.entries(SERVER_ERRORS)) {
    t.match(docs, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} ${status}`);
  }
});

t.test('the server names its codes through the table, never as literals', async (t) => {
  const src = path.join(repositoryRoot, 'packages', 'server', 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && f !== 'errors.ts',
  );
  for (const file of files) {
    const text = readFileSync(path.join(src, file), 'utf8');
    const literals = Object.keys(SERVER_ERRORS).filter((code) => text.includes(`'${code}'`));
    t.same(literals, [], `${file}: no literal code of the table`);
  }
});

t.test('ServerError carries the status category and the fix of the table', async (t) => {
  const error = new ServerError(ServerErrorCode.ADMIN_ONLY, 'Only the admin key may do this');
  t.equal(error.code, 'SB_ERR_ADMIN_ONLY');
  t.equal(error.category, 'forbidden');
  t.equal(error.fix, SERVER_ERRORS.SB_ERR_ADMIN_ONLY.fix);
  t.throws(() => new ServerError(ServerErrorCode.BOOKING_RATE_LIMITED, 'x'), /cannot be thrown/);
});
