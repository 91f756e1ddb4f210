/**
 * Frozen. Signed webhooks (docs/webhooks.md):
 * - `webhook_endpoints`: a partner's receivers; the signing secret sealed like connection
 *   settings, and the previous one while its rotation grace lasts;
 * - `webhook_events`: what happened, stored in the transaction of the change that caused it, when
 *   the partner has an endpoint subscribed to its type; `seq` orders them; `ordering_key` (the
 *   booking, the practice's connection) is what must be delivered in order; `coalescing_until`:
 *   an `availability.changed` event still taking in changes of its practice;
 * - `webhook_deliveries`: the outbox, one row per event and endpoint, claimed with a lease as the
 *   write-back claims `outbox_commands`;
 * - `webhook_attempts`: the delivery log (never a payload).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id uuid primary key default gen_random_uuid(),
      partner_id uuid not null references partners(id) on delete cascade,
      url text not null,
      description text,
      event_types text[],
      enabled boolean not null default true,
      disabled_reason text,
      disabled_at timestamptz,
      secret_ciphertext text not null,
      previous_secret_ciphertext text,
      previous_secret_until timestamptz,
      failing_since timestamptz,
      failed_events integer not null default 0,
      last_success_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhook_endpoints_partner_idx on webhook_endpoints (partner_id, created_at)`.execute(
    db,
  );
  await sql`
    create table webhook_events (
      id uuid primary key default gen_random_uuid(),
      seq bigserial not null unique,
      partner_id uuid not null references partners(id) on delete cascade,
      practice_id uuid references practices(id) on delete cascade,
      type text not null,
      ordering_key text,
      data jsonb not null,
      coalescing_until timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhook_events_partner_idx on webhook_events (partner_id, created_at)`.execute(db);
  await sql`create index webhook_events_coalescing_idx on webhook_events (practice_id, type)
    where coalescing_until is not null`.execute(db);
  await sql`
    create table webhook_deliveries (
      id bigserial primary key,
      event_id uuid not null references webhook_events(id) on delete cascade,
      endpoint_id uuid not null references webhook_endpoints(id) on delete cascade,
      seq bigint not null,
      ordering_key text,
      state text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      first_attempt_at timestamptz,
      available_at timestamptz not null default now(),
      lease_until timestamptz,
      lease_owner text,
      last_status integer,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (event_id, endpoint_id)
    )`.execute(db);
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (available_at)
    where state = 'pending'`.execute(db);
  await sql`create index webhook_deliveries_order_idx on webhook_deliveries (endpoint_id, ordering_key, seq)
    where state = 'pending'`.execute(db);
  await sql`
    create table webhook_attempts (
      id bigserial primary key,
      endpoint_id uuid not null references webhook_endpoints(id) on delete cascade,
      event_id uuid not null references webhook_events(id) on delete cascade,
      attempt integer not null,
      status_code integer,
      error text,
      duration_ms integer not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhook_attempts_endpoint_idx on webhook_attempts (endpoint_id, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table webhook_attempts, webhook_deliveries, webhook_events, webhook_endpoints`.execute(db);
}
