/**
 * onSlotFetch for EMIS: every session over the window in one GetAppointmentSessions call per
 * 90 days (no slot type: each session comes with its slot counts by type), then the slots of
 * each session holding an active type (GetSlotsForSession), kept when their type is active and
 * they start in [from, to). EMIS gives wall-clock times; they become instants in the practice's
 * zone.
 *
 * A session's counts, times, site and holders are its digest. A session lying wholly inside
 * the window whose digest the core already holds (`window.knownSessions`) is named unchanged
 * and its slots are not read: an unchanged diary costs one call per 90 days.
 */
import { createHash } from 'node:crypto';
import type {
  EhrContext,
  EhrSlot,
  EhrSlotStatus,
  SlotFetchResult,
  SlotWindow,
} from '@slotbridge/core/plugin';
import type { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisDateSpans, instantOfEmisWallTime } from './emis-time.ts';
import { isEmisError } from './errors.ts';
import type { AppointmentSession, SessionSlot } from './partner-api.ts';

/** The longest GetAppointmentSessions window the Partner API accepts, in days. */
export const MAX_SESSIONS_WINDOW_DAYS = 90;
/** GetSlotsForSession calls in flight at once. */
const SESSION_READ_CONCURRENCY = 4;

const BOOKED_WORDS = new Set(['Booked', 'Arrived', 'Send In', 'Left', 'DNA']);

/** EMIS's status word, normalised. A word we do not know is never offered as free. */
export function normaliseSlotStatus(status: string): EhrSlotStatus {
  if (status === 'Slot Available') return 'free';
  if (BOOKED_WORDS.has(status)) return 'booked';
  return 'unavailable';
}

async function forEachConcurrently<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What GetAppointmentSessions says of a session: equal digests, same slot counts. */
export function sessionDigest(session: AppointmentSession): string {
  const counts = [...(session.slotTypeList ?? [])]
    .sort((a, b) => (a.typeID < b.typeID ? -1 : a.typeID > b.typeID ? 1 : 0))
    .map((c) => `${c.typeID}:${c.total}/${c.booked}/${c.blocked}/${c.embargoed}/${c.available}`);
  const holders = (session.holderList ?? []).map((h) => h.dbid).join(',');
  return createHash('sha1')
    .update(
      `${session.date} ${session.startTime}-${session.endTime} ${session.slotLength} ${session.site?.dbid} ${holders} ${counts.join(' ')}`,
    )
    .digest('base64url');
}

export async function fetchSlots(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
  window: SlotWindow,
): Promise<SlotFetchResult> {
  const timeZone = ctx.practice.timeZone;
  const activeTypes = new Set(window.slotTypeIds);
  const spans = emisDateSpans(window.from, window.to, timeZone, MAX_SESSIONS_WINDOW_DAYS);
  if (activeTypes.size === 0 || spans.length === 0) return { slots: [] };

  // A refresh of some practitioners' day reads only their sessions' slots.
  const holders = window.ehrPractitionerIds ? new Set(window.ehrPractitionerIds) : null;
  const sessions = new Map<number, AppointmentSession>();
  for (const span of spans) {
    const list = await client.getAppointmentSessions(span, ctx.signal);
    for (const session of list.appointmentSession ?? []) {
      if (!session.slotTypeList?.some((count) => activeTypes.has(count.typeID) && count.total > 0)) continue;
      if (holders && !session.holderList?.some((h) => holders.has(String(h.dbid)))) continue;
      sessions.set(session.dbid, session);
    }
  }

  const sessionDigests: Record<string, string> = {};
  const unchangedSessions: string[] = [];
  const toRead: AppointmentSession[] = [];
  for (const session of sessions.values()) {
    const id = String(session.dbid);
    const start = instantOfEmisWallTime(session.date, session.startTime, timeZone);
    const end = instantOfEmisWallTime(session.date, session.endTime, timeZone);
    // Only a session wholly inside the window is vouched for: the core stores its slots whole.
    if (start >= window.from && end <= window.to) {
      const digest = sessionDigest(session);
      sessionDigests[id] = digest;
      if (window.knownSessions?.get(id) === digest) {
        unchangedSessions.push(id);
        continue;
      }
    }
    toRead.push(session);
  }

  const slots: EhrSlot[] = [];
  await forEachConcurrently(toRead, SESSION_READ_CONCURRENCY, async (session) => {
    let sessionSlots: SessionSlot[];
    try {
      sessionSlots = (await client.getSlotsForSession(session.dbid, ctx.signal)).slot ?? [];
    } catch (error) {
      // Deleted in EMIS between the two calls: it has no slots any more.
      if (isEmisError(error, 'EMIS_ERR_SESSION_NOT_FOUND')) {
        delete sessionDigests[String(session.dbid)];
        return;
      }
      throw error;
    }
    for (const slot of sessionSlots) {
      if (!activeTypes.has(slot.type.typeID)) continue;
      const startAt = instantOfEmisWallTime(session.date, slot.startTime, timeZone);
      if (startAt < window.from || startAt >= window.to) continue;
      slots.push({
        ehrSlotId: String(slot.dbid),
        ehrSessionId: String(session.dbid),
        ehrPractitionerId: session.holderList?.[0] ? String(session.holderList[0].dbid) : null,
        ehrLocationId: session.site ? String(session.site.dbid) : null,
        ehrSlotTypeId: slot.type.typeID,
        startAt,
        endAt: new Date(startAt.getTime() + Number(slot.slotLength) * 60_000),
        status: normaliseSlotStatus(slot.status),
        ehrStatus: slot.status,
      });
    }
  });
  ctx.log.debug(
    {
      sessions: sessions.size,
      read: toRead.length,
      unchanged: unchangedSessions.length,
      slots: slots.length,
    },
    'EMIS slots fetched',
  );
  slots.sort(
    (a, b) => a.startAt.getTime() - b.startAt.getTime() || Number(a.ehrSlotId) - Number(b.ehrSlotId),
  );
  return { slots, sessionDigests, unchangedSessions };
}
