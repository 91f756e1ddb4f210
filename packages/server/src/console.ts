/**
 * The practice manager's console (docs/console.md): static files from packages/server/console,
 * served as they are (no build step) at /console/. The console is a client of the public REST API
 * only: it holds the API key in the tab's sessionStorage and sends it as a bearer token.
 *
 * The files are read once at boot, each with a content hash as its ETag; every answer carries
 * `Cache-Control: no-cache` (a browser revalidates and gets 304 when nothing changed, so a
 * new version is seen at the next load) and a Content-Security-Policy that allows only this
 * origin's scripts, styles and API calls: no inline script, no framing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The folder of the console's files: the same from src/ (tsx) and dist/ (built). */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const CONSOLE_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
  'cross-origin-opener-policy': 'same-origin',
} as const;

interface ConsoleFile {
  body: Buffer;
  type: string;
  etag: string;
}

function readConsoleFiles(dir: string, prefix = ''): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) {
      for (const [sub, file] of readConsoleFiles(join(dir, entry.name), `${name}/`)) files.set(sub, file);
      continue;
    }
    const type = TYPES[extname(entry.name)];
    if (!type) continue;
    const body = readFileSync(join(dir, entry.name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type, etag });
  }
  return files;
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const files = readConsoleFiles(CONSOLE_DIR);
  const hide = { schema: { hide: true } };

  app.get('/console', hide, async (_request, reply) => reply.redirect('/console/', 301));

  const serve = async (name: string, request: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(name);
    if (!file) return reply.callNotFound();
    reply.headers(CONSOLE_HEADERS).header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };
  app.get('/console/', hide, (request, reply) => serve('index.html', request, reply));
  app.get<{ Params: { '*': string } }>('/console/*', hide, (request, reply) =>
    serve(request.params['*'], request, reply),
  );
}
