/**
 * SystmOne slots have no id: a slot is its clinic (user, site, clinic type) and its slot type,
 * start and duration. The plugin derives a stable id from exactly those six facts, so the same
 * slot has the same id at every sync, and any change to one of them makes it another slot.
 * The clinic (a user's clinic of a type at a site on a day) stands in for a session; its id is
 * readable, because booking needs the clinic type back from it.
 */
import { createHash } from 'node:crypto';

export interface SlotIdentity {
  userName: string;
  siteName: string;
  clinicType: string;
  slotType: string;
  /** yyyy-MM-ddTHH:mm:ss, practice-local, as SystmOne sent it. */
  dateTimeStart: string;
  durationMinutes: number;
}

const SLOT_ID_PREFIX = 'tpp1-';

/** `tpp1-` + 22 base64url characters of the SHA-256 of the six facts (132 bits). */
export function slotIdOf(slot: SlotIdentity): string {
  const facts = [
    slot.userName,
    slot.siteName,
    slot.clinicType,
    slot.slotType,
    slot.dateTimeStart,
    slot.durationMinutes,
  ];
  return SLOT_ID_PREFIX + createHash('sha256').update(JSON.stringify(facts)).digest('base64url').slice(0, 22);
}

export interface ClinicIdentity {
  userName: string;
  siteName: string;
  clinicType: string;
  /** yyyy-mm-dd, practice-local. */
  date: string;
}

/** The clinic as an `ehrSessionId`: the JSON array `[UserName, SiteName, ClinicType, date]`. */
export function clinicIdOf(clinic: ClinicIdentity): string {
  return JSON.stringify([clinic.userName, clinic.siteName, clinic.clinicType, clinic.date]);
}

/** The clinic an `ehrSessionId` names, or null when it is not one of ours. */
export function parseClinicId(text: string | null): ClinicIdentity | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((part) => typeof part === 'string')) {
    return null;
  }
  const [userName, siteName, clinicType, date] = parsed as [string, string, string, string];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  return { userName, siteName, clinicType, date };
}
