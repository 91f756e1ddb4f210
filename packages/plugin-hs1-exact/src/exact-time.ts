/**
 * Exact keeps the diary in the practice's wall-clock time: dates `yyyy-mm-dd`, times `HH:mm`
 * (*modelled*). These helpers turn that into instants in the practice's IANA zone (luxon, so a
 * 09:00 slot is 09:00 Australia/Sydney in AEST and in AEDT alike) and back, and read the
 * practice server's clock.
 */
import { localDateOf } from '@slotbridge/core/plugin';
import { DateTime } from 'luxon';
import { hs1Error } from './errors.ts';

export function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The instant of an Exact wall-clock date and time (`yyyy-mm-dd`, `HH:mm`) in `timeZone`. */
export function instantOfExactTime(date: string, time: string, timeZone: string): Date {
  const value = DateTime.fromISO(`${date}T${time}`, { zone: timeZone });
  if (!value.isValid) {
    throw hs1Error('HS1_ERR_UNEXPECTED_RESPONSE', 'HS1 sent a date/time that is not yyyy-mm-dd HH:mm', {
      details: { date, time },
    });
  }
  return value.toJSDate();
}

/** The practice server's "now" (`yyyy-MM-ddTHH:mm:ss`, local): its date and minute of the day. */
export interface ServerClock {
  date: string;
  minutes: number;
}

export function serverClockOf(serverTime: string): ServerClock {
  const value = DateTime.fromISO(serverTime, { zone: 'UTC' });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(serverTime) || !value.isValid) {
    throw hs1Error('HS1_ERR_UNEXPECTED_RESPONSE', 'HS1 sent a serverTime that is not a local date-time', {
      details: { serverTime },
    });
  }
  return { date: value.toISODate()!, minutes: value.hour * 60 + value.minute };
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** The practice-local dates covering [from, to), oldest first. */
export function localDatesOf(from: Date, to: Date, timeZone: string): string[] {
  if (to.getTime() <= from.getTime()) return [];
  const last = localDateOf(new Date(to.getTime() - 1), timeZone);
  const dates: string[] = [];
  for (let date = localDateOf(from, timeZone); date <= last; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** Consecutive dates cut into spans of at most `maxDays`, as inclusive `{ from, to }`. */
export function dateSpans(dates: string[], maxDays: number): { from: string; to: string }[] {
  const spans: { from: string; to: string }[] = [];
  for (let i = 0; i < dates.length; i += maxDays) {
    const chunk = dates.slice(i, i + maxDays);
    spans.push({ from: chunk[0]!, to: chunk[chunk.length - 1]! });
  }
  return spans;
}
