/**
 * HS1 Exact has no slots, only free time: the plugin publishes one slot per (provider, start,
 * booking reason) and derives a stable id from exactly those facts, so the same offer has the
 * same id at every sync, and an appointment booked there comes back under the same id.
 */
import { createHash } from 'node:crypto';

export interface SlotIdentity {
  providerId: string;
  /** Practice-local date, yyyy-mm-dd. */
  date: string;
  /** Practice-local wall-clock start, HH:mm. */
  startTime: string;
  reasonId: string;
}

const SLOT_ID_PREFIX = 'hs1-';

/** `hs1-` + 22 base64url characters of the SHA-256 of the four facts (132 bits). */
export function slotIdOf(slot: SlotIdentity): string {
  const facts = [slot.providerId, slot.date, slot.startTime, slot.reasonId];
  return SLOT_ID_PREFIX + createHash('sha256').update(JSON.stringify(facts)).digest('base64url').slice(0, 22);
}
