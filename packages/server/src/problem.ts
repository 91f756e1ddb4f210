/**
 * The one place errors become HTTP: application/problem+json (RFC 9457) with a stable `code`
 * and, where there is one, the `fix`. Domain errors know nothing of HTTP; this maps them, and
 * every answer Fastify and Node's HTTP server would give on their own (unknown route, bad
 * JSON, body too large, URL too long, timeouts, malformed HTTP, shutting down) too.
 */
import type { Socket } from 'node:net';
import {
  type ErrorCategory,
  ErrorCode,
  errorEntry,
  otherHttpErrorCode,
  SlotbridgeError,
} from '@slotbridge/core';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';

const STATUS: Record<ErrorCategory, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  precondition_failed: 412,
  internal: 500,
  unavailable: 503,
  request_timeout: 408,
  too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
};

/** The HTTP status the server answers for an error category. */
export function statusOf(category: ErrorCategory): number {
  return STATUS[category];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The codes by name (the one table is the core's ERRORS, in packages/core/src/errors.ts). */
export const HttpErrorCode = ErrorCode;

/**
 * A problem to answer. For a code of the table (ERRORS), `status`, `title` and `fix` default to
 * its entry; a code outside it (a plugin's) needs its `status`.
 */
export interface ProblemInput {
  status?: number;
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

type Problem = ProblemInput & { status: number; title: string };

/** The problem with the table's status, title and fix where it leaves them out. */
function complete(problem: ProblemInput): Problem {
  const entry = errorEntry(problem.code);
  const status = problem.status ?? (entry ? STATUS[entry.category] : 500);
  const fix = problem.fix ?? entry?.fix;
  return {
    ...problem,
    status,
    title: problem.title ?? entry?.title ?? TITLES[status] ?? 'Error',
    ...(fix !== undefined && { fix }),
  };
}

function problemBody(problem: Problem) {
  return { type: problemType(problem.code), ...problem };
}

export function sendProblem(reply: FastifyReply, input: ProblemInput) {
  const problem = complete(input);
  return reply.code(problem.status).type('application/problem+json').send(problemBody(problem));
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0];

/**
 * Fastify's own errors (FST_ERR_…), each as our code with a fix. `null`: not one of them.
 * Request-time errors only: the others are raised at start-up, never over HTTP.
 */
function frameworkProblem(error: FastifyError, request: FastifyRequest): ProblemInput | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        code: HttpErrorCode.JSON_INVALID,
        detail: 'The body is not valid JSON',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        code: HttpErrorCode.JSON_INVALID,
        detail: 'The body is empty, but Content-Type says it is JSON',
        fix: 'Send a JSON body, or leave out the Content-Type header when there is no body.',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        code: HttpErrorCode.CONTENT_LENGTH_MISMATCH,
        detail: 'The body is not as long as its Content-Length header says',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: HttpErrorCode.BODY_TOO_LARGE,
        detail: `The body is larger than ${request.routeOptions.bodyLimit ?? 1_048_576} bytes`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: HttpErrorCode.MEDIA_TYPE_UNSUPPORTED,
        detail: `A body of type "${request.headers['content-type'] ?? ''}" is not accepted`,
      };
    case 'FST_ERR_BAD_URL':
      return {
        code: HttpErrorCode.URL_INVALID,
        detail: 'The path is not a valid URL: a percent-encoded part does not decode',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        code: HttpErrorCode.URL_TOO_LONG,
        detail: 'A part of the path is longer than any id of this API (at most 100 characters)',
      };
    case 'FST_ERR_HANDLER_TIMEOUT':
      request.log.error({ err: error }, 'the answer took too long');
      return {
        code: HttpErrorCode.ANSWER_TIMEOUT,
        detail: 'The server took too long to answer; it is logged',
      };
    case 'FST_ERR_NOT_FOUND':
      return notFound(request);
    default:
      return null;
  }
}

function notFound(request: FastifyRequest): ProblemInput {
  return {
    code: HttpErrorCode.ROUTE_NOT_FOUND,
    detail: `No route ${request.method} ${pathOf(request)}`,
  };
}

function retryAfterFor(reply: FastifyReply, problem: Problem): FastifyReply {
  return problem.status === 503 && !reply.hasHeader('retry-after') ? reply.header('retry-after', 1) : reply;
}

/**
 * Fastify options for the answers it gives before any hook or handler runs: a path that does
 * not decode or is too long (`frameworkErrors`), malformed HTTP, headers too large and a client
 * too slow to send its request (`clientErrorHandler`, written on the socket), and requests that
 * arrive while the server shuts down (answered by the onRequest hook of registerProblemHandlers).
 */
export const problemServerOptions: Pick<
  FastifyServerOptions,
  'frameworkErrors' | 'clientErrorHandler' | 'return503OnClosing'
> = {
  frameworkErrors: (error, request, reply) => {
    const problem = complete(
      frameworkProblem(error, request) ?? {
        code: HttpErrorCode.INTERNAL,
        detail: 'Something went wrong on our side; the error is logged.',
      },
    );
    if (problem.status >= 500) request.log.error({ err: error }, 'framework error');
    void sendProblem(retryAfterFor(reply, problem), { ...problem, instance: pathOf(request) });
  },
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
    // A reset connection: nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const problem = complete(
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? {
            code: HttpErrorCode.REQUEST_TIMEOUT,
            detail: 'The request was not received in time',
          }
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? {
              code: HttpErrorCode.HEADERS_TOO_LARGE,
              detail: 'The request headers are too large',
            }
          : {
              code: HttpErrorCode.HTTP_MALFORMED,
              detail: 'The request is not valid HTTP/1.1',
            },
    );
    if (socket.writable) {
      const body = JSON.stringify(problemBody(problem));
      socket.write(
        `HTTP/1.1 ${problem.status} ${TITLES[problem.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
  // Answered as problem+json by our own hook instead.
  return503OnClosing: false,
};

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | SlotbridgeError | Error, request, reply) => {
    const instance = pathOf(request);
    if (error instanceof SlotbridgeError) {
      // The table's category for a code of the table; a plugin's code, its error's.
      const status = STATUS[(errorEntry(error.code) ?? error).category];
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
        code: HttpErrorCode.VALIDATION,
        detail: `The ${where} is not valid: ${fastifyError.message}`,
        errors: fastifyError.validation.map((v) => ({
          in: where,
          field: v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || '/',
          message: v.message ?? 'is not valid',
        })),
        instance,
      });
    }
    const framework = frameworkProblem(fastifyError, request);
    if (framework) {
      const problem = complete(framework);
      return sendProblem(retryAfterFor(reply, problem), { ...problem, instance });
    }
    const status = fastifyError.statusCode && fastifyError.statusCode >= 400 ? fastifyError.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
      return sendProblem(reply, {
        code: HttpErrorCode.INTERNAL,
        detail: 'Something went wrong on our side; the error is logged.',
        instance,
      });
    }
    // Any other 4xx (none known today): its status as the code, its message as the detail.
    return sendProblem(reply, { status, code: otherHttpErrorCode(status), detail: error.message, instance });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { ...notFound(request), instance: pathOf(request) }),
  );

  // With return503OnClosing off (problemServerOptions), a request that still arrives while the
  // server shuts down (pipelined, or on a busy keep-alive connection) is refused here.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    return sendProblem(reply.header('retry-after', 1), {
      code: HttpErrorCode.SHUTTING_DOWN,
      detail: 'This server is shutting down',
      instance: pathOf(request),
    });
  });
}
