/**
 * The SystmOne side of the mapping screens, from GetOrganisation: users as practitioners (id =
 * UserName, as clinics name them), sites as locations (id = SiteName), slot types with whether
 * third parties may book them (id = the slot type's name, as slots name it).
 */
import type { EhrCatalogue, EhrContext } from '@slotbridge/core/plugin';
import type { SystmOneClient } from './client.ts';
import type { SystmOneConnection } from './connection.ts';

export async function discoverCatalogue(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
): Promise<EhrCatalogue> {
  const organisation = await client.getOrganisation(ctx.signal);
  return {
    practitioners: organisation.users.map((user) => ({
      ehrId: user.userName,
      name: user.fullName || user.userName,
      attributes: { role: user.role },
    })),
    locations: organisation.sites.map((site) => ({ ehrId: site, name: site })),
    slotTypes: organisation.slotTypes.map((slotType) => ({
      ehrId: slotType.name,
      name: slotType.name,
      // `bookable`, the core's word for it: SystmOne marks the slot type bookable by third parties.
      attributes: { bookable: slotType.bookableByThirdParties },
    })),
  };
}
