/**
 * The TPP SystmOne plugin, declared as one object: its connection settings, what SystmOne can
 * do through the Client Integration API, and the hooks the core calls. The client holds no
 * state (no token, no pooled socket), so each hook call makes its own.
 */
import { defineEhrPlugin, type EhrCapabilities } from '@slotbridge/core/plugin';
import { writeBooking } from './booking-write.ts';
import { checkSystmOneSetup } from './check-setup.ts';
import { SystmOneClient } from './client.ts';
import { connectionSchema, type SystmOneConnection } from './connection.ts';
import { discoverCatalogue } from './discover.ts';
import { systmoneSetupSteps } from './setup-steps.ts';
import { fetchSlots } from './slot-fetch.ts';

export const systmoneCapabilities: EhrCapabilities = {
  // A status change naming the AppointmentUID.
  cancel: true,
  // No move in the API: a cancel and a new booking are not atomic; a later issue decides how to offer it.
  // Four weeks is the usual GP online-booking horizon. Every read is served by the SystmOne desktop
  // client on a practice PC that staff may be using, one request at a time, so eight weeks (8
  // requests of a week) is the most we ask of it.
  publishingHorizonDays: { default: 28, max: 56 },
  // A read is one GetAppointmentSlots request a week of window: the near window (48 h) every 15 s
  // is 4–8 a minute, four weeks every 5 minutes about 1 more. 30 a minute keeps the practice PC,
  // which serves one request at a time, light.
  callsPerMinute: 30,
  // onSlotFetch splits any window into week-long requests itself; the core may ask for the whole horizon.
  maxFetchWindowDays: 56,
};

export const systmonePlugin = defineEhrPlugin<SystmOneConnection>({
  id: 'systmone',
  name: 'TPP SystmOne',
  connectionSchema,
  capabilities: systmoneCapabilities,
  setupSteps: systmoneSetupSteps,
  checkSetup: (ctx) => checkSystmOneSetup(ctx),
  discover: (ctx) => discoverCatalogue(new SystmOneClient(ctx.connection), ctx),
  onSlotFetch: (ctx, window) => fetchSlots(new SystmOneClient(ctx.connection), ctx, window),
  onBookingWrite: (ctx, command) => writeBooking(new SystmOneClient(ctx.connection), ctx, command),
});
