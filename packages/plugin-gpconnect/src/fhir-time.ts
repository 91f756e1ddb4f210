/**
 * GP Connect dates and times: `yyyy-mm-ddThh:mm:ss+hh:mm` in UK local time, with the offset
 * (`+00:00` in winter, `+01:00` in summer time). Written in the practice's zone with luxon, so a
 * 09:00 slot stays 09:00 across daylight saving; read into UTC instants from the offset given.
 */
import { DateTime } from 'luxon';

/** An instant as GP Connect writes it, in `zone`: `2016-08-15T11:30:00+01:00`. */
export function fhirDateTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

/** A FHIR dateTime with an offset (or `Z`) → the instant; null when it is not one. */
export function parseFhirDateTime(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : null;
}

/** The practice-local date (yyyy-MM-dd) of an instant. */
export function localDate(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** `instant` plus `days` calendar days in `zone` (the same wall time). */
export function plusLocalDays(instant: Date, days: number, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).plus({ days }).toJSDate();
}
