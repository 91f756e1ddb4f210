/**
 * An HTTP sandbox's server: a Fastify app on 127.0.0.1, on a free port, that closes every open
 * connection when it closes (a hung call included), and an AbortSignal that tells the faults
 * still waiting (latency, hang) that the sandbox is closing.
 *
 *   const http = await createSandboxHttp({ name: 'Acme sandbox' });
 *   http.app.get('/v1/…', …);
 *   const baseUrl = await http.listen();   // http://127.0.0.1:<port>
 *   await http.close();
 */
import type { FastifyInstance } from 'fastify';

/** Sandboxes listen on the loopback interface only. */
export const SANDBOX_HOST = '127.0.0.1';

export interface SandboxHttpOptions {
  /** Named in the error `url` throws before `listen()`: "The <name> is not listening". */
  name: string;
  /** Fastify's logger option. Default false. */
  logger?: boolean;
  /**
   * Refuse a body with a field its schema does not name (a mistyped control flag) rather than
   * drop the field, which is Fastify's default. Default false.
   */
  strictBodies?: boolean;
}

export interface SandboxHttp {
  app: FastifyInstance;
  /** Aborted by `close()`: latency and hang faults waiting on it give up. */
  readonly closing: AbortSignal;
  /** The base URL, once `listen()` has answered; throws before. */
  readonly url: string;
  /** Listens on 127.0.0.1, on `port` (default 0: a free one); answers the base URL. */
  listen(port?: number): Promise<string>;
  /** Aborts `closing`, closes the open connections and stops listening. */
  close(): Promise<void>;
}

export async function createSandboxHttp(options: SandboxHttpOptions): Promise<SandboxHttp> {
  // Loaded here, not at the top: a TCP sandbox that never serves HTTP does not load Fastify.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({
    logger: options.logger ?? false,
    forceCloseConnections: true,
    ...(options.strictBodies && { ajv: { customOptions: { removeAdditional: false } } }),
  }) as unknown as FastifyInstance;
  const closing = new AbortController();
  let url: string | null = null;
  return {
    app,
    closing: closing.signal,
    get url() {
      if (url === null) throw new Error(`The ${options.name} is not listening: call listen() first`);
      return url;
    },
    async listen(port = 0) {
      url = await app.listen({ host: SANDBOX_HOST, port });
      return url;
    },
    async close() {
      closing.abort();
      await app.close();
    },
  };
}
