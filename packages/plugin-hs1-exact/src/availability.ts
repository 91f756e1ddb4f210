/**
 * What HS1 Exact publishes for online booking, computed from the practice's own set-up (seed 003):
 *
 * - Only providers in the Online Booking Configuration, only up to their days ahead of the
 *   practice server's today, only from its current time on.
 * - Each working period (the working hours cut at every break) is reduced to the time the
 *   provider's configuration makes bookable online (a named clinic, unbooked time outside
 *   clinics, or all unbooked time), less every appointment that is not Cancelled.
 * - Slots start on the provider's interval (multiples of it from midnight) where a slot of the
 *   provider's online duration is free.
 * - The fit rule: a booking reason linked to the provider is offered at a start when its
 *   duration for that provider is at least the provider's online duration (a shorter reason
 *   does not fill an online slot, and Exact does not show it) and the free time from that start
 *   is at least the reason's duration.
 * - Appointment Stacking on: every such start. Off: only the first start of each working period
 *   (the first available slot after each break — typically one morning and one afternoon slot).
 */
import type {
  BookableTime,
  BookingReason,
  Clinic,
  OnlineBookingProvider,
  OnlineBookingSetup,
  ScheduledAppointment,
  WorkingDay,
} from './exact-api.ts';
import { addDays, minutesOf, type ServerClock, timeOf } from './exact-time.ts';

/** The parts of a schedule availability reads. */
export interface ScheduleFacts {
  workingDays: WorkingDay[];
  clinics: Clinic[];
  appointments: ScheduledAppointment[];
}

type Range = [start: number, end: number];

/** One working period (between breaks) and its free time bookable online, minutes of the day. */
export interface OnlinePeriod {
  start: number;
  end: number;
  free: Range[];
}

/** One published offer: a provider, a start and a booking reason that fits there. */
export interface OnlineSlot {
  providerId: string;
  date: string;
  startTime: string;
  reasonId: string;
  durationMinutes: number;
}

export interface AvailabilityInput {
  setup: OnlineBookingSetup;
  schedule: ScheduleFacts;
  /** The practice-local dates to compute. */
  dates: string[];
  /** The practice server's now: nothing before it, nothing after its date + days ahead. */
  clock: ServerClock;
  /** Appointment Stacking; default the setup's. */
  stacking?: boolean;
}

function subtract(ranges: Range[], cutStart: number, cutEnd: number): Range[] {
  return ranges.flatMap(([start, end]): Range[] => {
    if (cutEnd <= start || cutStart >= end) return [[start, end]];
    const parts: Range[] = [];
    if (cutStart > start) parts.push([start, cutStart]);
    if (cutEnd < end) parts.push([cutEnd, end]);
    return parts;
  });
}

function intersect(ranges: Range[], others: Range[]): Range[] {
  return ranges
    .flatMap(([start, end]) =>
      others.map(([otherStart, otherEnd]): Range => [Math.max(start, otherStart), Math.min(end, otherEnd)]),
    )
    .filter(([start, end]) => start < end)
    .sort((a, b) => a[0] - b[0]);
}

/** The working periods of a provider's day: the working hours cut at every break. */
export function workingPeriods(day: WorkingDay): Range[] {
  let periods: Range[] = [[minutesOf(day.start), minutesOf(day.end)]];
  for (const pause of day.breaks) periods = subtract(periods, minutesOf(pause.start), minutesOf(pause.end));
  return periods;
}

/** Each working period of the day with its free time bookable online from `notBefore` (minutes) on. */
export function onlinePeriods(
  day: WorkingDay,
  facts: ScheduleFacts,
  bookableTime: BookableTime,
  notBefore: number,
): OnlinePeriod[] {
  const clinics = facts.clinics.filter((c) => c.providerId === day.providerId && c.date === day.date);
  const booked = facts.appointments.filter(
    (a) => a.providerId === day.providerId && a.date === day.date && a.status !== 'Cancelled',
  );
  return workingPeriods(day).map(([start, end]) => {
    const from = Math.max(start, notBefore);
    let free: Range[] = from < end ? [[from, end]] : [];
    if (bookableTime.kind === 'clinic') {
      const wanted = bookableTime.clinicName.trim().toLowerCase();
      free = intersect(
        free,
        clinics
          .filter((c) => c.name.trim().toLowerCase() === wanted)
          .map((c): Range => [minutesOf(c.start), minutesOf(c.end)]),
      );
    } else if (bookableTime.kind === 'unbookedNonClinic') {
      for (const clinic of clinics) free = subtract(free, minutesOf(clinic.start), minutesOf(clinic.end));
    }
    for (const appointment of booked) {
      const appointmentStart = minutesOf(appointment.startTime);
      free = subtract(free, appointmentStart, appointmentStart + appointment.durationMinutes);
    }
    return { start, end, free };
  });
}

/** The reasons linked to a provider, in Web Setup order, with their duration for that provider. */
export function reasonsOf(
  reasons: BookingReason[],
  providerId: string,
): { reasonId: string; durationMinutes: number }[] {
  return reasons.flatMap((reason) => {
    const link = reason.providers.find((p) => p.providerId === providerId);
    return link ? [{ reasonId: reason.id, durationMinutes: link.durationMinutes }] : [];
  });
}

/** The fit rule's first half: the reason fills at least one online slot of the provider. */
export function fillsOnlineSlot(reasonMinutes: number, online: OnlineBookingProvider): boolean {
  return reasonMinutes >= online.durationMinutes;
}

/** The last date the provider's days ahead reaches from the practice server's today. */
export function lastOnlineDate(online: OnlineBookingProvider, clock: ServerClock): string {
  return addDays(clock.date, online.daysAhead);
}

/** The provider's online periods on `date`, or null when nothing can be published that day. */
function providerDay(
  online: OnlineBookingProvider,
  facts: ScheduleFacts,
  date: string,
  clock: ServerClock,
): OnlinePeriod[] | null {
  if (date < clock.date || date > lastOnlineDate(online, clock)) return null;
  const day = facts.workingDays.find((d) => d.providerId === online.providerId && d.date === date);
  if (!day) return null;
  return onlinePeriods(day, facts, online.bookableTime, date === clock.date ? clock.minutes : 0);
}

/** Every offer Exact publishes for the dates, by provider, date and start, reasons in Web Setup order. */
export function onlineSlots(input: AvailabilityInput): OnlineSlot[] {
  const stacking = input.stacking ?? input.setup.appointmentStacking;
  const slots: OnlineSlot[] = [];
  for (const online of input.setup.onlineBookingConfiguration) {
    const reasons = reasonsOf(input.setup.bookingReasons, online.providerId).filter((r) =>
      fillsOnlineSlot(r.durationMinutes, online),
    );
    if (reasons.length === 0) continue;
    for (const date of input.dates) {
      const periods = providerDay(online, input.schedule, date, input.clock);
      for (const period of periods ?? []) {
        const starts: OnlineSlot[][] = [];
        for (const [freeStart, freeEnd] of period.free) {
          const first = Math.ceil(freeStart / online.intervalMinutes) * online.intervalMinutes;
          for (
            let start = first;
            start + online.durationMinutes <= freeEnd;
            start += online.intervalMinutes
          ) {
            const fitting = reasons.filter((r) => start + r.durationMinutes <= freeEnd);
            if (fitting.length === 0) continue;
            starts.push(
              fitting.map((r) => ({
                providerId: online.providerId,
                date,
                startTime: timeOf(start),
                reasonId: r.reasonId,
                durationMinutes: r.durationMinutes,
              })),
            );
          }
        }
        slots.push(...(stacking ? starts : starts.slice(0, 1)).flat());
      }
    }
  }
  return slots;
}
