/**
 * The HS1 Exact side of the mapping screens (seed 003; refreshing it is Healthengine's "Refresh
 * linked PMS appointment types"): providers as practitioners, the practice as the one location,
 * and booking reasons as the slot types — each with the providers it is configured for and their
 * durations, whether it is the marketing reason, and whether it is the default reason.
 */
import type { EhrCatalogue, EhrContext } from '@slotbridge/core/plugin';
import type { Hs1ExactClient } from './client.ts';
import type { Hs1ExactConnection } from './connection.ts';
import { defaultReasonOf } from './default-reason.ts';

export async function discoverCatalogue(
  client: Hs1ExactClient,
  ctx: EhrContext<Hs1ExactConnection>,
): Promise<EhrCatalogue> {
  const setup = await client.getOnlineBookingSetup(ctx.signal);
  const defaultReason = defaultReasonOf(setup.bookingReasons);
  return {
    practitioners: setup.providers.map((provider) => {
      const online = setup.onlineBookingConfiguration.find((o) => o.providerId === provider.id);
      return {
        ehrId: provider.id,
        name: [provider.title, provider.firstName, provider.lastName].join(' ').replace(/\s+/g, ' ').trim(),
        attributes: {
          role: provider.role,
          onlineBooking: online
            ? {
                durationMinutes: online.durationMinutes,
                intervalMinutes: online.intervalMinutes,
                bookableTime: online.bookableTime,
                daysAhead: online.daysAhead,
              }
            : null,
          bookingReasonIds: setup.bookingReasons
            .filter((r) => r.providers.some((p) => p.providerId === provider.id))
            .map((r) => r.id),
        },
      };
    }),
    locations: [{ ehrId: setup.practice.id, name: setup.practice.name }],
    slotTypes: setup.bookingReasons.map((reason) => ({
      ehrId: reason.id,
      name: reason.name,
      attributes: {
        bookable: true,
        marketing: reason.marketing,
        default: reason.id === defaultReason?.reason.id,
        providers: reason.providers.map((p) => ({
          providerId: p.providerId,
          durationMinutes: p.durationMinutes,
        })),
      },
    })),
  };
}
