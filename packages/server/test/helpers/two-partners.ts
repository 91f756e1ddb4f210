/**
 * Two partners, A and B, on one app (the in-memory EHR), each with a practice set up over the API
 * alone: connection, booking-side catalogue, the four mapping stages, the active list, a sync and
 * a booking. Every name B's data carries includes a marker, so an answer that leaks it is found.
 */
import { randomBytes } from 'node:crypto';
import type { WebhookTables } from '@slotbridge/core';
import type { LightMyRequestResponse } from 'fastify';
import { tomorrowSlotsForTests } from './slots.ts';
import { bearer, type TestApp, testApp } from './test-app.ts';

/** The ids of one partner's data, by the name a route's path parameter gives them. */
export interface TenantIds {
  partnerId: string;
  practiceId: string;
  practitionerId: string;
  locationId: string;
  appointmentTypeId: string;
  bookingId: string;
  /** A booking cancelled since (another state to reach). */
  cancelledBookingId: string;
  slotId: string;
  /** A slot still offered. */
  freeSlotId: string;
  apiKeyId: string;
  /** A webhook endpoint (nothing listens at its URL; no worker sends to it here). */
  endpointId: string;
  /** An event stored for that endpoint (the booking's). */
  eventId: string;
}

export interface Tenant {
  label: string;
  key: string;
  ids: TenantIds;
  /** Strings only this tenant's data contains: its names, its connection's practice code. */
  markers: string[];
}

export interface TwoPartners extends TestApp {
  a: Tenant;
  b: Tenant;
}

async function ok(res: LightMyRequestResponse, what: string): Promise<Record<string, unknown>> {
  if (res.statusCode >= 300) throw new Error(`fixture: ${what} answered ${res.statusCode}: ${res.body}`);
  return res.statusCode === 204 ? {} : res.json();
}

/** Carries out the queued write-backs now (no workers run: nothing happens behind the test's back). */
async function writeBack(setup: TestApp): Promise<void> {
  for (let commands = await setup.slotbridge.writeBack.claim(50); commands.length > 0; ) {
    for (const command of commands) await setup.slotbridge.writeBack.execute(command);
    commands = await setup.slotbridge.writeBack.claim(50);
  }
}

/**
 * A tenant: a partner (a new one, or `partner` for another practice of an existing one) with a
 * practice set up over the API, its booking, webhook endpoint and event.
 */
export async function tenant(
  setup: TestApp,
  label: string,
  partner?: { id: string; key: string },
): Promise<Tenant> {
  const { app } = setup;
  const marker = `${label}mark${randomBytes(4).toString('hex')}`;
  partner ??= await setup.partner(`Partner ${marker}`);
  const { id: partnerId, key: partnerKey } = partner;
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, headers = {}) =>
    app.inject({ method, url, headers: { ...bearer(partnerKey), ...headers }, ...(payload && { payload }) });
  const practice = await ok(
    await call('POST', '/v1/practices', {
      name: `Surgery ${marker}`,
      ehr: 'memory',
      timeZone: 'Europe/London',
    }),
    'create practice',
  );
  const p = `/v1/practices/${practice.id}`;
  await ok(
    await call('PUT', `${p}/connection`, { practiceCode: `code${marker}`, secret: 'right' }),
    'connection',
  );
  await ok(await call('POST', `${p}/discover`), 'discover');
  const practitioner = await ok(
    await call('POST', `${p}/practitioners`, { name: `Dr ${marker}` }),
    'practitioner',
  );
  const location = await ok(await call('POST', `${p}/locations`, { name: `Room ${marker}` }), 'location');
  const type = await ok(
    await call('POST', `${p}/appointment-types`, { name: `Visit ${marker}`, durationMinutes: 10 }),
    'appointment type',
  );
  await ok(
    await call('PUT', `${p}/mappings/practitioners`, {
      rows: [{ practitionerId: practitioner.id, ehrPractitionerId: 'p1' }],
    }),
    'stage 1',
  );
  await ok(
    await call('PUT', `${p}/mappings/locations`, {
      rows: [{ locationId: location.id, ehrLocationId: 'l1' }],
    }),
    'stage 2',
  );
  await ok(
    await call('PUT', `${p}/mappings/slot-types`, {
      rows: [{ ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: type.id }],
    }),
    'stage 3',
  );
  await ok(
    await call('PUT', `${p}/mappings/appointment-types`, {
      rows: [{ appointmentTypeId: type.id, ehrSlotTypeId: 'st1' }],
    }),
    'stage 4',
  );
  await ok(await call('PUT', `${p}/active-slot-types`, { ehrSlotTypeIds: ['st1'] }), 'active slot types');
  await ok(await call('POST', `${p}/sync`), 'sync');
  const endpoint = await ok(
    await call('POST', '/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hook',
      description: `Hook ${marker}`,
    }),
    'webhook endpoint',
  );
  const slots = (await ok(await call('GET', `${p}/slots`), 'slots')).data as { id: string }[];
  if (slots.length < 3) throw new Error(`fixture: ${slots.length} slots offered`);
  const book = async (slotId: string, n: number) =>
    ok(
      await call(
        'POST',
        `${p}/bookings`,
        {
          slotId,
          patient: { firstName: `Pat${marker}`, lastName: `Ient${marker}`, dateOfBirth: '1984-02-29' },
          reason: `Reason ${marker}`,
        },
        { 'idempotency-key': `fixture-${marker}-${n}` },
      ),
      'booking',
    );
  const booking = await book(slots[0]!.id, 1);
  const cancelled = await book(slots[1]!.id, 2);
  await writeBack(setup);
  await ok(await call('POST', `${p}/bookings/${cancelled.id}/cancel`), 'cancel');
  await writeBack(setup);
  const event = await setup.slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_events')
    .select('id')
    .where('partner_id', '=', partnerId)
    .where('practice_id', '=', practice.id as string)
    .orderBy('seq')
    .executeTakeFirstOrThrow();
  const key = await setup.slotbridge.db
    .selectFrom('api_keys')
    .select('id')
    .where('partner_id', '=', partnerId)
    .orderBy('created_at')
    .executeTakeFirstOrThrow();
  return {
    label,
    key: partnerKey,
    ids: {
      partnerId,
      practiceId: practice.id as string,
      practitionerId: practitioner.id as string,
      locationId: location.id as string,
      appointmentTypeId: type.id as string,
      bookingId: booking.id as string,
      cancelledBookingId: cancelled.id as string,
      slotId: slots[0]!.id,
      freeSlotId: slots[2]!.id,
      apiKeyId: key.id,
      endpointId: endpoint.id as string,
      eventId: event.id,
    },
    markers: [marker],
  };
}

export async function twoPartners(): Promise<TwoPartners> {
  const setup = await testApp();
  setup.memory.catalogue = {
    practitioners: [{ ehrId: 'p1', name: 'Dr EHR' }],
    locations: [{ ehrId: 'l1', name: 'Main site' }],
    slotTypes: [{ ehrId: 'st1', name: 'Routine', attributes: { bookable: true } }],
  };
  setup.memory.slots.push(...tomorrowSlotsForTests(12));
  const a = await tenant(setup, 'A');
  const b = await tenant(setup, 'B');
  return { ...setup, a, b };
}
