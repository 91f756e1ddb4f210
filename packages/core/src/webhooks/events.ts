/**
 * Webhook events, each stored in the transaction of the change that causes it (the outbox
 * pattern, as the write-back's commands): a change that rolls back sends nothing, and one that
 * commits is delivered at least once.
 *
 * An event is stored only when its partner has an endpoint (enabled or not) subscribed to its
 * type, so a fleet with no webhooks writes nothing more; a delivery row is queued in the same
 * statement for each enabled, subscribed endpoint. A disabled endpoint catches up with
 * `POST …/{endpointId}/replay?since=` once enabled again.
 *
 * The payload carries no patient data: the booking as the API answers it (no patient details),
 * the practice id and the partner id.
 */
import { type Kysely, sql } from 'kysely';
import type { BookingView } from '../booking/bookings.ts';
import { bookingView } from '../booking/bookings.ts';
import { Channel } from '../coordination.ts';
import type { Booking, Database, Practice } from '../db/schema.ts';

export const WEBHOOK_EVENT_TYPES = [
  'booking.confirmed',
  'booking.failed',
  'booking.needs_reconciliation',
  'booking.cancelled',
  'booking.cancelled_in_ehr',
  'booking.rescheduled',
  'connection.health_changed',
  'availability.changed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type BookingEventType = Extract<WebhookEventType, `booking.${string}`>;

/** How long an `availability.changed` event takes in further changes of its practice before it is sent. */
export const AVAILABILITY_COALESCE_SECONDS = 5;

type PracticeRef = Pick<Practice, 'id' | 'partner_id' | 'time_zone'>;

interface NewEvent {
  partnerId: string;
  practiceId: string;
  type: WebhookEventType;
  /** Events with the same key are delivered in the order they were stored. */
  orderingKey: string | null;
  data: Record<string, unknown>;
  /** Deliveries wait this long (an availability event gathering changes). */
  delaySeconds?: number;
}

/** Stores the event and queues its deliveries, in `trx`; nothing when no endpoint of the partner is subscribed. */
export async function recordWebhookEvent(trx: Kysely<Database>, event: NewEvent): Promise<void> {
  const delay = event.delaySeconds ?? 0;
  const subscribed = (alias: string) =>
    sql`${sql.ref(`${alias}.partner_id`)} = ${event.partnerId} and (${sql.ref(`${alias}.event_types`)} is null or ${event.type} = any(${sql.ref(`${alias}.event_types`)}))`;
  await sql`
    with ev as (
      insert into webhook_events (partner_id, practice_id, type, ordering_key, data, coalescing_until)
      select ${event.partnerId}, ${event.practiceId}, ${event.type}, ${event.orderingKey},
             ${JSON.stringify(event.data)}::jsonb,
             ${delay > 0 ? sql`now() + make_interval(secs => ${delay})` : sql`null`}
       where exists (select 1 from webhook_endpoints ep where ${subscribed('ep')})
      returning id, seq
    ), queued as (
      insert into webhook_deliveries (event_id, endpoint_id, seq, ordering_key, available_at)
      select ev.id, ep.id, ev.seq, ${event.orderingKey}, now() + make_interval(secs => ${delay})
        from ev join webhook_endpoints ep on ${subscribed('ep')} and ep.enabled
      returning 1
    )
    select pg_notify(${Channel.webhooks}, ''), (select count(*) from queued) as n from ev`.execute(trx);
}

/** A booking's change of state, with the booking as the API answers it (after the change). */
export async function recordBookingEvent(
  trx: Kysely<Database>,
  type: BookingEventType,
  booking: Booking,
  practice: PracticeRef,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const view: BookingView = bookingView(booking, practice.time_zone);
  await recordWebhookEvent(trx, {
    partnerId: practice.partner_id,
    practiceId: practice.id,
    type,
    orderingKey: `booking:${booking.id}`,
    data: { partnerId: practice.partner_id, practiceId: practice.id, booking: view, ...extra },
  });
}

/** The booking event a write of the booking's state tells, if any. */
export function bookingEventOf(state: Booking['state']): BookingEventType | null {
  switch (state) {
    case 'confirmed':
      return 'booking.confirmed';
    case 'failed':
      return 'booking.failed';
    case 'needs_reconciliation':
      return 'booking.needs_reconciliation';
    case 'cancelled':
      return 'booking.cancelled';
    case 'cancelled_in_ehr':
      return 'booking.cancelled_in_ehr';
    default:
      return null;
  }
}

/**
 * The practice's offered slots changed between `from` and `to`. Coalesced: while an event of the
 * practice is still gathering (AVAILABILITY_COALESCE_SECONDS after the first change, and not yet
 * claimed by a delivery worker), its window is widened to take this one in; otherwise a new
 * event starts gathering. The claim closes the event (write-back of `coalescing_until`), and both
 * statements update the event's row, so a change is either merged before the event is sent or
 * starts the next one — never lost.
 */
export async function recordAvailabilityChanged(
  trx: Kysely<Database>,
  practice: Pick<Practice, 'id' | 'partner_id'>,
  from: Date,
  to: Date,
): Promise<void> {
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const merged = await sql<{ id: string }>`
    update webhook_events
       set data = data || jsonb_build_object('from', least(data->>'from', ${fromIso}::text),
                                             'to', greatest(data->>'to', ${toIso}::text))
     where practice_id = ${practice.id} and type = 'availability.changed'
       and coalescing_until is not null
    returning id`.execute(trx);
  if (merged.rows.length > 0) return;
  await recordWebhookEvent(trx, {
    partnerId: practice.partner_id,
    practiceId: practice.id,
    type: 'availability.changed',
    orderingKey: null,
    data: { partnerId: practice.partner_id, practiceId: practice.id, from: fromIso, to: toIso },
    delaySeconds: AVAILABILITY_COALESCE_SECONDS,
  });
}

/** The connection's health changed (healthy, degraded, failing). */
export async function recordHealthChanged(
  trx: Kysely<Database>,
  practice: Pick<Practice, 'id' | 'partner_id'>,
  change: { status: string; previousStatus: string; lastSyncFix: string | null },
): Promise<void> {
  await recordWebhookEvent(trx, {
    partnerId: practice.partner_id,
    practiceId: practice.id,
    type: 'connection.health_changed',
    orderingKey: `connection:${practice.id}`,
    data: { partnerId: practice.partner_id, practiceId: practice.id, connection: change },
  });
}
