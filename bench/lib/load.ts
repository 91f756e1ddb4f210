/**
 * HTTP load with autocannon, always against 127.0.0.1: a fixed number of connections for a
 * fixed time, answering successful requests per second and the latency percentiles.
 */
import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) answers per second over the run. */
  okPerSecond: number;
  /** Latency percentiles of every answer, ms. */
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Per request: the path, body and headers (the bookings' load). */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method ?? 'GET',
    headers: options.headers,
    timeout: 30,
    ...(options.setupRequest && {
      requests: [{ method: options.method ?? 'GET', setupRequest: options.setupRequest }],
    }),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stat as { count: number }).count;
  }
  const seconds = result.duration || options.seconds;
  const ok = result['2xx'];
  return {
    okPerSecond: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    seconds,
  };
}
