/**
 * EMIS keeps the diary in the practice's wall-clock time: dates as dd/mm/yyyy, times as HH:mm
 * (*modelled* time format). These helpers convert between that and instants in the practice's
 * IANA zone, so a 09:00 slot is 09:00 Europe/London in GMT and in BST alike.
 */
import { DateTime } from 'luxon';
import { emisError } from './errors.ts';

export const EMIS_DATE_FORMAT = 'dd/MM/yyyy';
const EMIS_DATE_TIME_FORMAT = 'dd/MM/yyyy HH:mm';

/** The practice-local calendar date of `instant`, as EMIS writes dates. */
export function emisDateOf(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat(EMIS_DATE_FORMAT);
}

/** `yyyy-mm-dd` → `dd/mm/yyyy`. */
export function emisDateOfIsoDate(isoDate: string): string {
  return DateTime.fromISO(isoDate, { zone: 'UTC' }).toFormat(EMIS_DATE_FORMAT);
}

/**
 * Instants already worked out, by zone, date and time: a diary repeats its times day after day
 * and practice after practice, and luxon's parse is the dearest part of reading slots. Bounded:
 * emptied when it reaches WALL_TIMES_KEPT.
 */
const wallTimes = new Map<string, number>();
const WALL_TIMES_KEPT = 100_000;

/** The instant of an EMIS wall-clock date and time (`dd/mm/yyyy`, `HH:mm`) in `timeZone`. */
export function instantOfEmisWallTime(date: string, time: string, timeZone: string): Date {
  const key = `${timeZone} ${date} ${time}`;
  const known = wallTimes.get(key);
  if (known !== undefined) return new Date(known);
  const instant = parseEmisWallTime(date, time, timeZone);
  if (wallTimes.size >= WALL_TIMES_KEPT) wallTimes.clear();
  wallTimes.set(key, instant.getTime());
  return instant;
}

function parseEmisWallTime(date: string, time: string, timeZone: string): Date {
  const dateTime = DateTime.fromFormat(`${date} ${time}`, EMIS_DATE_TIME_FORMAT, { zone: timeZone });
  if (!dateTime.isValid) {
    throw emisError('EMIS_ERR_UNEXPECTED_RESPONSE', `EMIS sent a date/time that is not dd/mm/yyyy HH:mm`, {
      details: { date, time },
    });
  }
  return dateTime.toJSDate();
}

/**
 * The practice-local dates covering [from, to), as inclusive `dd/mm/yyyy` spans of at most
 * `maxDays` calendar days each (GetAppointmentSessions takes at most 90).
 */
export function emisDateSpans(
  from: Date,
  to: Date,
  timeZone: string,
  maxDays: number,
): { startDate: string; endDate: string }[] {
  if (to.getTime() <= from.getTime()) return [];
  const firstDay = DateTime.fromJSDate(from, { zone: timeZone }).startOf('day');
  const lastDay = DateTime.fromJSDate(new Date(to.getTime() - 1), { zone: timeZone }).startOf('day');
  const spans: { startDate: string; endDate: string }[] = [];
  for (let start = firstDay; start <= lastDay; start = start.plus({ days: maxDays })) {
    const end = DateTime.min(start.plus({ days: maxDays - 1 }), lastDay);
    spans.push({ startDate: start.toFormat(EMIS_DATE_FORMAT), endDate: end.toFormat(EMIS_DATE_FORMAT) });
  }
  return spans;
}
