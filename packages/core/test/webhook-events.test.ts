/**
 * Webhook events are stored in the transaction of the change that causes it, only for a partner
 * with a subscribed endpoint, and queued only for enabled ones; availability changes are
 * coalesced per practice until a worker claims the event; connection health changes are told;
 * the claim holds back a booking's later event while an earlier one is pending.
 */
import t from 'tap';
import { insertCatalogue } from '../src/testing/index.ts';
import { WEBHOOK_RETENTION_DAYS } from '../src/webhooks/delivery.ts';
import { type WebhookTables, withWebhooks } from '../src/webhooks/tables.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

type Setup = Awaited<ReturnType<typeof memoryPractice>>;

async function readNear(setup: Setup) {
  const from = new Date();
  return setup.slotbridge.sync.read(
    setup.practice,
    'near',
    { from, to: new Date(from.getTime() + 48 * 3_600_000) },
    { record: 'when-changed' },
  );
}

const events = (setup: Setup) =>
  setup.slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_events')
    .selectAll()
    .orderBy('seq')
    .execute();

const deliveries = (setup: Setup, endpointId: string) =>
  setup.slotbridge.db
    .withTables<WebhookTables>()
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .orderBy('seq')
    .execute();

/** Makes every pending delivery due now (the coalescing delay, a retry's back-off). */
async function dueNow(setup: Setup) {
  await withWebhooks(setup.slotbridge.db)
    .updateTable('webhook_deliveries')
    .set({ available_at: new Date(Date.now() - 1000) })
    .where('state', '=', 'pending')
    .execute();
}

t.test('availability: stored only when subscribed, coalesced per practice until claimed', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, caller } = setup;
  const slots = tomorrowSlots(4);
  memory.slots.push(slots[0]!);
  await readNear(setup);
  t.equal((await events(setup)).length, 0, 'no endpoint: nothing stored');

  const { endpoint } = await slotbridge.webhooks.create(caller, {
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['availability.changed'],
  });
  const { endpoint: off } = await slotbridge.webhooks.create(caller, { url: 'https://example.com/hook' });
  await slotbridge.webhooks.update(caller, off.id, { enabled: false });

  memory.slots.push(slots[2]!);
  await readNear(setup);
  memory.slots.push(slots[1]!, slots[3]!);
  await readNear(setup);
  let stored = await events(setup);
  t.equal(stored.length, 1, 'two reads with changes: one event, still gathering');
  t.equal(stored[0]!.type, 'availability.changed');
  t.same(
    stored[0]!.data,
    {
      partnerId: setup.practice.partner_id,
      practiceId: setup.practice.id,
      from: slots[1]!.startAt.toISOString(),
      to: slots[3]!.endAt.toISOString(),
    },
    'its window takes in both reads',
  );
  t.equal((await deliveries(setup, endpoint.id)).length, 1, 'queued for the enabled endpoint');
  t.equal((await deliveries(setup, off.id)).length, 0, 'not for the disabled one');
  t.ok((await deliveries(setup, endpoint.id))[0]!.available_at > new Date(), 'it waits while gathering');

  await dueNow(setup);
  const claimed = await slotbridge.webhookDelivery.claim(10);
  t.equal(claimed.length, 1);
  stored = await events(setup);
  t.equal(stored[0]!.coalescing_until, null, 'the claim closes it');

  memory.slots.splice(memory.slots.indexOf(slots[0]!), 1);
  await readNear(setup);
  stored = await events(setup);
  t.equal(stored.length, 2, 'a change after the claim starts the next event');
  t.same(stored[0]!.data.to, slots[3]!.endAt.toISOString(), 'the claimed one is left as sent');
  t.equal(stored[1]!.data.from, slots[0]!.startAt.toISOString());

  // Replay since: the disabled endpoint, enabled again, catches up on the stored events it subscribes to.
  await slotbridge.webhooks.update(caller, off.id, { enabled: true });
  const queued = await slotbridge.webhooks.replaySince(caller, off.id, new Date(Date.now() - 60_000));
  t.equal(queued, 2, 'replay since queues every stored event for it');
});

t.test('connection health changes are told, in the read that changes them', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, caller } = setup;
  memory.slots.push(...tomorrowSlots(2));
  await slotbridge.webhooks.create(caller, {
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['connection.health_changed'],
  });
  await readNear(setup);
  memory.failNext('fetch', 'transient', 1);
  await readNear(setup);
  await readNear(setup);
  await readNear(setup);
  const stored = await events(setup);
  t.equal(stored.length, 2, 'a good read of a healthy connection tells nothing');
  t.match(stored[0], {
    type: 'connection.health_changed',
    data: { connection: { status: 'degraded', previousStatus: 'healthy', lastSyncFix: /failed on purpose/ } },
  });
  t.match(stored[1], {
    type: 'connection.health_changed',
    data: { connection: { status: 'healthy', previousStatus: 'degraded', lastSyncFix: null } },
  });
  t.equal(stored[0]!.ordering_key, `connection:${setup.practice.id}`);
});

t.test('connection health changed by saving the connection is told too', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, caller, practice } = setup;
  await slotbridge.webhooks.create(caller, {
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['connection.health_changed'],
  });
  await slotbridge.connections.put(
    caller,
    practice,
    { practiceCode: 'T1', secret: 'wrong' },
    { force: true },
  );
  await slotbridge.connections.put(
    caller,
    practice,
    { practiceCode: 'T1', secret: 'wrong' },
    { force: true },
  );
  await slotbridge.connections.put(caller, practice, { practiceCode: 'T1', secret: 'right' });
  const stored = await events(setup);
  t.equal(stored.length, 2, 'saved failing, then healthy again; the same status twice tells nothing');
  t.match(stored[0], {
    type: 'connection.health_changed',
    data: {
      connection: { status: 'failing', previousStatus: 'healthy', lastSyncFix: 'Type the secret again' },
    },
  });
  t.match(stored[1], {
    data: { connection: { status: 'healthy', previousStatus: 'failing', lastSyncFix: null } },
  });
});

t.test('bookings: told with the booking view, no patient data, in order per booking', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, caller, practice } = setup;
  memory.slots.push(...tomorrowSlots(3));
  await slotbridge.sync.run(practice, 'manual');
  const { endpoint } = await slotbridge.webhooks.create(caller, {
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['booking.confirmed', 'booking.cancelled', 'booking.failed'],
  });
  const offered = await slotbridge.db
    .selectFrom('slots')
    .select('id')
    .where('practice_id', '=', practice.id)
    .orderBy('start_at')
    .execute();
  const writeBack = async () => {
    for (const command of await slotbridge.writeBack.claim(10)) await slotbridge.writeBack.execute(command);
  };
  const patient = { firstName: 'Winifred', lastName: 'Applethwaite', dateOfBirth: '1950-01-01' };
  const { booking } = await slotbridge.bookings.create(caller, practice, 'events-key-1', {
    slotId: offered[0]!.id,
    patient,
    reason: 'Chest pain',
  });
  await writeBack();
  await slotbridge.bookings.cancel(caller, practice, booking.id, 'no longer needed');
  await writeBack();
  memory.failNext('write', 'slot_taken', 1);
  const { booking: refused } = await slotbridge.bookings.create(caller, practice, 'events-key-2', {
    slotId: offered[1]!.id,
    patient,
  });
  await writeBack();

  const stored = (await events(setup)).filter((e) => e.type.startsWith('booking.'));
  t.same(
    stored.map((e) => [
      e.type,
      (e.data.booking as { id: string; state: string }).id,
      (e.data.booking as { state: string }).state,
    ]),
    [
      ['booking.confirmed', booking.id, 'confirmed'],
      ['booking.cancelled', booking.id, 'cancelled'],
      ['booking.failed', refused.id, 'failed'],
    ],
  );
  t.notOk(
    /Winifred|Applethwaite|1950-01-01|Chest pain|no longer needed/.test(JSON.stringify(stored)),
    'no patient data in any event',
  );
  t.equal((stored[0]!.data.booking as { version: number }).version, 2, 'the booking as the API answers it');

  // The claim: the cancellation waits while the confirmation of the same booking is pending.
  const queued = await deliveries(setup, endpoint.id);
  t.equal(queued.length, 3);
  const first = await slotbridge.webhookDelivery.claim(10);
  t.same(
    first.map((d) => d.event_id).sort(),
    [stored[0]!.id, stored[2]!.id].sort(),
    'the first event of each booking is claimed; the later one of the first booking waits',
  );
  for (const delivery of first) {
    t.equal(await slotbridge.webhookDelivery.execute(delivery), 'retry', 'nothing listens: retried later');
  }
  const scraped = await slotbridge.metrics.registry.metrics();
  t.match(scraped, /^slotbridge_webhook_deliveries_total\{outcome="retry"\} 2$/m, 'the attempts are counted');
  t.match(scraped, /^slotbridge_webhook_pending 3$/m, 'and the deliveries waiting');
  await dueNow(setup);
  const again = await slotbridge.webhookDelivery.claim(10);
  t.notOk(
    again.some((d) => d.event_id === stored[1]!.id),
    'still held back while the earlier one is pending',
  );
  for (const delivery of again) await slotbridge.webhookDelivery.execute(delivery);
  // The confirmation given up: the cancellation goes.
  await withWebhooks(slotbridge.db)
    .updateTable('webhook_deliveries')
    .set({ state: 'failed' })
    .where('event_id', '=', stored[0]!.id)
    .execute();
  await dueNow(setup);
  const next = await slotbridge.webhookDelivery.claim(10);
  t.ok(
    next.some((d) => d.event_id === stored[1]!.id),
    'once the earlier one is given up, the later one is claimed',
  );
  const log = await slotbridge.webhooks.attempts(caller, endpoint.id, { limit: 50 });
  t.ok(log.length >= 4, 'every attempt is in the log');
  t.ok(
    log.every((a) => a.statusCode === null && /ECONNREFUSED/.test(a.error ?? '')),
    'each with its error',
  );
});

t.test('events and log entries older than the retention are pruned, unless still pending', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, caller, practice } = setup;
  const { endpoint } = await slotbridge.webhooks.create(caller, { url: 'http://127.0.0.1:9/hook' });
  const db = withWebhooks(slotbridge.db);
  const old = new Date(Date.now() - (WEBHOOK_RETENTION_DAYS + 1) * 86_400_000);
  const insert = async (createdAt: Date, state: 'pending' | 'delivered') => {
    const event = await db
      .insertInto('webhook_events')
      .values({
        partner_id: practice.partner_id,
        practice_id: practice.id,
        type: 'booking.confirmed',
        ordering_key: null,
        data: '{}',
        created_at: createdAt,
      } as never)
      .returning(['id', 'seq'])
      .executeTakeFirstOrThrow();
    await db
      .insertInto('webhook_deliveries')
      .values({ event_id: event.id, endpoint_id: endpoint.id, seq: event.seq, ordering_key: null, state })
      .execute();
    await db
      .insertInto('webhook_attempts')
      .values({
        endpoint_id: endpoint.id,
        event_id: event.id,
        attempt: 1,
        status_code: 500,
        error: 'x',
        duration_ms: 1,
        created_at: createdAt,
      } as never)
      .execute();
    return event.id;
  };
  const oldDone = await insert(old, 'delivered');
  const oldPending = await insert(old, 'pending');
  const recent = await insert(new Date(), 'delivered');
  t.same(await slotbridge.webhookDelivery.prune(), { events: 1, attempts: 2 });
  const left = (await db.selectFrom('webhook_events').select('id').execute()).map((e) => e.id).sort();
  t.same(
    left,
    [oldPending, recent].sort(),
    'the old delivered event is gone; a pending one and a recent one stay',
  );
  t.notOk(left.includes(oldDone));
});

t.test('bookings: held, resolved, moved, cancelled in the EHR — each told where it happens', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, memory, caller, practice } = setup;
  memory.unmatchedLastNames.add('Nobody');
  memory.slots.push(...tomorrowSlots(5));
  await insertCatalogue(slotbridge.db, practice.id, [
    { kind: 'slot_type', ehrId: 'st9', name: 'Unregistered patient' },
  ]);
  await slotbridge.mappings.putSlotTypeFeatures(caller, practice, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: setup.appointmentTypeId },
    { ehrSlotTypeId: 'st9', feature: 'unregistered_patient', appointmentTypeId: null },
  ]);
  await slotbridge.sync.run(practice, 'manual');
  await slotbridge.webhooks.create(caller, { url: 'http://127.0.0.1:9/hook' });
  const [s1, s2, s3, s4] = await slotbridge.availability.offered(slotbridge.db, practice);
  const writeBack = async () => {
    for (let commands = await slotbridge.writeBack.claim(10); commands.length > 0; ) {
      for (const command of commands) await slotbridge.writeBack.execute(command);
      commands = await slotbridge.writeBack.claim(10);
    }
  };
  const patient = { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1980-12-10' };

  const held = await slotbridge.bookings.create(caller, practice, 'k-held', {
    slotId: s1!.id,
    patient: { ...patient, lastName: 'Nobody' },
  });
  await writeBack();
  await slotbridge.bookings.resolveReconciliation(caller, practice, held.booking.id);
  const moved = await slotbridge.bookings.create(caller, practice, 'k-moved', { slotId: s2!.id, patient });
  await writeBack();
  const moving = await slotbridge.bookings.reschedule(caller, practice, moved.booking.id, 'k-move', {
    slotId: s3!.id,
  });
  await writeBack();
  const gone = await slotbridge.bookings.create(caller, practice, 'k-gone', { slotId: s4!.id, patient });
  await writeBack();
  memory.booked.delete(s4!.ehrSlotId);
  await slotbridge.sync.run(practice, 'manual');

  const told = (await events(setup))
    .filter((e) => e.type.startsWith('booking.'))
    .map((e) => [e.type, (e.data.booking as { id: string }).id, e.data.previousBookingId ?? null]);
  t.same(told, [
    ['booking.needs_reconciliation', held.booking.id, null],
    ['booking.confirmed', held.booking.id, null],
    ['booking.confirmed', moved.booking.id, null],
    ['booking.rescheduled', moving.booking.id, moved.booking.id],
    ['booking.cancelled', moved.booking.id, null],
    ['booking.confirmed', gone.booking.id, null],
    ['booking.cancelled_in_ehr', gone.booking.id, null],
  ]);
  t.notOk(/Ada|Lovelace|Nobody|1980-12-10/.test(JSON.stringify(await events(setup))), 'no patient data');
});
