/**
 * onSlotFetch for GP Connect: "Search for free slots" over the window. The standard returns only
 * slots lying wholly inside the searched range and at most 14 days per search; the core asks for
 * windows of up to 14 days (capabilities.maxFetchWindowDays) and wants every slot *starting* in
 * [from, to). So each search reaches OVERHANG_MS past the part of the window it answers for, so
 * that a slot starting just before `to` and ending after it is still found; when that would make
 * the search longer than 14 local days, the window is read in two searches. Only free slots are
 * listed (listsBookedSlots false): a slot booked or blocked at the practice simply disappears.
 */
import type { EhrContext, EhrSlot, SlotFetchResult, SlotWindow } from '@slotbridge/core/plugin';
import type { GpConnectClient } from './client.ts';
import type { GpConnectConnection } from './connection.ts';
import { plusLocalDays } from './fhir-time.ts';
import { readSlotBundle, type SlotSearchResult } from './slot-bundle.ts';

/** The standard's longest search. */
export const MAX_SEARCH_DAYS = 14;
/** How far past its part of the window a search reaches: the longest slot read whole at the end. */
export const OVERHANG_MS = 2 * 60 * 60_000;
/** The ehrStatus of every slot GP Connect lists. */
export const FREE_STATUS = 'free';

export interface SearchPlan {
  /** The range asked of GP Connect. */
  search: { start: Date; end: Date };
  /** The slots starting in [from, to) are this search's. */
  keep: { from: Date; to: Date };
}

/** The searches that together find every slot starting in [from, to). */
export function planSearches(from: Date, to: Date, timeZone: string): SearchPlan[] {
  const plans: SearchPlan[] = [];
  let cursor = from;
  while (cursor < to) {
    const limit = plusLocalDays(cursor, MAX_SEARCH_DAYS, timeZone);
    const keepTo = new Date(Math.min(to.getTime(), limit.getTime() - OVERHANG_MS));
    const end = new Date(Math.min(limit.getTime(), keepTo.getTime() + OVERHANG_MS));
    plans.push({ search: { start: cursor, end }, keep: { from: cursor, to: keepTo } });
    cursor = keepTo;
  }
  return plans;
}

/** Every search's reading, merged (a slot found twice is kept once). */
export async function searchSlots(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  from: Date,
  to: Date,
): Promise<SlotSearchResult & { kept: SlotSearchResult['slots'] }> {
  const merged: SlotSearchResult & { kept: SlotSearchResult['slots'] } = {
    slots: [],
    kept: [],
    schedules: new Map(),
    practitioners: new Map(),
    locations: new Map(),
    organizations: [],
    unreadable: [],
  };
  const seen = new Set<string>();
  for (const plan of planSearches(from, to, ctx.practice.timeZone)) {
    const read = readSlotBundle(await client.searchFreeSlots(plan.search, ctx.practice.timeZone, ctx.signal));
    for (const [k, v] of read.schedules) merged.schedules.set(k, v);
    for (const [k, v] of read.practitioners) merged.practitioners.set(k, v);
    for (const [k, v] of read.locations) merged.locations.set(k, v);
    merged.organizations.push(...read.organizations);
    merged.unreadable.push(...read.unreadable);
    merged.slots.push(...read.slots);
    for (const slot of read.slots) {
      if (slot.start < plan.keep.from || slot.start >= plan.keep.to || seen.has(slot.id)) continue;
      seen.add(slot.id);
      merged.kept.push(slot);
    }
  }
  return merged;
}

export async function fetchSlots(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
  window: SlotWindow,
): Promise<SlotFetchResult> {
  const active = new Set(window.slotTypeIds);
  if (active.size === 0 || window.to <= window.from) return { slots: [] };
  const read = await searchSlots(client, ctx, window.from, window.to);
  if (read.unreadable.length > 0) {
    ctx.log.warn({ unreadable: read.unreadable.length }, 'GP Connect listed slots slotbridge could not read');
  }
  const slots: EhrSlot[] = read.kept
    .filter((slot) => active.has(slot.slotTypeId) && slot.status === 'free')
    .map((slot) => ({
      ehrSlotId: slot.id,
      ehrSessionId: slot.scheduleId,
      ehrPractitionerId: slot.practitionerId,
      ehrLocationId: slot.locationId,
      ehrSlotTypeId: slot.slotTypeId,
      startAt: slot.start,
      endAt: slot.end,
      status: 'free' as const,
      ehrStatus: FREE_STATUS,
    }))
    .sort((a, b) => a.startAt.getTime() - b.startAt.getTime() || a.ehrSlotId.localeCompare(b.ehrSlotId));
  ctx.log.debug({ slots: slots.length }, 'GP Connect free slots fetched');
  return { slots };
}
