/**
 * Issue #9 (5): requests with the same Idempotency-Key and body, however many arrive at once,
 * all answer the same booking — 201 for the one that made it, 200 for every other — and never
 * 409 "slot taken" for their own booking; the same key with another body is 422.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { offeringPractice, slotAt } from './helpers/offering-practice.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };

function tomorrowAt(hour: number, minute = 0): Date {
  const at = new Date();
  at.setUTCDate(at.getUTCDate() + 1);
  at.setUTCHours(hour, minute, 0, 0);
  return at;
}

t.test('20 identical requests at once: one 201, nineteen 200, one booking', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9)), slotAt('s2', tomorrowAt(9, 10))], {
    workers: true,
  });
  const [slot] = (await p.call('GET', '/slots')).json().data;
  const book = () =>
    p.call('POST', '/bookings', {
      headers: { 'idempotency-key': 'retry-storm-0001' },
      payload: { slotId: slot.id, patient, reason: 'Sore throat' },
    });
  const answers = await Promise.all(Array.from({ length: 20 }, book));
  const statuses = answers.map((a) => a.statusCode);
  t.same(
    statuses.filter((s) => s !== 200 && s !== 201),
    [],
    `no refusal among the retries (${answers.find((a) => a.statusCode >= 300)?.body ?? 'none'})`,
  );
  t.equal(statuses.filter((s) => s === 201).length, 1, 'one request made the booking');
  t.equal(statuses.filter((s) => s === 200).length, 19, 'the others answer it');
  const ids = new Set(answers.map((a) => a.json().id));
  t.equal(ids.size, 1, 'every answer is the same booking');
  const rows = await p.slotbridge.db.selectFrom('bookings').select('id').execute();
  t.same(
    rows.map((r) => r.id),
    [...ids],
    'one booking row',
  );
  const commands = await p.slotbridge.db.selectFrom('outbox_commands').select('kind').execute();
  t.same(commands, [{ kind: 'book' }], 'one write-back command');

  const other = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'retry-storm-0001' },
    payload: { slotId: slot.id, patient: { ...patient, lastName: 'Smith' } },
  });
  t.match(other.json(), { status: 422, code: 'SB_ERR_IDEMPOTENCY_KEY_REUSED' }, 'another body: 422');
});

t.test('one key, two bodies at once: one booking; its body is answered it, the other 422', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9)), slotAt('s2', tomorrowAt(9, 10))]);
  const [a, b] = (await p.call('GET', '/slots')).json().data;
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      p.call('POST', '/bookings', {
        headers: { 'idempotency-key': 'two-bodies-0001' },
        payload: { slotId: (i % 2 === 0 ? a : b).id, patient },
      }),
    ),
  );
  const made = answers.filter((x) => x.statusCode === 201);
  t.equal(made.length, 1, 'one booking made');
  const winner = made[0]!.json();
  answers.forEach((answer, i) => {
    const sameBody = (i % 2 === 0 ? a : b).id === winner.slot.id;
    if (sameBody)
      t.match(answer.json(), { id: winner.id }, `request ${i}: the same body answers the booking`);
    else t.match(answer.json(), { status: 422, code: 'SB_ERR_IDEMPOTENCY_KEY_REUSED' }, `request ${i}: 422`);
  });
  t.equal((await p.slotbridge.db.selectFrom('bookings').select('id').execute()).length, 1);
});

t.test('10 identical moves at once: one 201, nine 200, one new booking', async (t) => {
  const p = await offeringPractice(t, [slotAt('s1', tomorrowAt(9)), slotAt('s2', tomorrowAt(10))], {
    workers: true,
  });
  const [first, second] = (await p.call('GET', '/slots')).json().data;
  const booked = await p.call('POST', '/bookings', {
    headers: { 'idempotency-key': 'move-base-0001' },
    payload: { slotId: first.id, patient },
  });
  const id = booked.json().id;
  for (let i = 0; (await p.call('GET', `/bookings/${id}`)).json().state !== 'confirmed'; i++) {
    if (i > 200) throw new Error('the booking was never confirmed');
    await sleep(50);
  }
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      p.call('POST', `/bookings/${id}/reschedule`, {
        headers: { 'idempotency-key': 'move-storm-0001' },
        payload: { slotId: second.id },
      }),
    ),
  );
  const statuses = answers.map((a) => a.statusCode);
  t.same(
    statuses.filter((s) => s !== 200 && s !== 201),
    [],
    `no refusal among the retries (${answers.find((a) => a.statusCode >= 300)?.body ?? 'none'})`,
  );
  t.equal(statuses.filter((s) => s === 201).length, 1);
  const ids = new Set(answers.map((a) => a.json().id));
  t.equal(ids.size, 1, 'every answer is the same new booking');
  t.match(answers[0]!.json(), { replacesBookingId: id });
  const rows = await p.slotbridge.db
    .selectFrom('bookings')
    .select('id')
    .where('replaces_booking_id', '=', id)
    .execute();
  t.equal(rows.length, 1, 'one new booking row');
});
