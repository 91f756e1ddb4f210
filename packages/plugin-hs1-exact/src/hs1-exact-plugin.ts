/**
 * The HS1 Exact plugin, declared as one object: its connection settings, what Exact's online
 * booking can do, and the hooks the core calls. The client holds no state (no token: the API key
 * goes with every call), so each hook call makes its own.
 */
import { defineEhrPlugin, type EhrCapabilities } from '@slotbridge/core/plugin';
import { writeBooking } from './booking-write.ts';
import { checkHs1ExactSetup } from './check-setup.ts';
import { Hs1ExactClient } from './client.ts';
import { connectionSchema, type Hs1ExactConnection } from './connection.ts';
import { diagnoseAvailability } from './diagnose.ts';
import { discoverCatalogue } from './discover.ts';
import { MAX_SCHEDULE_DAYS } from './exact-api.ts';
import { hs1ExactSetupSteps } from './setup-steps.ts';
import { fetchSlots } from './slot-fetch.ts';

export const hs1ExactCapabilities: EhrCapabilities = {
  // Exact's online booking has no cancellation: patients call the practice, which cancels in Exact (seed 003).
  cancel: false,
  // Seed 003: the integration publishes 30 days by default and 90 at most.
  publishingHorizonDays: { default: 30, max: 90 },
  // Every read is relayed by HS1's cloud to the practice's own server over its internet link; a read
  // is 2 relayed calls (set-up, schedule), 4 for 90 days. The near window every 15 s is 8 a minute,
  // the rest every 5 minutes under 1 more: 30 a minute keeps the practice's link light.
  callsPerMinute: 30,
  // The schedule is read at most 31 days a call; onSlotFetch also splits longer windows itself.
  maxFetchWindowDays: MAX_SCHEDULE_DAYS,
  // Live appointments come back as booked slots, so one that vanishes was cancelled in Exact.
  listsBookedSlots: true,
};

export const hs1ExactPlugin = defineEhrPlugin<Hs1ExactConnection>({
  id: 'hs1-exact',
  name: 'HS1 Exact',
  connectionSchema,
  capabilities: hs1ExactCapabilities,
  setupSteps: hs1ExactSetupSteps,
  checkSetup: (ctx) => checkHs1ExactSetup(ctx),
  discover: (ctx) => discoverCatalogue(new Hs1ExactClient(ctx.connection), ctx),
  onSlotFetch: (ctx, window) => fetchSlots(new Hs1ExactClient(ctx.connection), ctx, window),
  onBookingWrite: (ctx, command) => writeBooking(new Hs1ExactClient(ctx.connection), ctx, command),
  diagnose: (ctx, input) => diagnoseAvailability(new Hs1ExactClient(ctx.connection), ctx, input),
});
