/**
 * The EMIS Web plugin, declared as one object: its connection settings, what EMIS can do, and
 * the hooks the core calls.
 */
import { defineEhrPlugin, type EhrCapabilities } from '@slotbridge/core/plugin';
import { writeBooking } from './booking-write.ts';
import { checkEmisSetup } from './check-setup.ts';
import { clientFor } from './client-pool.ts';
import { connectionSchema, type EmisConnection } from './connection.ts';
import { discoverCatalogue } from './discover.ts';
import { emisSetupSteps } from './setup-steps.ts';
import { fetchSlots, MAX_SESSIONS_WINDOW_DAYS } from './slot-fetch.ts';

export const emisCapabilities: EhrCapabilities = {
  cancel: true,
  // CancelAppointment + BookAppointment is not an atomic move; a later issue decides how to offer it.
  // Four weeks is the usual GP online-booking horizon and one GetAppointmentSessions call per
  // slot type; 90 is the most one call can read, and a longer horizon only multiplies the reads.
  publishingHorizonDays: { default: 28, max: 90 },
  // A read is one GetAppointmentSessions call per active slot type and one GetSlotsForSession
  // call per session: the near window (48 h, about 10 sessions) every 15 s is ~45 calls a
  // minute, the rest of four weeks every 5 minutes ~20 more. 120 a minute leaves room for
  // bookings and refreshes while staying gentle on the practice's EMIS.
  callsPerMinute: 120,
  maxFetchWindowDays: MAX_SESSIONS_WINDOW_DAYS,
};

export const emisPlugin = defineEhrPlugin<EmisConnection>({
  id: 'emis',
  name: 'EMIS Web',
  connectionSchema,
  capabilities: emisCapabilities,
  setupSteps: emisSetupSteps,
  checkSetup: (ctx) => checkEmisSetup(ctx),
  discover: (ctx) => discoverCatalogue(clientFor(ctx.connection), ctx),
  onSlotFetch: (ctx, window) => fetchSlots(clientFor(ctx.connection), ctx, window),
  onBookingWrite: (ctx, command) => writeBooking(clientFor(ctx.connection), ctx, command),
});
