/**
 * The EMIS side of the mapping screens (seed 000): session holders as practitioners, sites as
 * locations, slot types with their `bookable` flag, from GetAppointmentConfiguration.
 */
import type { EhrCatalogue, EhrContext } from '@slotbridge/core/plugin';
import type { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisDateOf } from './emis-time.ts';

function personName(...parts: string[]): string {
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

export async function discoverCatalogue(
  client: EmisClient,
  ctx: EhrContext<EmisConnection>,
): Promise<EhrCatalogue> {
  // The dates only bound the holiday lists, which the catalogue does not use: today is enough.
  const today = emisDateOf(new Date(), ctx.practice.timeZone);
  const configuration = await client.getAppointmentConfiguration(
    { startDate: today, endDate: today },
    ctx.signal,
  );
  return {
    practitioners: (configuration.holderList ?? []).map((holder) => ({
      ehrId: String(holder.dbid),
      name: personName(holder.title, holder.firstNames, holder.surname),
    })),
    locations: (configuration.siteList ?? []).map((site) => ({ ehrId: String(site.dbid), name: site.name })),
    slotTypes: (configuration.slotTypeList ?? []).map((slotType) => ({
      ehrId: slotType.id,
      name: slotType.description,
      attributes: { bookable: slotType.bookable === 'true', display: slotType.display },
    })),
  };
}
