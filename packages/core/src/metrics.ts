/**
 * The process's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * two cores in one process, as in the tests, do not collide). The sync scheduler, the write-back
 * and the EHR call meter report through the methods below; the server records HTTP latency and
 * serves `registry` as text at `GET /metrics`. Gauges read from the database are computed at
 * scrape time. Every metric is documented in docs/metrics.md.
 */
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './db/database.ts';
import type { BookingState } from './db/schema.ts';

export type SyncWindow = 'near' | 'far' | 'refresh' | 'manual' | 'startup';
export type SyncOutcome = 'changed' | 'unchanged' | 'failed';
export type EhrCallOutcome = 'ok' | 'error';
export type BookingWriteKind = 'book' | 'cancel';
export type BookingWriteOutcome = 'confirmed' | 'held' | 'cancelled' | 'failed' | 'retry' | 'unknown';

/** Every booking state, so each has a series (0 when none) from the first scrape. */
const BOOKING_STATES: readonly BookingState[] = [
  'pending',
  'confirmed',
  'needs_reconciliation',
  'failed',
  'cancelling',
  'cancelled',
  'cancelled_in_ehr',
];

/** Seconds: a sync reads a few to a few hundred EHR pages. */
const SYNC_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds: one EHR call, ~100 ms when healthy. */
const EHR_CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds from a booking's acceptance to its confirmation in the EHR (target p99 ≤ 30 s). */
const ACCEPT_TO_CONFIRMED_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Seconds since a practice's diary was last read (near window within seconds, horizon within minutes). */
const FRESHNESS_BUCKETS = [5, 10, 15, 20, 30, 60, 120, 300, 600, 1800];
/** Seconds: an API request. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface MetricsOptions {
  /** Node's process metrics (RSS, heap, event-loop lag, GC) on this registry. Default true. */
  defaultMetrics?: boolean;
  /** Called when a scrape-time database read fails (the scrape still answers). */
  onCollectError?: (error: unknown) => void;
}

export class Metrics {
  /** This process's registry: `await registry.metrics()` is the Prometheus text. */
  readonly registry = new Registry();
  readonly #syncDuration: Histogram<'plugin' | 'window' | 'outcome'>;
  readonly #syncs: Counter<'plugin' | 'window' | 'outcome'>;
  readonly #ehrCalls: Counter<'plugin' | 'operation' | 'outcome'>;
  readonly #ehrCallDuration: Histogram<'plugin' | 'operation' | 'outcome'>;
  readonly #bookingWrites: Counter<'plugin' | 'kind' | 'outcome'>;
  readonly #acceptToConfirmed: Histogram<'plugin' | 'kind' | 'outcome'>;
  readonly #httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly #webhookDeliveries: Counter<'outcome'>;
  #freshnessSource: () => number[] = () => [];

  constructor(db: Db, options: MetricsOptions = {}) {
    const registers = [this.registry];
    const onCollectError = options.onCollectError ?? (() => {});

    this.#syncDuration = new Histogram({
      name: 'slotbridge_sync_duration_seconds',
      help: 'Duration of a sync of one practice from its EHR, by plugin, window and outcome.',
      labelNames: ['plugin', 'window', 'outcome'],
      buckets: SYNC_BUCKETS,
      registers,
    });
    this.#syncs = new Counter({
      name: 'slotbridge_syncs_total',
      help: 'Syncs of a practice from its EHR, by plugin, window and outcome.',
      labelNames: ['plugin', 'window', 'outcome'],
      registers,
    });
    this.#ehrCalls = new Counter({
      name: 'slotbridge_ehr_calls_total',
      help: 'Calls made to an EHR, by plugin, operation and outcome.',
      labelNames: ['plugin', 'operation', 'outcome'],
      registers,
    });
    this.#ehrCallDuration = new Histogram({
      name: 'slotbridge_ehr_call_duration_seconds',
      help: 'Latency of one call to an EHR, by plugin, operation and outcome.',
      labelNames: ['plugin', 'operation', 'outcome'],
      buckets: EHR_CALL_BUCKETS,
      registers,
    });
    this.#bookingWrites = new Counter({
      name: 'slotbridge_booking_writes_total',
      help: 'Write-back attempts of bookings and cancellations to the EHR, by plugin, kind and outcome.',
      labelNames: ['plugin', 'kind', 'outcome'],
      registers,
    });
    this.#webhookDeliveries = new Counter({
      name: 'slotbridge_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retry, failed: given up).',
      labelNames: ['outcome'],
      registers,
    });
    this.#acceptToConfirmed = new Histogram({
      name: 'slotbridge_booking_accept_to_confirmed_seconds',
      help: 'Seconds from accepting a booking (or cancellation) to the EHR confirming or holding it.',
      labelNames: ['plugin', 'kind', 'outcome'],
      buckets: ACCEPT_TO_CONFIRMED_BUCKETS,
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'slotbridge_http_request_duration_seconds',
      help: 'API request latency by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers,
    });

    // A database read at scrape time failed: the gauges read from the database keep their last values.
    const collectErrors = new Counter({
      name: 'slotbridge_metrics_collect_errors_total',
      help: 'Database reads at scrape time that failed (the database gauges then keep their last values).',
      registers,
    });

    // Freshness: one histogram over the practices this process owns, refilled at each scrape
    // (never one series per practice).
    const metrics = this;
    new Histogram({
      name: 'slotbridge_practice_freshness_age_seconds',
      help: 'Seconds since each practice owned by this process was last read in full from its EHR, as a distribution over practices (refilled at each scrape).',
      buckets: FRESHNESS_BUCKETS,
      registers,
      collect() {
        this.reset();
        for (const age of metrics.#freshnessSource())
          if (Number.isFinite(age)) this.observe(Math.max(0, age));
      },
    });

    new Gauge({
      name: 'slotbridge_bookings',
      help: 'Bookings in the database by state (all practices, read at scrape time).',
      labelNames: ['state'],
      registers,
      async collect() {
        try {
          const rows = await db
            .selectFrom('bookings')
            .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
            .groupBy('state')
            .execute();
          const counts = new Map<string, number>(BOOKING_STATES.map((state) => [state, 0]));
          for (const row of rows) counts.set(row.state, Number(row.count));
          for (const [state, count] of counts) this.set({ state }, count);
        } catch (error) {
          collectErrors.inc();
          onCollectError(error);
        }
      },
    });

    // Queue depth and lag of the write-back outbox, from one query per scrape shared by both
    // gauges. created_at, not a retry's available_at: the lag is how long the oldest command has
    // waited since its booking was accepted.
    let outboxRead: Promise<{ pending: number; oldest: number } | null> | null = null;
    const readOutbox = () => {
      outboxRead ??= db
        .selectFrom('outbox_commands')
        .select([
          (eb) => eb.fn.countAll<number>().as('pending'),
          sql<number | null>`extract(epoch from now() - min(created_at))::float8`.as('oldest'),
        ])
        .where('state', '=', 'pending')
        .executeTakeFirstOrThrow()
        .then((row) => ({
          pending: Number(row.pending),
          oldest: row.oldest === null ? 0 : Math.max(0, Number(row.oldest)),
        }))
        .catch((error: unknown) => {
          collectErrors.inc();
          onCollectError(error);
          return null;
        })
        .finally(() => {
          outboxRead = null;
        });
      return outboxRead;
    };
    new Gauge({
      name: 'slotbridge_outbox_pending',
      help: 'Write-back commands (bookings, cancellations) waiting to be written to an EHR.',
      registers,
      async collect() {
        const outbox = await readOutbox();
        if (outbox) this.set(outbox.pending);
      },
    });
    new Gauge({
      name: 'slotbridge_outbox_oldest_pending_age_seconds',
      help: 'Age in seconds of the oldest pending write-back command (0 when none).',
      registers,
      async collect() {
        const outbox = await readOutbox();
        if (outbox) this.set(outbox.oldest);
      },
    });

    new Gauge({
      name: 'slotbridge_webhook_pending',
      help: 'Webhook deliveries waiting to be sent (new, or waiting for a retry), all endpoints.',
      registers,
      async collect() {
        try {
          const { rows } = await sql<{ n: number }>`
            select count(*)::int as n from webhook_deliveries where state = 'pending'`.execute(db);
          this.set(Number(rows[0]?.n ?? 0));
        } catch (error) {
          collectErrors.inc();
          onCollectError(error);
        }
      },
    });

    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A sync of one practice finished (`seconds`: its duration). */
  syncFinished(labels: { plugin: string; window: SyncWindow; outcome: SyncOutcome }, seconds: number): void {
    this.#syncs.inc(labels);
    this.#syncDuration.observe(labels, seconds);
  }

  /** One call to an EHR finished. */
  ehrCall(labels: { plugin: string; operation: string; outcome: EhrCallOutcome }, seconds: number): void {
    this.#ehrCalls.inc(labels);
    this.#ehrCallDuration.observe(labels, seconds);
  }

  /**
   * A write-back attempt finished. `secondsSinceAccept` (from the booking's acceptance) is
   * observed only when the EHR confirmed or held it.
   */
  bookingWritten(
    labels: { plugin: string; kind: BookingWriteKind; outcome: BookingWriteOutcome },
    secondsSinceAccept: number | null,
  ): void {
    this.#bookingWrites.inc(labels);
    if (secondsSinceAccept !== null && (labels.outcome === 'confirmed' || labels.outcome === 'held')) {
      this.#acceptToConfirmed.observe(labels, secondsSinceAccept);
    }
  }

  /** One webhook delivery attempt finished. */
  webhookDelivered(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.#webhookDeliveries.inc({ outcome });
  }

  /**
   * Where the freshness ages come from: called at each scrape, it returns, for each practice
   * this process owns, the seconds since its diary was last read from the EHR.
   */
  setFreshnessSource(source: () => number[]): void {
    this.#freshnessSource = source;
  }

  /** One API request answered (`route`: the route pattern, never the raw URL). */
  httpRequest(labels: { method: string; route: string; statusCode: number }, seconds: number): void {
    this.#httpDuration.observe(
      { method: labels.method, route: labels.route, status_code: String(labels.statusCode) },
      seconds,
    );
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
