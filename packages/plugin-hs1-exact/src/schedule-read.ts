/**
 * Reads what availability needs for some practice-local dates: Web Setup and the Online Booking
 * Configuration once, then the schedule in calls of at most 31 days.
 */

import type { ScheduleFacts } from './availability.ts';
import type { Hs1ExactClient } from './client.ts';
import { MAX_SCHEDULE_DAYS, type OnlineBookingSetup } from './exact-api.ts';
import { dateSpans, type ServerClock, serverClockOf } from './exact-time.ts';

export interface PracticeState {
  setup: OnlineBookingSetup;
  schedule: ScheduleFacts;
  clock: ServerClock;
}

export async function readPracticeState(
  client: Hs1ExactClient,
  dates: string[],
  signal: AbortSignal,
): Promise<PracticeState> {
  const setup = await client.getOnlineBookingSetup(signal);
  const schedule: ScheduleFacts = { workingDays: [], clinics: [], appointments: [] };
  for (const span of dateSpans(dates, MAX_SCHEDULE_DAYS)) {
    const part = await client.getSchedule(span, signal);
    schedule.workingDays.push(...(part.workingDays ?? []));
    schedule.clinics.push(...(part.clinics ?? []));
    schedule.appointments.push(...(part.appointments ?? []));
  }
  return { setup, schedule, clock: serverClockOf(setup.serverTime) };
}
