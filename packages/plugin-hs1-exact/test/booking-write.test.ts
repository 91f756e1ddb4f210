/**
 * onBookingWrite against the sandbox: a booking is inserted Pending then Confirmed and comes back
 * as its slot, booked; a time taken meanwhile is slot_taken; a retry makes no second appointment;
 * a cancellation is refused and nothing at all is sent to HS1.
 */
import type { BookingWriteCommand, EhrSlot } from '@slotbridge/core';
import { EhrError } from '@slotbridge/core';
import t from 'tap';
import { hs1ExactPlugin } from '../src/hs1-exact-plugin.ts';
import {
  BEFORE_OPENING,
  contextFor,
  DAY,
  DAY_WINDOW,
  SMALL_PRACTICE,
  slotLine,
  startSandbox,
} from './fixtures.ts';

const PATIENT = { firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1995-01-30' };

function bookCommand(slot: EhrSlot, overrides: Partial<Extract<BookingWriteCommand, { kind: 'book' }>> = {}) {
  return {
    kind: 'book' as const,
    bookingId: 'booking-1',
    slot,
    targetEhrSlotTypeId: null,
    patient: PATIENT,
    reason: 'Sore tooth',
    note: 'Prefers the morning',
    ...overrides,
  };
}

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const sandbox = await startSandbox(t, { now: BEFORE_OPENING });
  sandbox.seed(SMALL_PRACTICE);
  const ctx = contextFor(sandbox.connection());
  const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  const slot = slots.find((s) => slotLine(s) === 'DR01 2026-02-02 08:30 R01 30 Available')!;
  sandbox.calls.length = 0;
  return { sandbox, ctx, slot };
}

t.test('a booking is inserted Pending, then Confirmed, and comes back as its slot, booked', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  const result = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot));
  t.same(result, { ehrBookingRef: 'AP50006' });
  t.same(sandbox.practiceServer.appointment('AP50006'), {
    id: 'AP50006',
    providerId: 'DR01',
    date: DAY,
    startTime: '08:30',
    durationMinutes: 30,
    reasonId: 'R01',
    status: 'Confirmed',
    statusHistory: ['Pending', 'Confirmed'],
    patientId: 'PT7001',
    source: 'online',
    externalRef: 'booking-1',
    note: 'Sore tooth — Prefers the morning',
  });
  t.same(
    sandbox.calls.map((c) => `${c.method} ${c.operation} ${c.statusCode}`),
    ['POST CreateAppointment 201', 'POST ConfirmAppointment 200'],
  );

  const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  const again = slots.find((s) => s.ehrSlotId === slot.ehrSlotId);
  t.same(again && slotLine(again), 'DR01 2026-02-02 08:30 R01 30 Confirmed');
  t.equal(again?.status, 'booked');
  t.same(
    slots.filter((s) => s.ehrPractitionerId === 'DR01' && s.status === 'free').map((s) => slotLine(s)),
    [
      'DR01 2026-02-02 10:00 R01 30 Available',
      'DR01 2026-02-02 10:00 R02 60 Available',
      'DR01 2026-02-02 13:00 R01 30 Available',
      'DR01 2026-02-02 13:00 R02 60 Available',
    ],
    "the morning's first available slot moves on to 10:00 (09:00–09:15 is shorter than an online slot)",
  );
});

t.test('a retry after a lost answer makes no second appointment; the same patient is matched', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  const first = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot));
  const second = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot));
  t.same(second, first);
  t.equal(sandbox.practiceServer.appointments().filter((a) => a.source === 'online').length, 1);
  t.same(
    ctx.logs.filter((entry) => entry.level === 'info'),
    [
      {
        level: 'info',
        obj: { bookingId: 'booking-1', appointmentId: 'AP50006' },
        msg: 'HS1 appointment made by an earlier attempt',
      },
    ],
  );

  const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
  const afternoon = slots.find((s) => slotLine(s) === 'DR01 2026-02-02 13:00 R02 60 Available')!;
  const other = await hs1ExactPlugin.onBookingWrite(
    ctx,
    bookCommand(afternoon, { bookingId: 'booking-2', patient: { ...PATIENT, firstName: ' mia ' } }),
  );
  t.equal(
    sandbox.practiceServer.appointment(other.ehrBookingRef)?.patientId,
    'PT7001',
    'matched by name and birth date',
  );
  t.equal(sandbox.practiceServer.appointment(other.ehrBookingRef)?.durationMinutes, 60);
});

t.test('a time booked in Exact meanwhile is slot_taken, and nothing is inserted', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  sandbox.practiceServer.receptionBook({
    providerId: 'DR01',
    date: DAY,
    startTime: '08:45',
    durationMinutes: 15,
  });
  const before = sandbox.practiceServer.appointments();
  const error = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot)).catch((e: unknown) => e);
  t.ok(error instanceof EhrError);
  t.match(error, {
    kind: 'slot_taken',
    code: 'HS1_ERR_TIME_NOT_AVAILABLE',
    message: 'HS1 refused CreateAppointment (HTTP 409, TIME_NOT_AVAILABLE)',
    fix: 'The time was booked or changed in Exact meanwhile. Offer the patient another time.',
  });
  t.same(sandbox.practiceServer.appointments(), before);
  t.same(
    sandbox.calls.map((c) => `${c.operation} ${c.statusCode}`),
    ['CreateAppointment 409'],
  );
});

t.test('cancel is refused as unsupported, and HS1 sees no call at all', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  const { ehrBookingRef } = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot));
  const before = sandbox.practiceServer.appointments();
  sandbox.calls.length = 0;

  const error = await hs1ExactPlugin
    .onBookingWrite(ctx, {
      kind: 'cancel',
      bookingId: 'booking-1',
      slot,
      ehrBookingRef,
      patient: PATIENT,
      reason: 'Cannot make it',
    })
    .catch((e: unknown) => e);
  t.ok(error instanceof EhrError);
  const ehrError = error as EhrError;
  t.same(
    {
      kind: ehrError.kind,
      code: ehrError.code,
      category: ehrError.category,
      message: ehrError.message,
      fix: ehrError.fix,
      details: ehrError.details,
      retryable: ehrError.retryable,
    },
    {
      kind: 'unsupported',
      code: 'HS1_ERR_ONLINE_CANCELLATION_UNSUPPORTED',
      category: 'conflict',
      message: 'Online cancellation is not supported for HS1 Exact; the practice cancels in Exact',
      fix:
        'Ask the patient to contact the practice. The practice cancels the appointment in Exact; the next sync ' +
        'frees the time and ends the booking here.',
      details: { bookingId: 'booking-1' },
      retryable: false,
    },
  );
  t.same(sandbox.calls, [], 'nothing was sent to HS1');
  t.same(sandbox.practiceServer.appointments(), before, 'the diary is unchanged');
  t.equal(sandbox.practiceServer.appointment(ehrBookingRef)?.status, 'Confirmed');
});

t.test('the practice server offline: a typed transient error, nothing inserted', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  sandbox.setPracticeServerOnline(false);
  const before = sandbox.practiceServer.appointments();
  const error = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot)).catch((e: unknown) => e);
  t.match(error, { kind: 'transient', code: 'HS1_ERR_PRACTICE_SERVER_OFFLINE', retryable: true });
  t.same(sandbox.practiceServer.appointments(), before);
});

t.test(
  'booking features may write another reason; one not configured for the provider is rejected',
  async (t) => {
    const { sandbox, ctx } = await setUp(t);
    const { slots } = await hs1ExactPlugin.onSlotFetch(ctx, DAY_WINDOW);
    const hygiene = slots.find((s) => slotLine(s) === 'HY01 2026-02-02 09:00 R01 40 Available')!;
    const error = await hs1ExactPlugin
      .onBookingWrite(ctx, bookCommand(hygiene, { targetEhrSlotTypeId: 'R03' }))
      .catch((e: unknown) => e);
    t.match(error, { kind: 'rejected', code: 'HS1_ERR_REASON_NOT_LINKED' });

    const written = await hs1ExactPlugin.onBookingWrite(
      ctx,
      bookCommand(hygiene, { targetEhrSlotTypeId: 'R02' }),
    );
    t.match(sandbox.practiceServer.appointment(written.ehrBookingRef), {
      providerId: 'HY01',
      startTime: '09:00',
      reasonId: 'R02',
      durationMinutes: 60,
      status: 'Confirmed',
    });
  },
);

t.test('the practice cancels the new appointment before it is confirmed: rejected', async (t) => {
  const { sandbox, ctx, slot } = await setUp(t);
  // Reception cancels between the insert and the confirmation.
  const server = sandbox.practiceServer;
  const confirm = server.confirmAppointment.bind(server);
  server.confirmAppointment = (id) => {
    server.setAppointmentStatus(id, 'Cancelled');
    return confirm(id);
  };
  const error = await hs1ExactPlugin.onBookingWrite(ctx, bookCommand(slot)).catch((e: unknown) => e);
  t.match(error, { kind: 'rejected', code: 'HS1_ERR_APPOINTMENT_CANCELLED' });
  t.same(sandbox.practiceServer.appointment('AP50006')?.statusHistory, ['Pending', 'Cancelled']);
});
