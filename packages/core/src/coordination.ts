/**
 * One PostgreSQL session per process for coordination: LISTEN for the notifications that wake
 * the engine (a write-back to run, a practitioner's day to refresh, a practice connected), and
 * session advisory locks that share the practices between processes. When the session drops,
 * its locks are gone: listeners are told, and it reconnects with back-off.
 */
import pg from 'pg';
import type { HookLogger } from './ehr-plugin.ts';

/** The notification channels of the engine. */
export const Channel = {
  /** A write-back command is ready to run. */
  outbox: 'slotbridge_outbox',
  /** Refresh a window of one practice (payload: see refreshPayload). */
  refresh: 'slotbridge_refresh',
  /** A practice was connected, changed or removed. */
  practices: 'slotbridge_practices',
  /** A practice's slots, offers or live bookings changed: its kept answers are out of date. */
  offers: 'slotbridge_offers',
  /** A webhook delivery is ready to send. */
  webhooks: 'slotbridge_webhooks',
} as const;

export class PgCoordinator {
  #client: pg.Client | null = null;
  #stopping = false;
  #retryMs = 500;
  /** Queries on the one session run one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #handlers = new Map<string, ((payload: string) => void)[]>();
  readonly #sessionListeners: ((up: boolean) => void)[] = [];

  constructor(
    private readonly connectionString: string,
    private readonly log: HookLogger,
  ) {}

  get connected(): boolean {
    return this.#client !== null;
  }

  /** Calls `handler` with each notification's payload on `channel`. */
  on(channel: string, handler: (payload: string) => void): void {
    const list = this.#handlers.get(channel) ?? [];
    list.push(handler);
    this.#handlers.set(channel, list);
    if (list.length === 1 && this.#client) void this.query(`listen ${channel}`).catch(() => {});
  }

  /** Told `false` when the session is lost (its advisory locks with it), `true` when it is back. */
  onSession(listener: (up: boolean) => void): void {
    this.#sessionListeners.push(listener);
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  /** A query on the coordination session (advisory locks live as long as it does). */
  query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const run = this.#queue.then(async () => {
      if (!this.#client) throw new Error('The coordination session is not connected');
      return (await this.#client.query<R>(text, values)).rows;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    const lost = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = null;
      client.end().catch(() => {});
      if (this.#stopping) return;
      this.log.warn({ err: error?.message }, 'coordination session lost; reconnecting');
      for (const listener of this.#sessionListeners) listener(false);
      this.#reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    for (const channel of this.#handlers.keys()) await client.query(`listen ${channel}`);
    this.#client = client;
    this.#retryMs = 500;
  }

  #reconnectLater(): void {
    const timer = setTimeout(() => {
      if (this.#stopping) return;
      this.#connect().then(
        () => {
          for (const listener of this.#sessionListeners) listener(true);
        },
        () => {
          this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
          this.#reconnectLater();
        },
      );
    }, this.#retryMs);
    timer.unref();
  }
}
