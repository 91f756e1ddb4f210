/**
 * Webhook delivery: the deliveries queued with each event (events.ts) are sent by a worker in
 * every process that runs workers, with the write-back's claim-with-lease pattern
 * (booking/write-back.ts) and no queue library:
 *
 * 1. claim: one statement gives due, unleased deliveries of enabled endpoints a lease and an
 *    attempt — only a delivery with no earlier delivery of the same ordering key (the booking)
 *    still pending for its endpoint, so one booking's events arrive in order; at most
 *    PER_ENDPOINT in flight per endpoint;
 * 2. POST the signed event with a timeout (core's sendHttp), no transaction open;
 * 3. record the outcome while the lease is still ours: delivered; or retried after the next
 *    delay of the schedule; or, once the schedule is spent, given up (`failed`), which lets the
 *    booking's later events go.
 *
 * An endpoint whose every attempt has failed for `disableAfterSeconds` (24 h) is disabled, with
 * its reason and an audit note; its pending deliveries wait until it is enabled again.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { recordAudit } from '../audit.ts';
import { Channel, type PgCoordinator } from '../coordination.ts';
import type { Db } from '../db/database.ts';
import type { HookLogger } from '../ehr-plugin.ts';
import { HttpCallError, sendHttp } from '../http-client.ts';
import type { SecretBox } from '../secret-box.ts';
import { guardedLookup, refusedAddress, type WebhookNetworks } from './networks.ts';
import { type WebhookDelivery as DeliveryRow, type WebhookEndpoint, withWebhooks } from './tables.ts';

/**
 * Seconds before each retry (1-based): 5 s, 30 s, 2 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h,
 * 6 h, 8 h, 8 h — the last attempt about 30 hours after the first (13 attempts in all).
 */
export const DEFAULT_WEBHOOK_RETRY_SECONDS: readonly number[] = [
  5, 30, 120, 300, 900, 1800, 3600, 7200, 14_400, 21_600, 28_800, 28_800,
];
/** An endpoint whose attempts have all failed for this long is disabled. */
export const DEFAULT_WEBHOOK_DISABLE_AFTER_SECONDS = 24 * 3600;
/** The receiver must answer within this. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 15_000;
/** Deliveries in flight at once per endpoint, across all processes. */
export const PER_ENDPOINT = 4;
const LEASE_SECONDS = 60;
const SWEEP_MS = 1_000;
/** At most this much of an error is kept in the log. */
const ERROR_CHARS = 300;
/** Events and log entries are kept this long (replay reaches this far back), then pruned. */
export const WEBHOOK_RETENTION_DAYS = 30;
/** How often a process prunes, and how many rows one prune deletes at most per table. */
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 5_000;

export interface WebhookDeliveryOptions {
  concurrency: number;
  retrySeconds: readonly number[];
  disableAfterSeconds: number;
  timeoutMs: number;
  /** Which addresses a receiver may have (networks.ts, SLOTBRIDGE_WEBHOOK_NETWORKS). */
  networks: WebhookNetworks;
}

export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliveryOptions = {
  concurrency: 8,
  retrySeconds: DEFAULT_WEBHOOK_RETRY_SECONDS,
  disableAfterSeconds: DEFAULT_WEBHOOK_DISABLE_AFTER_SECONDS,
  timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS,
  networks: 'loopback',
};

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'lost';

/** The body sent: `{ type, timestamp, data }`, the same at every attempt. */
export function webhookBody(event: { type: string; created_at: Date; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.created_at.toISOString(), data: event.data });
}

/**
 * The `webhook-signature` header: `v1,<base64>` with the current secret, and with the previous
 * one too while its rotation grace lasts (space-separated, as the Standard Webhooks spec allows).
 */
export function webhookSignature(secrets: string[], id: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body)).join(' ');
}

export class WebhookDeliveryWorker {
  readonly owner = randomUUID();
  readonly #db;
  readonly #inFlight = new Set<Promise<unknown>>();
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;
  #prunedAt = 0;

  constructor(
    db: Db,
    private readonly secrets: SecretBox,
    private readonly log: HookLogger,
    private readonly options: WebhookDeliveryOptions = DEFAULT_WEBHOOK_DELIVERY,
    /** Told of each attempt's outcome (the metrics). */
    private readonly observe?: (outcome: 'delivered' | 'retry' | 'failed') => void,
  ) {
    this.#db = withWebhooks(db);
    // Every address a receiver's name resolves to is checked when the connection is made.
    const lookup = guardedLookup(options.networks);
    this.#agents = {
      'http:': new http.Agent({ keepAlive: true, lookup }),
      'https:': new https.Agent({ keepAlive: true, lookup }),
    };
  }

  readonly #agents: Record<'http:' | 'https:', http.Agent>;

  start(coordinator: PgCoordinator): void {
    coordinator.on(Channel.webhooks, () => this.wake());
    this.#timer = setInterval(() => this.wake(), SWEEP_MS);
    this.#timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#inFlight]);
    // Kept-alive connections to receivers would hold the process open.
    for (const agent of Object.values(this.#agents)) agent.destroy();
  }

  wake(): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#pump()
      .catch((error) => this.log.warn({ err: String(error) }, 'claiming webhook deliveries failed'))
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #pump(): Promise<void> {
    if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now();
      await this.prune();
    }
    while (!this.#stopping) {
      const free = this.options.concurrency - this.#inFlight.size;
      if (free <= 0) return;
      const claimed = await this.claim(free);
      for (const delivery of claimed) {
        const running: Promise<unknown> = this.execute(delivery)
          .catch((error) =>
            this.log.error({ err: String(error), deliveryId: delivery.id }, 'webhook delivery crashed'),
          )
          .finally(() => {
            this.#inFlight.delete(running);
            this.wake();
          });
        this.#inFlight.add(running);
      }
      if (claimed.length < free) return;
    }
  }

  /**
   * Claims up to `limit` due deliveries with a lease: endpoint enabled, no earlier delivery of
   * the same ordering key pending for the endpoint, at most PER_ENDPOINT in flight per endpoint.
   * Closes the claimed events to coalescing (events.ts, recordAvailabilityChanged).
   */
  async claim(limit: number): Promise<DeliveryRow[]> {
    const { rows } = await sql<DeliveryRow>`
      with busy as (
        select endpoint_id, count(*)::int as n from webhook_deliveries
         where state = 'pending' and lease_until > now() group by endpoint_id
      ), ready as (
        select d.id, d.endpoint_id, d.seq,
               row_number() over (partition by d.endpoint_id order by d.seq) as rn
          from webhook_deliveries d join webhook_endpoints ep on ep.id = d.endpoint_id
         where d.state = 'pending' and d.available_at <= now()
           and (d.lease_until is null or d.lease_until <= now())
           and ep.enabled
           and not exists (
             select 1 from webhook_deliveries earlier
              where earlier.endpoint_id = d.endpoint_id and earlier.ordering_key = d.ordering_key
                and earlier.seq < d.seq and earlier.state = 'pending')
      ), claimed as (
        update webhook_deliveries d
           set lease_until = now() + make_interval(secs => ${LEASE_SECONDS}), lease_owner = ${this.owner},
               attempts = d.attempts + 1, first_attempt_at = coalesce(d.first_attempt_at, now()),
               updated_at = now()
          from (select r.id from ready r left join busy b using (endpoint_id)
                 where r.rn + coalesce(b.n, 0) <= ${PER_ENDPOINT}
                 order by r.seq limit ${limit}) c
         where d.id = c.id and d.state = 'pending' and (d.lease_until is null or d.lease_until <= now())
        returning d.*
      ), closed as (
        update webhook_events e set coalescing_until = null
         where e.id in (select event_id from claimed) and e.coalescing_until is not null
        returning e.id
      )
      select claimed.* from claimed left join (select count(*) as n from closed) x on true
      order by claimed.seq`.execute(this.#db);
    return rows;
  }

  /**
   * Deletes log entries, and events with no delivery still pending, older than
   * WEBHOOK_RETENTION_DAYS (their deliveries go with them), at most PRUNE_BATCH of each.
   */
  async prune(): Promise<{ events: number; attempts: number }> {
    const attempts = await sql`
      delete from webhook_attempts where id in (
        select id from webhook_attempts
         where created_at < now() - make_interval(days => ${WEBHOOK_RETENTION_DAYS})
         limit ${PRUNE_BATCH})`.execute(this.#db);
    const events = await sql`
      delete from webhook_events where id in (
        select e.id from webhook_events e
         where e.created_at < now() - make_interval(days => ${WEBHOOK_RETENTION_DAYS})
           and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.state = 'pending')
         limit ${PRUNE_BATCH})`.execute(this.#db);
    return { events: Number(events.numAffectedRows ?? 0), attempts: Number(attempts.numAffectedRows ?? 0) };
  }

  /** Sends one claimed delivery and records what came of it. */
  async execute(delivery: DeliveryRow): Promise<DeliveryOutcome> {
    const event = await this.#db
      .selectFrom('webhook_events')
      .selectAll()
      .where('id', '=', delivery.event_id)
      .executeTakeFirstOrThrow();
    const endpoint = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', delivery.endpoint_id)
      .executeTakeFirst();
    if (!endpoint) return 'lost';
    const body = webhookBody(event);
    const timestamp = new Date();
    const signature = webhookSignature(this.signingSecrets(endpoint, timestamp), event.id, timestamp, body);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    const url = new URL(endpoint.url);
    // An address written in the URL is not looked up: the rule is applied to it here.
    const refused = isIP(url.hostname.replace(/^\[|\]$/g, ''))
      ? refusedAddress(url.hostname, this.options.networks)
      : null;
    try {
      if (refused) {
        throw new HttpCallError(
          `${refused}: refused by SLOTBRIDGE_WEBHOOK_NETWORKS=${this.options.networks}`,
          'network',
          'ERR_WEBHOOK_ADDRESS_REFUSED',
        );
      }
      const answer = await sendHttp(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'slotbridge-webhooks/1',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
        },
        {
          signal: AbortSignal.timeout(LEASE_SECONDS * 1000),
          timeoutMs: this.options.timeoutMs,
          agent: this.#agents[url.protocol === 'https:' ? 'https:' : 'http:'],
        },
      );
      status = answer.status;
      if (!answer.ok) error = `The receiver answered ${answer.status}`;
    } catch (cause) {
      error =
        cause instanceof HttpCallError
          ? cause.reason === 'timeout'
            ? `No answer within ${this.options.timeoutMs} ms`
            : `${cause.networkCode ?? cause.reason}: ${cause.message}`
          : String(cause);
    }
    const durationMs = Math.round(performance.now() - started);
    return this.record(delivery, endpoint, event.type, { status, error, durationMs });
  }

  private signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
    const current = this.secrets.open<string>(endpoint.secret_ciphertext);
    if (
      endpoint.previous_secret_ciphertext &&
      endpoint.previous_secret_until &&
      endpoint.previous_secret_until > now
    ) {
      return [current, this.secrets.open<string>(endpoint.previous_secret_ciphertext)];
    }
    return [current];
  }

  private async record(
    delivery: DeliveryRow,
    endpoint: WebhookEndpoint,
    type: string,
    result: { status: number | null; error: string | null; durationMs: number },
  ): Promise<DeliveryOutcome> {
    const ok = result.error === null;
    const retries = this.options.retrySeconds;
    const retryIn = retries[delivery.attempts - 1];
    const outcome = await this.#db.transaction().execute(async (trx) => {
      const state = ok ? 'delivered' : retryIn === undefined ? 'failed' : 'pending';
      const settled = await trx
        .updateTable('webhook_deliveries')
        .set({
          state,
          lease_until: null,
          lease_owner: null,
          last_status: result.status,
          last_error: result.error?.slice(0, ERROR_CHARS) ?? null,
          updated_at: new Date(),
          ...(state === 'pending' && {
            available_at: sql<Date>`now() + make_interval(secs => ${retryIn ?? 0})`,
          }),
        })
        .where('id', '=', delivery.id)
        .where('state', '=', 'pending')
        .where('lease_owner', '=', this.owner)
        .returning('id')
        .executeTakeFirst();
      if (!settled) return 'lost' as const;
      await trx
        .insertInto('webhook_attempts')
        .values({
          endpoint_id: endpoint.id,
          event_id: delivery.event_id,
          attempt: delivery.attempts,
          status_code: result.status,
          error: result.error?.slice(0, ERROR_CHARS) ?? null,
          duration_ms: result.durationMs,
        })
        .execute();
      if (ok) {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: null, failed_events: 0, last_success_at: new Date() })
          .where('id', '=', endpoint.id)
          .execute();
        return 'delivered' as const;
      }
      // Failing since the first failure after the last success; disabled once that is too long ago.
      const failing = await trx
        .updateTable('webhook_endpoints')
        .set((eb) => ({
          failing_since: sql<Date>`coalesce(failing_since, now())`,
          ...(state === 'failed' && { failed_events: eb('failed_events', '+', 1) }),
        }))
        .where('id', '=', endpoint.id)
        .returning([
          'enabled',
          'failed_events',
          sql<boolean>`failing_since <= now() - make_interval(secs => ${this.options.disableAfterSeconds})`.as(
            'too_long',
          ),
          sql<Date>`failing_since`.as('failing_since'),
        ])
        .executeTakeFirst();
      if (failing?.enabled && failing.too_long) {
        const reason = `Every delivery attempt since ${failing.failing_since.toISOString()} failed (the last: ${result.error}); disabled after ${formatSeconds(this.options.disableAfterSeconds)} of failures. Fix the receiver, then PATCH the endpoint with {"enabled": true}: what was waiting is sent then.`;
        await trx
          .updateTable('webhook_endpoints')
          .set({ enabled: false, disabled_reason: reason, disabled_at: new Date(), updated_at: new Date() })
          .where('id', '=', endpoint.id)
          .execute();
        await recordAudit(trx as unknown as Db, null, null, 'webhook_endpoint.disabled', {
          partnerId: endpoint.partner_id,
          endpointId: endpoint.id,
          reason,
        });
        this.log.warn(
          { endpointId: endpoint.id, partnerId: endpoint.partner_id },
          'webhook endpoint disabled',
        );
      }
      return state === 'failed' ? ('failed' as const) : ('retry' as const);
    });
    if (outcome !== 'lost') this.observe?.(outcome);
    if (outcome !== 'delivered' && outcome !== 'lost') {
      this.log.info(
        {
          endpointId: endpoint.id,
          eventId: delivery.event_id,
          type,
          attempt: delivery.attempts,
          status: result.status,
        },
        outcome === 'retry' ? 'webhook delivery failed; will retry' : 'webhook delivery given up',
      );
    }
    return outcome;
  }
}

function formatSeconds(seconds: number): string {
  return seconds >= 3600 && seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`;
}
