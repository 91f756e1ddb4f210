/**
 * The heart of the sync: compare what the EHR says with what is stored, and name only the
 * differences. Pure, so it is tested without a database.
 */
import type { EhrSlot } from '../ehr-plugin.ts';

/** The stored fields the diff compares. */
export interface StoredSlot {
  id: string;
  ehr_slot_id: string;
  ehr_session_id: string | null;
  ehr_practitioner_id: string | null;
  ehr_location_id: string | null;
  ehr_slot_type_id: string;
  start_at: Date;
  end_at: Date;
  status: string;
  ehr_status: string;
}

/** The columns of a `StoredSlot`. */
export const STORED_SLOT_COLUMNS = [
  'id',
  'ehr_slot_id',
  'ehr_session_id',
  'ehr_practitioner_id',
  'ehr_location_id',
  'ehr_slot_type_id',
  'start_at',
  'end_at',
  'status',
  'ehr_status',
] as const satisfies readonly (keyof StoredSlot)[];

export interface SlotDiff {
  inserts: EhrSlot[];
  updates: { id: string; slot: EhrSlot }[];
  deletes: string[];
  unchanged: number;
}

export function sameSlot(stored: StoredSlot, fetched: EhrSlot): boolean {
  return (
    stored.ehr_session_id === fetched.ehrSessionId &&
    stored.ehr_practitioner_id === fetched.ehrPractitionerId &&
    stored.ehr_location_id === fetched.ehrLocationId &&
    stored.ehr_slot_type_id === fetched.ehrSlotTypeId &&
    stored.start_at.getTime() === fetched.startAt.getTime() &&
    stored.end_at.getTime() === fetched.endAt.getTime() &&
    stored.status === fetched.status &&
    stored.ehr_status === fetched.ehrStatus
  );
}

/**
 * `stored` must be every stored slot of the window, `fetched` every EHR slot of the window.
 * A slot fetched twice (same ehrSlotId) counts once, the last one winning.
 */
export function diffSlots(stored: StoredSlot[], fetched: EhrSlot[]): SlotDiff {
  const incoming = new Map(fetched.map((slot) => [slot.ehrSlotId, slot]));
  const diff: SlotDiff = { inserts: [], updates: [], deletes: [], unchanged: 0 };
  const seen = new Set<string>();
  for (const row of stored) {
    const slot = incoming.get(row.ehr_slot_id);
    if (!slot) {
      diff.deletes.push(row.id);
      continue;
    }
    seen.add(row.ehr_slot_id);
    if (sameSlot(row, slot)) diff.unchanged += 1;
    else diff.updates.push({ id: row.id, slot });
  }
  for (const [ehrSlotId, slot] of incoming) {
    if (!seen.has(ehrSlotId)) diff.inserts.push(slot);
  }
  return diff;
}
