/**
 * The slotbridge HTTP API as a partner calls it: JSON, `Authorization: Bearer <key>`, every
 * call bounded by a timeout. A non-2xx answer throws with the problem body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} → ${status} ${JSON.stringify(body).slice(0, 500)}`);
  }
}

export interface Api {
  readonly baseUrl: string;
  /** The API key it calls with. */
  readonly key: string;
  request<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<T>;
  /** The raw answer (status and bytes), never throwing on a status. */
  raw(path: string, timeoutMs?: number): Promise<{ status: number; body: Buffer; contentType: string }>;
}

export function apiClient(baseUrl: string, key: string, defaultTimeoutMs = 30_000): Api {
  const authorization = `Bearer ${key}`;
  return {
    baseUrl,
    key,
    async request<T>(
      method: string,
      path: string,
      options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
    ): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization,
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs),
      });
      const text = await response.text();
      const body = text === '' ? undefined : JSON.parse(text);
      if (!response.ok) throw new ApiError(response.status, body, `${method} ${path}`);
      return body as T;
    },
    async raw(path: string, timeoutMs = defaultTimeoutMs) {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { authorization },
        signal: AbortSignal.timeout(timeoutMs),
      });
      return {
        status: response.status,
        body: Buffer.from(await response.arrayBuffer()),
        contentType: response.headers.get('content-type') ?? 'application/json',
      };
    },
  };
}

/** One slot as `GET …/slots` answers it. */
export interface SlotView {
  id: string;
  start: string;
  end: string;
}

/** A page of `GET …/slots`: `data`, and `next` (a cursor) once pagination lands. */
export interface SlotPage {
  data: SlotView[];
  next?: string | null;
}

/**
 * Every slot of the window, following `next` when the server paginates (bounded): `next` may be
 * a cursor (sent back as `cursor`) or a link (a path or URL, followed as is).
 */
export async function allSlots(
  api: Api,
  practiceId: string,
  query: Record<string, string>,
): Promise<SlotView[]> {
  const slots: SlotView[] = [];
  let path = `/v1/practices/${practiceId}/slots?${new URLSearchParams(query)}`;
  for (let page = 0; page < 500; page++) {
    const answer = await api.request<SlotPage>('GET', path);
    slots.push(...answer.data);
    const next = answer.next;
    if (!next) return slots;
    if (next.startsWith('/')) path = next;
    else if (/^https?:/.test(next)) path = next.slice(new URL(next).origin.length);
    else path = `/v1/practices/${practiceId}/slots?${new URLSearchParams({ ...query, cursor: next })}`;
  }
  throw new Error(`GET …/slots for ${practiceId}: more than 500 pages`);
}
