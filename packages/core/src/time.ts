/**
 * Time zone helpers. A practice's diary runs on wall-clock time in its IANA zone; we store
 * instants (timestamptz). luxon does the DST-correct conversion both ways, so a 09:00 slot stays
 * 09:00 local across the clocks changing.
 */
import { DateTime, IANAZone, Info } from 'luxon';
import { CoreErrorCode, InputError } from './errors.ts';

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function assertTimeZone(zone: string): void {
  if (!isValidTimeZone(zone)) {
    throw new InputError(CoreErrorCode.TIME_ZONE_INVALID, `"${zone}" is not an IANA time zone`, {
      fix: 'Use a zone name such as Europe/London or Australia/Sydney.',
    });
  }
}

/** The instant of a wall-clock time in a zone, e.g. ('2026-03-30', '09:00', 'Europe/London'). */
export function localToInstant(date: string, time: string, zone: string): Date {
  const value = DateTime.fromISO(`${date}T${time}`, { zone });
  if (!value.isValid)
    throw new Error(`Invalid local date-time ${date} ${time} in ${zone}: ${value.invalidReason}`);
  return value.toJSDate();
}

/** The wall-clock rendering of an instant in a zone, ISO 8601 with offset (e.g. 2026-03-30T09:00:00+01:00). */
export function instantToLocalIso(instant: Date, zone: string): string {
  const ms = instant.getTime();
  const offset = ianaOffsetMinutes(ms, zone);
  if (offset === null) return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true })!;
  // The same text luxon writes, without asking Intl for every instant (the slots answer's hot path).
  const local = new Date(ms + offset * 60_000);
  const year = local.getUTCFullYear();
  const millis = local.getUTCMilliseconds();
  const abs = Math.abs(offset);
  return (
    `${year}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}` +
    `T${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}` +
    (millis === 0 ? '' : `.${String(millis).padStart(3, '0')}`) +
    `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Per IANA zone: the offset of each UTC hour, null when it changes within that hour. */
const hourOffsets = new Map<string, Map<number, number | null> | null>();
const HOUR_MS = 3_600_000;

/**
 * The zone's UTC offset at the instant in whole minutes, from a cache by UTC hour; null when the
 * zone is not an IANA zone (luxon writes those differently), the offset changes within that
 * hour, or the year is outside 1000–9999.
 */
function ianaOffsetMinutes(ms: number, zone: string): number | null {
  let byHour = hourOffsets.get(zone);
  if (byHour === undefined) {
    byHour = Info.normalizeZone(zone) instanceof IANAZone && IANAZone.isValidZone(zone) ? new Map() : null;
    hourOffsets.set(zone, byHour);
  }
  if (byHour === null) return null;
  const hour = Math.floor(ms / HOUR_MS);
  let offset = byHour.get(hour);
  if (offset === undefined) {
    const iana = IANAZone.create(zone);
    const start = iana.offset(hour * HOUR_MS);
    const year = new Date(hour * HOUR_MS).getUTCFullYear();
    offset =
      start === iana.offset(hour * HOUR_MS + HOUR_MS - 1) &&
      Number.isInteger(start) &&
      year > 1000 &&
      year < 9999
        ? start
        : null;
    if (byHour.size >= 100_000) byHour.clear();
    byHour.set(hour, offset);
  }
  return offset;
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** Start of a local day (00:00 in the zone) as an instant. */
export function startOfLocalDay(date: string, zone: string): Date {
  return localToInstant(date, '00:00', zone);
}

/** The start of the local day after the one `instant` falls on (calendar days, DST-safe). */
export function startOfNextLocalDay(instant: Date, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).startOf('day').plus({ days: 1 }).toJSDate();
}

/** `days` calendar days later at the same local time in `zone` (23 or 25 hours across a clock change). */
export function addLocalDays(instant: Date, days: number, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).plus({ days }).toJSDate();
}

/** `days` × 24 hours later: for spans of time, not for calendar days (see addLocalDays). */
export function addDays(instant: Date, days: number): Date {
  return new Date(instant.getTime() + days * 86_400_000);
}

/**
 * Reads a window bound from a query parameter: a date (YYYY-MM-DD, midnight in the practice's
 * zone) or a date-time with an offset or Z. Absent: undefined. Anything else: 400 naming it.
 */
export function readTimeBound(name: string, text: string | undefined, zone: string): Date | undefined {
  if (text === undefined) return undefined;
  let value: DateTime | null = null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) value = DateTime.fromISO(text, { zone });
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    value = DateTime.fromISO(text, { setZone: true });
  }
  if (!value?.isValid) {
    throw new InputError(CoreErrorCode.WINDOW_INVALID, `"${name}" is not a date or a date-time: "${text}"`, {
      fix: 'Use YYYY-MM-DD or an ISO 8601 date-time with an offset, e.g. 2026-11-24T09:00:00Z.',
    });
  }
  return value.toJSDate();
}
