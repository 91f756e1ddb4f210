/**
 * A partner's webhook endpoints: where its events are sent, signed with the endpoint's secret
 * (Standard Webhooks: `whsec_` and base64, shown once at creation and at rotation, stored sealed
 * like connection settings). A partner key reaches only its own endpoints; the admin key reaches
 * any, and names the partner (`partnerId`) to create one.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { sql } from 'kysely';
import { type Static, Type } from 'typebox';
import type { Caller } from '../caller.ts';
import { Channel } from '../coordination.ts';
import type { Db } from '../db/database.ts';
import { CoreErrorCode, ErrorCode, InputError, NotFoundError, UnprocessableError } from '../errors.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from '../pages.ts';
import type { SecretBox } from '../secret-box.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.ts';
import { isLoopbackHost, refusedAddress, type WebhookNetworks } from './networks.ts';
import { type WebhookEndpoint, withWebhooks } from './tables.ts';

export const WebhookErrorCode = {
  ENDPOINT_NOT_FOUND: ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
  EVENT_NOT_FOUND: ErrorCode.WEBHOOK_EVENT_NOT_FOUND,
  URL_INVALID: ErrorCode.WEBHOOK_URL_INVALID,
} as const;

/** The old secret keeps signing alongside the new one this long after a rotation. */
export const ROTATION_GRACE_SECONDS = 24 * 3600;

/** An event type, as the API reads and answers it (docs/webhooks.md lists each). */
export const WebhookEventTypeSchema = Type.Unsafe<WebhookEventType>(
  Type.String({
    enum: [...WEBHOOK_EVENT_TYPES],
    description: 'An event type (docs/webhooks.md lists each and its payload)',
  }),
);

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

/** An endpoint as the API answers it (endpointView), never its secret. */
export const WebhookEndpointViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    partnerId: Type.String({ format: 'uuid' }),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    eventTypes: Type.Union([Type.Array(WebhookEventTypeSchema), Type.Null()], {
      description: 'null: every event type',
    }),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it is disabled: by the partner, or by slotbridge after 24 h of failed deliveries',
    }),
    disabledAt: NullableDateTime,
    previousSecretValidUntil: Type.Union([DateTime, Type.Null()], {
      description: 'After a rotation: the previous secret signs too (a second signature) until then',
    }),
    failingSince: Type.Union([DateTime, Type.Null()], {
      description: 'The first failed attempt since the last delivered event; null while deliveries succeed',
    }),
    lastSuccessAt: NullableDateTime,
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'WebhookEndpoint', description: 'A webhook endpoint (never its secret)' },
);
export type WebhookEndpointView = Static<typeof WebhookEndpointViewSchema>;

export interface WebhookSecretAnswer {
  endpoint: WebhookEndpointView;
  /** The signing secret (`whsec_…`): shown this once. */
  secret: string;
}

/** One delivery attempt to an endpoint as the API answers it. */
export const WebhookAttemptViewSchema = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.String(),
    attempt: Type.Integer({ description: '1 for the first attempt of the event to this endpoint' }),
    statusCode: Type.Union([Type.Integer(), Type.Null()], {
      description: "The receiver's HTTP status; null when none came (error says why)",
    }),
    error: Type.Union([Type.String(), Type.Null()]),
    durationMs: Type.Integer(),
    at: DateTime,
  },
  { $id: 'WebhookDeliveryAttempt' },
);
export type WebhookAttemptView = Static<typeof WebhookAttemptViewSchema>;

export interface CreateWebhookEndpointInput {
  url: string;
  eventTypes?: WebhookEventType[] | null;
  description?: string | null;
  /** The admin key names the partner; a partner key may name only itself. */
  partnerId?: string;
}

export interface UpdateWebhookEndpointInput {
  url?: string;
  eventTypes?: WebhookEventType[] | null;
  description?: string | null;
  enabled?: boolean;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * A URL we send to: https, or http to this machine only (127.0.0.1, localhost, ::1: a local
 * receiver); no credentials in it; and an address written in it allowed by the networks rule
 * (networks.ts; a host name's addresses are checked again at each connection).
 */
export function assertWebhookUrl(text: string, networks: WebhookNetworks): void {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  const host = url?.hostname.replace(/^\[|\]$/g, '') ?? '';
  const loopback = isLoopbackHost(host);
  if (
    !url ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) ||
    url.username ||
    url.password
  ) {
    throw new UnprocessableError(WebhookErrorCode.URL_INVALID, `Not a webhook URL we send to: ${text}`, {
      fix: 'Give an absolute https:// URL without credentials in it (http:// only to 127.0.0.1 or localhost, for testing).',
    });
  }
  const refused =
    isIP(host) !== 0
      ? refusedAddress(host, networks)
      : loopback && networks === 'public'
        ? `${host} is this machine (loopback)`
        : null;
  if (refused) {
    throw new UnprocessableError(WebhookErrorCode.URL_INVALID, `Not a webhook URL we send to: ${refused}`, {
      fix: `Give the receiver's public address. This server sends webhooks to ${networks === 'public' ? 'public addresses only' : 'public addresses and this machine only'}; its operator can allow more with SLOTBRIDGE_WEBHOOK_NETWORKS.`,
    });
  }
}

export function endpointView(row: WebhookEndpoint, now = new Date()): WebhookEndpointView {
  return {
    id: row.id,
    partnerId: row.partner_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types as WebhookEventType[] | null,
    enabled: row.enabled,
    disabledReason: row.enabled ? null : row.disabled_reason,
    disabledAt: row.enabled ? null : (row.disabled_at?.toISOString() ?? null),
    previousSecretValidUntil:
      row.previous_secret_until && row.previous_secret_until > now
        ? row.previous_secret_until.toISOString()
        : null,
    failingSince: row.failing_since?.toISOString() ?? null,
    lastSuccessAt: row.last_success_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(
    WebhookErrorCode.ENDPOINT_NOT_FOUND,
    `No webhook endpoint ${id} for this API key`,
    {
      fix: 'Check the id; GET /v1/webhook-endpoints lists the endpoints this key can reach.',
    },
  );
}

export class WebhookEndpoints {
  readonly #db;

  constructor(
    db: Db,
    private readonly secrets: SecretBox,
    /** Which receiver addresses are allowed (networks.ts). */
    private readonly networks: WebhookNetworks = 'loopback',
  ) {
    this.#db = withWebhooks(db);
  }

  /** The partner a call acts for: a partner key's own; the admin key's `partnerId`, if given. */
  private scope(caller: Caller, partnerId: string | undefined): string | null {
    if (caller.partnerId !== null) {
      if (partnerId !== undefined && partnerId !== caller.partnerId) {
        throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId} for this API key`, {
          fix: 'Leave partnerId out: a partner key acts for its own partner.',
        });
      }
      return caller.partnerId;
    }
    return partnerId ?? null;
  }

  private async row(caller: Caller, id: string, partnerId?: string): Promise<WebhookEndpoint> {
    const scope = this.scope(caller, partnerId);
    let query = this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
    if (scope !== null) query = query.where('partner_id', '=', scope);
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  }

  async create(caller: Caller, input: CreateWebhookEndpointInput): Promise<WebhookSecretAnswer> {
    const partnerId = this.scope(caller, input.partnerId);
    if (partnerId === null) {
      throw new InputError(
        CoreErrorCode.PARTNER_REQUIRED,
        'The admin key must say which partner the endpoint is for',
        {
          fix: 'Add ?partnerId=… (GET /v1/partners lists them).',
        },
      );
    }
    assertWebhookUrl(input.url, this.networks);
    const partner = await this.#db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (!partner) {
      throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId}`, {
        fix: 'Check the id (GET /v1/partners).',
      });
    }
    const secret = newWebhookSecret();
    const row = await this.#db
      .insertInto('webhook_endpoints')
      .values({
        partner_id: partnerId,
        url: input.url,
        description: input.description ?? null,
        event_types: uniqueTypes(input.eventTypes),
        secret_ciphertext: this.secrets.seal(secret),
        previous_secret_ciphertext: null,
        disabled_reason: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { endpoint: endpointView(row), secret };
  }

  async list(caller: Caller, partnerId?: string): Promise<WebhookEndpointView[]> {
    const scope = this.scope(caller, partnerId);
    let query = this.#db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id');
    if (scope !== null) query = query.where('partner_id', '=', scope);
    return (await query.execute()).map((row) => endpointView(row));
  }

  /** The endpoints, oldest first, in keyset pages (GET /v1/webhook-endpoints). */
  async listPage(
    caller: Caller,
    partnerId: string | undefined,
    page: PageRequest,
  ): Promise<Page<WebhookEndpointView>> {
    const scope = this.scope(caller, partnerId);
    const order: readonly CursorPart[] = ['instant', 'uuid'];
    const after = page.cursor === undefined ? null : decodeCursor('webhook-endpoints', page.cursor, order);
    let query = this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .select(exactInstant('created_at').as('cursor_created'));
    if (scope !== null) query = query.where('partner_id', '=', scope);
    if (after) query = query.where(afterKey(['created_at', 'id'], order, after));
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, 'webhook-endpoints', (r) => [r.cursor_created, r.id]);
    return { items: items.map(({ cursor_created: _, ...row }) => endpointView(row)), next };
  }

  async get(caller: Caller, id: string, partnerId?: string): Promise<WebhookEndpointView> {
    return endpointView(await this.row(caller, id, partnerId));
  }

  async update(
    caller: Caller,
    id: string,
    input: UpdateWebhookEndpointInput,
    partnerId?: string,
  ): Promise<WebhookEndpointView> {
    const row = await this.row(caller, id, partnerId);
    if (input.url !== undefined) assertWebhookUrl(input.url, this.networks);
    const enabling = input.enabled === true && !row.enabled;
    const updated = await this.#db.transaction().execute(async (trx) => {
      const next = await trx
        .updateTable('webhook_endpoints')
        .set({
          ...(input.url !== undefined && { url: input.url }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.eventTypes !== undefined && { event_types: uniqueTypes(input.eventTypes) }),
          ...(input.enabled !== undefined && { enabled: input.enabled }),
          ...(input.enabled === false &&
            row.enabled && { disabled_reason: 'Disabled by the partner', disabled_at: new Date() }),
          // Enabled again: a fresh start for the disabling rule; what was waiting is sent now.
          ...(enabling && {
            disabled_reason: null,
            disabled_at: null,
            failing_since: null,
            failed_events: 0,
          }),
          updated_at: new Date(),
        })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (enabling) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ available_at: new Date(), updated_at: new Date() })
          .where('endpoint_id', '=', row.id)
          .where('state', '=', 'pending')
          .execute();
        await sql`select pg_notify(${Channel.webhooks}, '')`.execute(trx);
      }
      return next;
    });
    return endpointView(updated);
  }

  async delete(caller: Caller, id: string, partnerId?: string): Promise<void> {
    const row = await this.row(caller, id, partnerId);
    await this.#db.deleteFrom('webhook_endpoints').where('id', '=', row.id).execute();
  }

  /**
   * A new signing secret, shown once; the old one goes on signing alongside it (a second
   * signature in `webhook-signature`) for ROTATION_GRACE_SECONDS, so a receiver can switch at
   * its own pace. Rotating again within the grace drops the oldest.
   */
  async rotate(caller: Caller, id: string, partnerId?: string): Promise<WebhookSecretAnswer> {
    const row = await this.row(caller, id, partnerId);
    const secret = newWebhookSecret();
    const updated = await this.#db
      .updateTable('webhook_endpoints')
      .set({
        secret_ciphertext: this.secrets.seal(secret),
        previous_secret_ciphertext: row.secret_ciphertext,
        previous_secret_until: sql<Date>`now() + make_interval(secs => ${ROTATION_GRACE_SECONDS})`,
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { endpoint: endpointView(updated), secret };
  }

  /** The endpoint's delivery attempts, newest first (`before`: the last attempt's time of the previous page). */
  async attempts(
    caller: Caller,
    id: string,
    options: { limit: number; partnerId?: string },
  ): Promise<WebhookAttemptView[]> {
    return (await this.attemptsPage(caller, id, options)).items;
  }

  /** The delivery log of an endpoint, newest first, in keyset pages (by the attempt's id). */
  async attemptsPage(
    caller: Caller,
    id: string,
    options: PageRequest & { partnerId?: string },
  ): Promise<Page<WebhookAttemptView>> {
    const row = await this.row(caller, id, options.partnerId);
    const order: readonly CursorPart[] = ['integer'];
    const after =
      options.cursor === undefined ? null : decodeCursor('webhook-deliveries', options.cursor, order);
    let query = this.#db
      .selectFrom('webhook_attempts as a')
      .innerJoin('webhook_events as e', 'e.id', 'a.event_id')
      .select([
        'a.id',
        'a.event_id',
        'e.type',
        'a.attempt',
        'a.status_code',
        'a.error',
        'a.duration_ms',
        'a.created_at',
      ])
      .where('a.endpoint_id', '=', row.id);
    if (after) query = query.where(afterKey(['a.id'], order, after, 'desc'));
    const rows = await query
      .orderBy('a.id', 'desc')
      .limit(options.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, options.limit, 'webhook-deliveries', (r) => [String(r.id)]);
    return {
      items: items.map((r) => ({
        eventId: r.event_id,
        type: r.type,
        attempt: r.attempt,
        statusCode: r.status_code,
        error: r.error,
        durationMs: r.duration_ms,
        at: r.created_at.toISOString(),
      })),
      next,
    };
  }

  /** Sends one event to the endpoint again (a new delivery with the same `webhook-id`). */
  async replayEvent(caller: Caller, id: string, eventId: string, partnerId?: string): Promise<number> {
    const row = await this.row(caller, id, partnerId);
    const n = await this.requeue(row, sql`e.id = ${eventId}`);
    if (n === 0) {
      throw new NotFoundError(WebhookErrorCode.EVENT_NOT_FOUND, `No event ${eventId} for this endpoint`, {
        fix: 'Pick an eventId from GET /v1/webhook-endpoints/{endpointId}/deliveries.',
      });
    }
    return n;
  }

  /** Sends again every stored event of the partner since `since` that the endpoint subscribes to, in order. */
  async replaySince(caller: Caller, id: string, since: Date, partnerId?: string): Promise<number> {
    const row = await this.row(caller, id, partnerId);
    return this.requeue(row, sql`e.created_at >= ${since}`);
  }

  private async requeue(row: WebhookEndpoint, which: ReturnType<typeof sql>): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: number }>`
        insert into webhook_deliveries (event_id, endpoint_id, seq, ordering_key, available_at)
        select e.id, ${row.id}, e.seq, e.ordering_key, now()
          from webhook_events e
         where e.partner_id = ${row.partner_id} and ${which}
           and (${row.event_types}::text[] is null or e.type = any(${row.event_types}::text[]))
        on conflict (event_id, endpoint_id) do update
          set state = 'pending', attempts = 0, first_attempt_at = null, available_at = now(),
              lease_until = null, lease_owner = null, updated_at = now()
        returning id`.execute(trx);
      await sql`select pg_notify(${Channel.webhooks}, '')`.execute(trx);
      return rows.length;
    });
  }
}

function uniqueTypes(types: WebhookEventType[] | null | undefined): string[] | null {
  return types && types.length > 0 ? [...new Set(types)] : null;
}
