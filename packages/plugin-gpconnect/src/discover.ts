/**
 * The GP Connect side of the mapping screens. GP Connect has no practitioner, location or slot
 * type list: discover reads the free slots of the next DISCOVER_DAYS (two 14-day searches) and
 * lists the practitioners and locations the schedules name, and the slot types their slots carry
 * (id from `serviceType` text and delivery channel, see slot-bundle.ts). Every slot type found
 * this way is one the practice released to GP Connect booking, so each is marked `bookable`.
 */
import type { EhrCatalogue, EhrContext } from '@slotbridge/core/plugin';
import type { GpConnectClient } from './client.ts';
import type { GpConnectConnection } from './connection.ts';
import { searchSlots } from './slot-fetch.ts';

export const DISCOVER_DAYS = 28;

export async function discoverCatalogue(
  client: GpConnectClient,
  ctx: EhrContext<GpConnectConnection>,
): Promise<EhrCatalogue> {
  const from = new Date();
  const to = new Date(from.getTime() + DISCOVER_DAYS * 86_400_000);
  const read = await searchSlots(client, ctx, from, to);
  const slotTypes = new Map<string, EhrCatalogue['slotTypes'][number]>();
  for (const slot of read.slots) {
    if (slotTypes.has(slot.slotTypeId)) continue;
    slotTypes.set(slot.slotTypeId, {
      ehrId: slot.slotTypeId,
      name: slot.slotTypeName,
      attributes: {
        bookable: true,
        serviceType: slot.serviceType,
        ...(slot.deliveryChannel ? { deliveryChannel: slot.deliveryChannel } : {}),
      },
    });
  }
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    practitioners: [...read.practitioners.values()]
      .map((p) => ({
        ehrId: p.id,
        name: p.name,
        attributes: { ...(p.role ? { role: p.role } : {}), ...(p.gender ? { gender: p.gender } : {}) },
      }))
      .sort(byName),
    locations: [...read.locations.values()].map((l) => ({ ehrId: l.id, name: l.name })).sort(byName),
    slotTypes: [...slotTypes.values()].sort(byName),
  };
}
