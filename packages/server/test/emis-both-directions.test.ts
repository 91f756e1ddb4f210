/**
 * Issue #4 end to end, over real HTTP to the EMIS sandbox: a patient EMIS cannot match is held
 * for reconciliation; a booking cancelled in EMIS becomes cancelled_in_ehr; a reschedule holds
 * the new slot before releasing the old, and leaves the old standing when the new write fails.
 */
import { DEMO_SLOT_TYPE } from '@slotbridge/plugin-emis/sandbox';
import t from 'tap';
import { emisPractice } from './helpers/emis-practice.ts';
import { bearer } from './helpers/test-app.ts';

type Practice = Awaited<ReturnType<typeof emisPractice>>;

async function book(p: Practice, slotId: string, key: string, patient: object) {
  const res = await p.app.inject({
    method: 'POST',
    url: `/v1/practices/${p.practiceId}/bookings`,
    headers: { ...bearer(p.key), 'idempotency-key': key },
    payload: { slotId, patient },
  });
  return res.json();
}

/**
 * Bookings the syncs finishing since `at` found changed in EMIS. Workers are on, so a background
 * sync may get to a change made in the sandbox before the manual one does: together they find it
 * once.
 */
async function bookingsChangedSince(p: Practice, at: Date): Promise<number> {
  const runs = await p.slotbridge.db
    .selectFrom('sync_runs')
    .select('bookings_changed')
    .where('practice_id', '=', p.practiceId)
    .where('finished_at', '>=', at)
    .execute();
  return runs.reduce((sum, run) => sum + run.bookings_changed, 0);
}

async function settle(p: Practice, bookingId: string, from: string[]) {
  let booking = (await p.call('GET', `/bookings/${bookingId}`)).json();
  for (let i = 0; i < 80 && from.includes(booking.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    booking = (await p.call('GET', `/bookings/${bookingId}`)).json();
  }
  return booking;
}

const alice = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

t.test(
  'a patient EMIS cannot match: the slot is held, listed for reconciliation, then reconciled',
  async (t) => {
    const p = await emisPractice(t, { workers: true });
    const slot = (await p.call('GET', `/slots?from=${p.weekday}`)).json().data[0];
    // Two John Smiths share a date of birth in the demo practice: no unique match.
    const held = await book(p, slot.id, 'hold-0001', {
      firstName: 'John',
      lastName: 'Smith',
      dateOfBirth: '1970-01-01',
    });
    const booking = await settle(p, held.id, ['pending']);
    t.match(booking, { state: 'needs_reconciliation', failure: null });

    const inEmis = p.sandbox.diary.slot(Number(booking.slot.ehrSlotId))!;
    t.match(
      inEmis,
      { status: 'Slot Available', slotTypeId: DEMO_SLOT_TYPE.UNREGISTERED_PATIENT },
      'held in EMIS',
    );
    const list = (await p.call('GET', '/reconciliation')).json().data;
    t.same(
      list.map((r: { bookingId: string }) => r.bookingId),
      [booking.id],
    );
    t.notMatch(JSON.stringify(list), /John|Smith|1970/, 'no patient details in the API');
    t.notOk(
      (await p.call('GET', `/slots?from=${p.weekday}`))
        .json()
        .data.some((s: { id: string }) => s.id === slot.id),
      'the time is not offered',
    );

    // Reception finds the right John Smith and books him into the held slot in EMIS.
    const changedAt = new Date();
    p.sandbox.diary.receptionBook(Number(booking.slot.ehrSlotId), 9005, 'Online booking reconciled');
    t.equal((await p.call('POST', '/sync')).statusCode, 200);
    t.equal(await bookingsChangedSince(p, changedAt), 1, 'the sync found the booking reconciled');
    t.match((await p.call('GET', `/bookings/${booking.id}`)).json(), { state: 'confirmed' });
    t.same((await p.call('GET', '/reconciliation')).json().data, []);
  },
);

t.test('a booking cancelled by reception in EMIS becomes cancelled_in_ehr at the next sync', async (t) => {
  const p = await emisPractice(t, { workers: true });
  const slot = (await p.call('GET', `/slots?from=${p.weekday}`)).json().data[0];
  const created = await book(p, slot.id, 'cancel-in-emis-1', alice);
  const booking = await settle(p, created.id, ['pending']);
  t.equal(booking.state, 'confirmed');
  await p.call('POST', '/sync'); // sees it booked: nothing to change
  t.equal((await p.call('GET', `/bookings/${booking.id}`)).json().state, 'confirmed');

  const changedAt = new Date();
  p.sandbox.diary.receptionCancel(Number(booking.slot.ehrSlotId));
  t.equal((await p.call('POST', '/sync')).statusCode, 200);
  t.equal(await bookingsChangedSince(p, changedAt), 1, 'the sync found it cancelled in EMIS');
  const after = (await p.call('GET', `/bookings/${booking.id}`)).json();
  t.match(after, { state: 'cancelled_in_ehr' });
  t.ok(after.cancelledAt);
  t.ok(
    (await p.call('GET', `/slots?from=${p.weekday}`))
      .json()
      .data.some((s: { id: string }) => s.id === slot.id),
    'the time is offered again',
  );
});

t.test('reschedule: the new slot is booked before the old is released', async (t) => {
  const p = await emisPractice(t, { workers: true });
  const [first, second] = (await p.call('GET', `/slots?from=${p.weekday}`)).json().data;
  const original = await settle(p, (await book(p, first.id, 'move-0001', alice)).id, ['pending']);
  t.equal(original.state, 'confirmed');

  const moved = await p.app.inject({
    method: 'POST',
    url: `/v1/practices/${p.practiceId}/bookings/${original.id}/reschedule`,
    headers: { ...bearer(p.key), 'idempotency-key': 'move-0001-to-second' },
    payload: { slotId: second.id },
  });
  t.equal(moved.statusCode, 201);
  t.match(moved.json(), { state: 'pending', replacesBookingId: original.id });
  const replacement = await settle(p, moved.json().id, ['pending']);
  t.equal(replacement.state, 'confirmed');
  const old = await settle(p, original.id, ['confirmed', 'cancelling']);
  t.equal(old.state, 'cancelled');
  t.match(p.sandbox.diary.slot(Number(replacement.slot.ehrSlotId)), {
    status: 'Booked',
    patientNumber: 9001,
  });
  t.match(p.sandbox.diary.slot(Number(original.slot.ehrSlotId)), {
    status: 'Slot Available',
    patientNumber: null,
  });
});

t.test('reschedule: when the new write fails, the old booking stands', async (t) => {
  const p = await emisPractice(t, { workers: true });
  const [first, second] = (await p.call('GET', `/slots?from=${p.weekday}`)).json().data;
  const original = await settle(p, (await book(p, first.id, 'move-0002', alice)).id, ['pending']);
  // Reception takes the target slot in EMIS before our write lands.
  const target = await p.slotbridge.db
    .selectFrom('slots')
    .select('ehr_slot_id')
    .where('id', '=', second.id)
    .executeTakeFirstOrThrow();
  p.sandbox.diary.receptionBook(Number(target.ehr_slot_id), 9002, 'Booked at reception');
  const moved = await p.app.inject({
    method: 'POST',
    url: `/v1/practices/${p.practiceId}/bookings/${original.id}/reschedule`,
    headers: { ...bearer(p.key), 'idempotency-key': 'move-0002-to-second' },
    payload: { slotId: second.id },
  });
  const replacement = await settle(p, moved.json().id, ['pending']);
  t.match(replacement, { state: 'failed', failure: { code: /^EMIS_ERR_/ } });
  t.equal(
    (await p.call('GET', `/bookings/${original.id}`)).json().state,
    'confirmed',
    'the old booking stands',
  );
  t.match(p.sandbox.diary.slot(Number(original.slot.ehrSlotId)), { status: 'Booked', patientNumber: 9001 });

  const again = await p.app.inject({
    method: 'POST',
    url: `/v1/practices/${p.practiceId}/bookings/${replacement.id}/reschedule`,
    headers: { ...bearer(p.key), 'idempotency-key': 'move-0002-failed-one' },
    payload: { slotId: first.id },
  });
  t.match(again.json(), { status: 409, code: 'SB_ERR_BOOKING_NOT_RESCHEDULABLE' });
});

t.test('the practice can mark a held booking reconciled through the API', async (t) => {
  const p = await emisPractice(t, { workers: true });
  const [slot, other] = (await p.call('GET', `/slots?from=${p.weekday}`)).json().data;
  const held = await settle(
    p,
    (
      await book(p, slot.id, 'resolve-0001', {
        firstName: 'John',
        lastName: 'Smith',
        dateOfBirth: '1970-01-01',
      })
    ).id,
    ['pending'],
  );
  t.equal(held.state, 'needs_reconciliation');
  const resolved = await p.call('POST', `/reconciliation/${held.id}/resolve`);
  t.equal(resolved.statusCode, 200);
  t.match(resolved.json(), { id: held.id, state: 'confirmed' });
  t.same((await p.call('GET', '/reconciliation')).json().data, []);

  const normal = await settle(p, (await book(p, other.id, 'resolve-0002', alice)).id, ['pending']);
  await p.call('POST', `/bookings/${normal.id}/cancel`);
  const cancelled = await settle(p, normal.id, ['cancelling']);
  t.equal(cancelled.state, 'cancelled');
  t.match((await p.call('POST', `/reconciliation/${normal.id}/resolve`)).json(), {
    status: 409,
    code: 'SB_ERR_BOOKING_NOT_IN_RECONCILIATION',
  });
});
