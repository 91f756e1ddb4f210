/** Table types of the webhook tables (migrations/0007-webhooks.ts), for `db.withTables`. */
import type { ColumnType, Generated, JSONColumnType, Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.ts';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface WebhookEndpointsTable {
  id: Generated<string>;
  partner_id: string;
  url: string;
  description: string | null;
  /** null: every event type. */
  event_types: string[] | null;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  disabled_reason: string | null;
  disabled_at: NullableTimestamp;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_until: NullableTimestamp;
  /** The first failed attempt since the last delivered one; null while deliveries succeed. */
  failing_since: NullableTimestamp;
  /** Events given up in a row (every retry failed). */
  failed_events: ColumnType<number, number | undefined, number>;
  last_success_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebhookEventsTable {
  id: Generated<string>;
  seq: Generated<number>;
  partner_id: string;
  practice_id: string | null;
  type: string;
  ordering_key: string | null;
  data: JSONColumnType<Record<string, unknown>, string, string>;
  coalescing_until: NullableTimestamp;
  created_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_id: string;
  endpoint_id: string;
  seq: number;
  ordering_key: string | null;
  state: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined>;
  attempts: ColumnType<number, number | undefined, number>;
  first_attempt_at: NullableTimestamp;
  available_at: Timestamp;
  lease_until: NullableTimestamp;
  lease_owner: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  endpoint_id: string;
  event_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: CreatedAt;
}

export type WebhookTables = {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
};

export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;

/** The database (or a transaction of it) with the webhook tables typed. */
export function withWebhooks<K extends Kysely<Database>>(db: K) {
  return db.withTables<WebhookTables>();
}
