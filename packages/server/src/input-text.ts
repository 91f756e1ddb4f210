/**
 * What JSON Schema lets through but PostgreSQL cannot hold: a NUL character or an unpaired UTF-16
 * surrogate in a string (text and jsonb refuse both), and a number that is not finite (Ajv's
 * query coercion turns "1e309" into Infinity and lets it pass `maximum`). Checked once for every
 * route, after validation: 400 SB_ERR_VALIDATION naming the field, instead of a 500 from the
 * database.
 */
import type { FastifyInstance } from 'fastify';
import { HttpErrorCode, sendProblem } from './problem.ts';

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\0') || UNPAIRED.test(text);

interface Fault {
  field: string;
  message: string;
}

function findFault(value: unknown, path: string, depth = 0): Fault | null {
  if (typeof value === 'string') {
    return unstorable(value)
      ? { field: path || '/', message: 'must not contain NUL characters or unpaired surrogates' }
      : null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { field: path || '/', message: 'must be a finite number' };
  }
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, item] of Object.entries(value)) {
    const field = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (unstorable(key))
      return { field, message: 'names a field with NUL characters or unpaired surrogates' };
    const fault = findFault(item, field, depth + 1);
    if (fault) return fault;
  }
  return null;
}

export function registerInputChecks(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    for (const [where, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const fault = findFault(value, '');
      if (!fault) continue;
      return sendProblem(reply, {
        code: HttpErrorCode.VALIDATION,
        detail: `The ${where} is not valid: ${where}${fault.field === '/' ? '' : fault.field} ${fault.message}`,
        errors: [{ in: where, ...fault }],
        instance: request.url.split('?')[0],
      });
    }
  });
}
