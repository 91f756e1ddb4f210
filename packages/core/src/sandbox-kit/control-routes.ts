/**
 * The scaffolding of a sandbox's control surface under `/_sandbox/…` (JSON, no authentication,
 * for tests and the demo): the bodies every sandbox takes (seed-demo options, a date, HTTP
 * faults and chaos), the routes every sandbox has (faults, chaos, the call log), a handler that
 * answers 204, and the error answers (the sandbox's own errors, refused bodies, unknown paths).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { HttpFaultInjector } from './http-faults.ts';

const literals = <T extends string | number>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));

/** `yyyy-MM-dd`. */
export const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

/** `GET /_sandbox/diary?date=yyyy-MM-dd`. */
export const DateQuery = Type.Object({ date: DateString });

/** `POST /_sandbox/seed-demo`: the demo diary's options (every sandbox's DemoDiaryOptions). */
export const DemoBody = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })),
    timeZone: Type.Optional(Type.String()),
    from: Type.Optional(DateString),
    seed: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

/** The bodies of `POST /_sandbox/faults` and `POST /_sandbox/chaos` for an HTTP sandbox answering `statuses`. */
export function httpFaultBodies(statuses: readonly number[]) {
  const fields = {
    kind: literals(['error', 'latency', 'hang', 'drop', 'lost-answer'] as const),
    status: Type.Optional(literals(statuses)),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0 })),
    after: Type.Optional(literals(['drop', 'hang'] as const)),
  };
  return {
    FaultBody: Type.Object(
      {
        operation: Type.String({ minLength: 1 }),
        ...fields,
        times: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('always')])),
      },
      { additionalProperties: false },
    ),
    ChaosBody: Type.Object(
      {
        rate: Type.Number({ minimum: 0, maximum: 1 }),
        seed: Type.Integer(),
        faults: Type.Optional(
          Type.Array(Type.Object(fields, { additionalProperties: false }), { minItems: 1 }),
        ),
        operations: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
  };
}

/** A route handler that does `work` with the request's body and answers 204 No Content. */
export const noContent =
  <T>(work: (body: T) => unknown) =>
  async (request: { body: unknown }, reply: FastifyReply) => {
    await work(request.body as T);
    return reply.code(204).send();
  };

/** `POST /_sandbox/faults`, `POST /_sandbox/chaos` (null body fields as in ChaosSpec), `DELETE /_sandbox/faults`. */
export function registerHttpFaultRoutes<S extends number>(
  app: FastifyInstance,
  faults: HttpFaultInjector<S>,
  statuses: readonly S[],
): void {
  const { FaultBody, ChaosBody } = httpFaultBodies(statuses);
  app.post(
    '/_sandbox/faults',
    { schema: { body: FaultBody } },
    noContent<Parameters<HttpFaultInjector<S>['add']>[0]>((spec) => faults.add(spec)),
  );
  app.post(
    '/_sandbox/chaos',
    { schema: { body: ChaosBody } },
    noContent<Parameters<HttpFaultInjector<S>['chaos']>[0]>((spec) => faults.chaos(spec)),
  );
  app.delete(
    '/_sandbox/faults',
    noContent(() => faults.clear()),
  );
}

/** `GET /_sandbox/calls` answers `{ calls }`, oldest first; `DELETE /_sandbox/calls` empties the log. */
export function registerCallLogRoutes(app: FastifyInstance, calls: unknown[]): void {
  app.get('/_sandbox/calls', async () => ({ calls }));
  app.delete(
    '/_sandbox/calls',
    noContent(() => {
      calls.length = 0;
    }),
  );
}

/** How a sandbox answers errors, in its own wire format. */
export interface SandboxErrorAnswers<E> {
  /** The sandbox's own errors, answered as they are. */
  isSandboxError(error: unknown): error is E;
  /** A request Fastify refused before a route ran (4xx): a body or query its schema refuses, a content type it cannot parse. */
  refused(statusCode: number, message: string): E;
  /** Anything else thrown: a bug in the sandbox. */
  internal(error: Error): E;
  /** A method and path no route serves; default Fastify's own 404. */
  notFound?(method: string, path: string): E;
  /** Writes the answer. */
  send(reply: FastifyReply, error: E): FastifyReply;
}

/** Sets `app`'s error (and not-found) handler to answer in the sandbox's error format. */
export function answerSandboxErrors<E>(app: FastifyInstance, answers: SandboxErrorAnswers<E>): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    let answer: E;
    if (answers.isSandboxError(error)) answer = error;
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      answer = answers.refused(error.statusCode, error.message);
    } else answer = answers.internal(error);
    return answers.send(reply, answer);
  });
  const notFound = answers.notFound;
  if (notFound) {
    app.setNotFoundHandler((request, reply) =>
      answers.send(reply, notFound(request.method, request.url.split('?')[0] ?? '')),
    );
  }
}
