/**
 * The console's files as the server serves them (docs/console.md): at /console/, with a
 * Content-Security-Policy that allows only this origin, revalidated on every load (ETag, 304),
 * never framed; and built without markup from strings, so nothing the API answers is read as HTML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CONSOLE_DIR } from '../src/console.ts';
import { testApp } from './helpers/test-app.ts';

const { app, close } = await testApp();
t.teardown(close);

t.test('/console redirects to /console/, which serves the page with its headers', async (t) => {
  const redirect = await app.inject({ url: '/console' });
  t.equal(redirect.statusCode, 301);
  t.equal(redirect.headers.location, '/console/');

  const page = await app.inject({ url: '/console/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
  t.match(page.body, /<script type="module" src="app.js"><\/script>/);
  const csp = String(page.headers['content-security-policy']);
  for (const directive of [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
  ]) {
    t.ok(csp.includes(directive), directive);
  }
  t.notOk(/unsafe-inline|unsafe-eval/.test(csp), 'no inline script or eval');
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(
    page.headers['cache-control'],
    'no-cache',
    'revalidated at each load: a new version is seen at once',
  );
  t.ok(page.headers.etag);

  const again = await app.inject({
    url: '/console/',
    headers: { 'if-none-match': String(page.headers.etag) },
  });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
});

t.test('scripts and styles with their types; an unknown file is a 404', async (t) => {
  const script = await app.inject({ url: '/console/tabs/mappings.js' });
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /^text\/javascript/);
  const style = await app.inject({ url: '/console/console.css' });
  t.match(style.headers['content-type'], /^text\/css/);
  t.equal((await app.inject({ url: '/console/nothing.js' })).statusCode, 404);
  t.equal((await app.inject({ url: '/console/../package.json' })).statusCode, 404);
});

t.test('no HTML is built from strings, and no inline script or style (the CSP would block it)', async (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  for (const file of files(CONSOLE_DIR)) {
    const text = readFileSync(file, 'utf8');
    const name = path.relative(CONSOLE_DIR, file);
    t.notOk(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(text),
      `${name}: no markup from strings`,
    );
    if (name.endsWith('.html')) {
      t.notOk(/<script(?![^>]*\bsrc=)/.test(text), `${name}: no inline script`);
      t.notOk(/<style|\sstyle=/.test(text), `${name}: no inline style`);
    }
  }
});

t.test('the console is not in the API document', async (t) => {
  const document = (await app.inject({ url: '/openapi.json' })).json();
  t.notOk(Object.keys(document.paths).some((p) => p.startsWith('/console')));
});
