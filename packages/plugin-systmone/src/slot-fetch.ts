/**
 * onSlotFetch for SystmOne: GetAppointmentSlots over the practice-local days of the window (a
 * week per request), keeping the slots of the active slot types that start in [from, to).
 * GetAppointmentSlots answers free slots only, of slot types bookable by third parties, with no
 * status (*modelled* from the spec's fields: a slot has no status, so what it lists is what can
 * be booked). Every slot fetched is therefore `free`; a slot booked or blocked in SystmOne is
 * simply not listed, and the sync removes it.
 */
import type { EhrContext, EhrSlot, SlotFetchResult, SlotWindow } from '@slotbridge/core/plugin';
import type { SystmOneClient } from './client.ts';
import type { SystmOneConnection } from './connection.ts';
import { systmOneError } from './errors.ts';
import { clinicIdOf, slotIdOf } from './slot-id.ts';
import { dateOfSystmOneTime, instantOfSystmOneTime, systmOneDayRanges } from './systmone-time.ts';

/** Days read by one GetAppointmentSlots request: small answers from a desktop client on a practice PC. */
export const SLOT_READ_DAYS = 7;
/** The `ehrStatus` of every slot GetAppointmentSlots lists (the API gives no status word). */
export const FREE_SLOT_STATUS = 'Available';

export async function fetchSlots(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
  window: SlotWindow,
): Promise<SlotFetchResult> {
  const timeZone = ctx.practice.timeZone;
  const activeTypes = new Set(window.slotTypeIds);
  const ranges = systmOneDayRanges(window.from, window.to, timeZone, SLOT_READ_DAYS);
  if (activeTypes.size === 0 || ranges.length === 0) return { slots: [] };

  const slots = new Map<string, EhrSlot>();
  for (const range of ranges) {
    for (const clinic of await client.getAppointmentSlots(range, ctx.signal)) {
      for (const slot of clinic.slots) {
        if (!activeTypes.has(slot.slotType)) continue;
        const startAt = instantOfSystmOneTime(slot.dateTimeStart, timeZone);
        if (startAt === null) {
          throw systmOneError(
            'SYSTMONE_ERR_UNEXPECTED_RESPONSE',
            'SystmOne sent a DateTimeStart that is not yyyy-MM-ddTHH:mm:ss',
            { details: { function: 'GetAppointmentSlots', dateTimeStart: slot.dateTimeStart } },
          );
        }
        if (startAt < window.from || startAt >= window.to) continue;
        const ehrSlotId = slotIdOf({ ...clinic, ...slot });
        slots.set(ehrSlotId, {
          ehrSlotId,
          ehrSessionId: clinicIdOf({ ...clinic, date: dateOfSystmOneTime(slot.dateTimeStart) }),
          ehrPractitionerId: clinic.userName,
          ehrLocationId: clinic.siteName,
          ehrSlotTypeId: slot.slotType,
          startAt,
          endAt: new Date(startAt.getTime() + slot.durationMinutes * 60_000),
          status: 'free',
          ehrStatus: FREE_SLOT_STATUS,
        });
      }
    }
  }
  ctx.log.debug({ requests: ranges.length, slots: slots.size }, 'SystmOne slots fetched');
  return {
    slots: [...slots.values()].sort(
      (a, b) => a.startAt.getTime() - b.startAt.getTime() || a.ehrSlotId.localeCompare(b.ehrSlotId),
    ),
  };
}
