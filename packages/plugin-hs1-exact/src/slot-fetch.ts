/**
 * onSlotFetch for HS1 Exact. Exact has free time, not slots: the plugin reads the set-up and the
 * schedule, computes what Exact publishes (availability.ts) and emits one free slot per
 * (provider, start, booking reason that fits), plus one booked slot per appointment that holds a
 * booking reason — so an appointment booked online comes back under its slot's id, and when the
 * practice cancels it in Exact the time is free again at the next fetch. Wall-clock times become
 * instants in the practice's zone.
 */
import type { EhrContext, EhrSlot, SlotFetchResult, SlotWindow } from '@slotbridge/core/plugin';
import { onlineSlots } from './availability.ts';
import type { Hs1ExactClient } from './client.ts';
import type { Hs1ExactConnection } from './connection.ts';
import { instantOfExactTime, localDatesOf } from './exact-time.ts';
import { readPracticeState } from './schedule-read.ts';
import { slotIdOf } from './slot-id.ts';

export async function fetchSlots(
  client: Hs1ExactClient,
  ctx: EhrContext<Hs1ExactConnection>,
  window: SlotWindow,
): Promise<SlotFetchResult> {
  const timeZone = ctx.practice.timeZone;
  const active = new Set(window.slotTypeIds);
  const dates = localDatesOf(window.from, window.to, timeZone);
  if (active.size === 0 || dates.length === 0) return { slots: [] };

  const { setup, schedule, clock } = await readPracticeState(client, dates, ctx.signal);
  const locationId = setup.practice.id;
  const slotOf = (
    offer: { providerId: string; date: string; startTime: string; reasonId: string; durationMinutes: number },
    status: EhrSlot['status'],
    ehrStatus: string,
  ): EhrSlot => {
    const startAt = instantOfExactTime(offer.date, offer.startTime, timeZone);
    return {
      ehrSlotId: slotIdOf(offer),
      ehrSessionId: null,
      ehrPractitionerId: offer.providerId,
      ehrLocationId: locationId,
      ehrSlotTypeId: offer.reasonId,
      startAt,
      endAt: new Date(startAt.getTime() + offer.durationMinutes * 60_000),
      status,
      ehrStatus,
    };
  };

  // Exact decides which slot is "first after a break" over all its reasons; we keep the active ones.
  const free = onlineSlots({ setup, schedule, dates, clock })
    .filter((offer) => active.has(offer.reasonId))
    .map((offer) => slotOf(offer, 'free', 'Available'));
  const booked = schedule.appointments
    .filter((a) => a.status !== 'Cancelled' && a.reasonId !== null && active.has(a.reasonId))
    .map((a) => slotOf({ ...a, reasonId: a.reasonId! }, 'booked', a.status));

  const slots = [...free, ...booked]
    .filter((slot) => slot.startAt >= window.from && slot.startAt < window.to)
    .sort(
      (a, b) =>
        a.startAt.getTime() - b.startAt.getTime() ||
        a.ehrPractitionerId!.localeCompare(b.ehrPractitionerId!) ||
        a.ehrSlotTypeId.localeCompare(b.ehrSlotTypeId),
    );
  ctx.log.debug(
    { free: free.length, booked: booked.length, slots: slots.length },
    'HS1 Exact slots computed',
  );
  return { slots };
}
