/**
 * Time zone helpers. A practice's diary runs on wall-clock time in its IANA zone; we store
 * instants (timestamptz). luxon does the DST-correct conversion both ways, so a 09:00 slot stays
 * 09:00 local across the clocks changing.
 */
import { DateTime, IANAZone } from 'luxon';
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
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** Start of a local day (00:00 in the zone) as an instant. */
export function startOfLocalDay(date: string, zone: string): Date {
  return localToInstant(date, '00:00', zone);
}

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
