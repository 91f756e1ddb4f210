import type { EhrSlot } from '@slotbridge/core';

/** In-memory EHR slots starting tomorrow 09:00 UTC, 10 minutes apart, ids s1, s2, … */
export function tomorrowSlotsForTests(count: number): EhrSlot[] {
  const base = new Date();
  base.setUTCDate(base.getUTCDate() + 1);
  base.setUTCHours(9, 0, 0, 0);
  return Array.from({ length: count }, (_, i) => ({
    ehrSlotId: `s${i + 1}`,
    ehrSessionId: 'session-1',
    ehrPractitionerId: 'p1',
    ehrLocationId: 'l1',
    ehrSlotTypeId: 'st1',
    startAt: new Date(base.getTime() + i * 600_000),
    endAt: new Date(base.getTime() + (i + 1) * 600_000),
    status: 'free',
    ehrStatus: 'Slot Available',
  }));
}
