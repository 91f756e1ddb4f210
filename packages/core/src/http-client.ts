/**
 * One HTTP exchange for a plugin's client: `sendHttp` sends a request, reads the answer's body
 * whole, and is bounded by a timeout and the caller's AbortSignal. It fails with an
 * `HttpCallError` whose `reason` says why (`timeout`, `cancelled`, `network`), which the plugin
 * turns into its own `EhrError` codes.
 *
 * Plain `node:http(s)` with one keep-alive agent per protocol shared by every client of the
 * process (idle connections are kept 4 s, as fetch keeps them), rather than the global fetch: at
 * fleet scale a process makes hundreds of calls a second, each ~100 ms long, and fetch's per-call
 * objects (Request, Response, Headers, web streams, a combined AbortSignal) outlive the young
 * generation and were a quarter of the garbage the old generation collected, and
 * `AbortSignal.any` over the scheduler's long-lived signal kept a WeakRef per call on it
 * (Node 20). docs/performance.md has the figures. The timer and the listener on the caller's
 * signal are gone when the exchange settles, so nothing it made outlives it.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** A text body (JSON, form): its content-length is set. */
  body?: string;
}

/** An answer read to its end. */
export interface HttpAnswer {
  status: number;
  /** 2xx. */
  ok: boolean;
  text: string;
  /** Its headers, names in lower case (e.g. `etag`). */
  headers: http.IncomingHttpHeaders;
}

export interface SendHttpOptions {
  /** The caller's signal: aborting it fails the call with reason `cancelled`. */
  signal: AbortSignal;
  /** The longest wait for the whole answer, body included, in milliseconds. */
  timeoutMs: number;
  /**
   * The agent to send through, for a connection of its own (a client certificate for mutual
   * TLS, say): keep one per identity for the process. Default: one shared keep-alive agent per
   * protocol.
   */
  agent?: http.Agent;
}

/** Why an exchange failed: no answer within the timeout, the caller cancelled, or the network. */
export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'cancelled' | 'network',
    /** Node's code for a network failure (`ECONNREFUSED`, `ECONNRESET`…), else null. */
    readonly networkCode: string | null,
    cause?: unknown,
    /** The network failed after the answer had begun (the connection dropped mid-answer). */
    readonly midAnswer = false,
  ) {
    super(message, { cause });
    this.name = 'HttpCallError';
  }
}

const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000, scheduling: 'lifo' }),
};

/** One HTTP exchange, its body read whole, bounded by `timeoutMs` and the caller's signal. */
export function sendHttp(url: URL, request: HttpRequest, options: SendHttpOptions): Promise<HttpAnswer> {
  const { signal, timeoutMs } = options;
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (signal.aborted) {
      reject(new HttpCallError('cancelled', 'cancelled', null));
      return;
    }
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const headers = body ? { ...request.headers, 'content-length': String(body.length) } : request.headers;
    const transport = url.protocol === 'https:' ? https : http;
    const agent = options.agent ?? (url.protocol === 'https:' ? AGENTS['https:'] : AGENTS['http:']);
    const req = transport.request(url, { method: request.method, headers, agent });
    let settled = false;
    let answering = false;
    const settle = (error: HttpCallError | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const failed = (error: Error & { code?: unknown }) =>
      settle(
        new HttpCallError(
          error.message,
          'network',
          typeof error.code === 'string' ? error.code : null,
          error,
          answering,
        ),
      );
    const onAbort = () => settle(new HttpCallError('cancelled', 'cancelled', null));
    const timer = setTimeout(() => settle(new HttpCallError('timeout', 'timeout', null)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', failed);
    req.on('response', (response) => {
      answering = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', failed);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        settle(null, {
          status,
          ok: status >= 200 && status < 300,
          text: Buffer.concat(chunks).toString('utf8'),
          headers: response.headers,
        });
      });
      response.on('close', () => {
        if (!response.complete)
          failed(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
      });
    });
    req.end(body);
  });
}
