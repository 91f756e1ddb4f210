/**
 * The GP Connect plugin, declared as one object. The client holds no state beyond a shared TLS
 * agent per partner certificate, so each hook call makes its own.
 */
import { defineEhrPlugin, type EhrCapabilities } from '@slotbridge/core/plugin';
import { writeBooking } from './booking-write.ts';
import { checkGpConnectSetup } from './check-setup.ts';
import { GpConnectClient } from './client.ts';
import { connectionSchema, type GpConnectConnection } from './connection.ts';
import { discoverCatalogue } from './discover.ts';
import { gpconnectSetupSteps } from './setup-steps.ts';
import { fetchSlots } from './slot-fetch.ts';

export const gpconnectCapabilities: EhrCapabilities = {
  // PUT /Appointment/{id} with status cancelled and a cancellation reason.
  cancel: true,
  // GP Connect providers publish two to four weeks of slots to GP Connect booking.
  publishingHorizonDays: { default: 14, max: 28 },
  // A read is one slot search per 14 days (two at most): the near window every 15 s is 4 a
  // minute, 28 days every 5 minutes under 1 more; a booking is 3–4 calls. 30 a minute leaves room
  // for bookings and keeps within the Spine's per-consumer fair use.
  callsPerMinute: 30,
  // The standard: a consumer SHALL request at most two weeks per search.
  maxFetchWindowDays: 14,
  // Search for free slots returns free slots only.
  listsBookedSlots: false,
};

export const gpconnectPlugin = defineEhrPlugin<GpConnectConnection>({
  id: 'gpconnect',
  name: 'NHS GP Connect',
  connectionSchema,
  capabilities: gpconnectCapabilities,
  setupSteps: gpconnectSetupSteps,
  checkSetup: (ctx) => checkGpConnectSetup(ctx),
  discover: (ctx) => discoverCatalogue(new GpConnectClient(ctx.connection), ctx),
  onSlotFetch: (ctx, window) => fetchSlots(new GpConnectClient(ctx.connection), ctx, window),
  onBookingWrite: (ctx, command) => writeBooking(new GpConnectClient(ctx.connection), ctx, command),
});
