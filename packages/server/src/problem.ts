/**
 * The one place errors become HTTP: application/problem+json (RFC 9457) with a stable `code`
 * and, where there is one, the `fix`. Domain errors know nothing of HTTP; this maps them.
 */
import { type ErrorCategory, SlotbridgeError } from '@slotbridge/core';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

const STATUS: Record<ErrorCategory, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  internal: 500,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ProblemInput {
  status: number;
  code: string;
  detail: string;
  title?: string;
  fix?: string;
  instance?: string;
  /** Extension members, e.g. `errors` or `checks`. */
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `https://slotbridge.dev/errors#${code}`;
}

export function sendProblem(reply: FastifyReply, problem: ProblemInput) {
  const { status, code, title } = problem;
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: problemType(code), ...problem, title: title ?? TITLES[status] ?? 'Error' });
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | SlotbridgeError | Error, request, reply) => {
    const instance = request.url.split('?')[0];
    if (error instanceof SlotbridgeError) {
      const status = STATUS[error.category];
      if (status >= 500) request.log.error({ code: error.code, err: error.message }, 'request failed');
      return sendProblem(reply, {
        status,
        code: error.code,
        detail: error.message,
        ...(error.fix && { fix: error.fix }),
        ...(error.details && error.details),
        instance,
      });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const where = fastifyError.validationContext ?? 'request';
      return sendProblem(reply, {
        status: 400,
        code: 'SB_ERR_VALIDATION',
        detail: `The ${where} is not valid: ${fastifyError.message}`,
        fix: 'Correct the fields listed in "errors"; the OpenAPI document at /openapi.json describes every field.',
        errors: fastifyError.validation.map((v) => ({
          in: where,
          field: v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || '/',
          message: v.message ?? 'is not valid',
        })),
        instance,
      });
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
      return sendProblem(reply, {
        status: 500,
        code: 'SB_ERR_INTERNAL',
        detail: 'Something went wrong on our side; the error is logged.',
        instance,
      });
    }
    return sendProblem(reply, {
      status,
      code: fastifyError.code
        ? `SB_ERR_HTTP_${fastifyError.code.replace(/^FST_ERR_/, '')}`
        : `SB_ERR_HTTP_${status}`,
      detail: error.message,
      instance,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      status: 404,
      code: 'SB_ERR_ROUTE_NOT_FOUND',
      detail: `No route ${request.method} ${request.url.split('?')[0]}`,
      fix: 'See /docs for the routes of this API.',
      instance: request.url.split('?')[0],
    }),
  );
}
