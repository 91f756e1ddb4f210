/**
 * SystmOne keeps the diary in the practice's wall-clock time: `DateTimeStart`, `MinDateTime` and
 * `MaxDateTime` are `yyyy-MM-ddTHH:mm:ss` with no offset (*modelled* format). These helpers
 * convert between that and instants in the practice's IANA zone with luxon, so a 09:00 slot is
 * 09:00 Europe/London in GMT and in BST alike.
 */
import { DateTime } from 'luxon';
import { SYSTMONE_DATE_TIME_FORMAT, SYSTMONE_DATE_TIME_PATTERN } from './client-integration-api.ts';

/** The instant of a SystmOne wall-clock date-time in `timeZone`, or null when it is not one. */
export function instantOfSystmOneTime(text: string, timeZone: string): Date | null {
  if (!SYSTMONE_DATE_TIME_PATTERN.test(text)) return null;
  const dateTime = DateTime.fromFormat(text, SYSTMONE_DATE_TIME_FORMAT, { zone: timeZone });
  return dateTime.isValid ? dateTime.toJSDate() : null;
}

/** The practice-local wall-clock rendering of `instant`, as SystmOne writes date-times. */
export function systmOneTimeOf(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat(SYSTMONE_DATE_TIME_FORMAT);
}

/** The practice-local calendar date (yyyy-mm-dd) a SystmOne date-time falls on. */
export function dateOfSystmOneTime(text: string): string {
  return text.slice(0, 10);
}

/**
 * The practice-local days covering [from, to), as GetAppointmentSlots ranges of at most
 * `maxDays` whole days each (00:00:00 of the first day to 23:59:59 of the last, both included).
 * Whole days keep the clocks changing out of the range ends; the caller keeps [from, to) itself.
 */
export function systmOneDayRanges(
  from: Date,
  to: Date,
  timeZone: string,
  maxDays: number,
): { minDateTime: string; maxDateTime: string }[] {
  if (to.getTime() <= from.getTime()) return [];
  const firstDay = DateTime.fromJSDate(from, { zone: timeZone }).startOf('day');
  const lastDay = DateTime.fromJSDate(new Date(to.getTime() - 1), { zone: timeZone }).startOf('day');
  const ranges: { minDateTime: string; maxDateTime: string }[] = [];
  for (let start = firstDay; start <= lastDay; start = start.plus({ days: maxDays })) {
    const end = DateTime.min(start.plus({ days: maxDays - 1 }), lastDay);
    ranges.push({
      minDateTime: `${start.toISODate()}T00:00:00`,
      maxDateTime: `${end.toISODate()}T23:59:59`,
    });
  }
  return ranges;
}
