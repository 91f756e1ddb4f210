/**
 * The EHR side's catalogue, refreshed through the plugin's discover hook: session holders /
 * clinicians, sites, slot types. Entities that vanish from the EHR are marked gone, not deleted.
 */
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Connections } from './connections.ts';
import type { Db } from './db/database.ts';
import type { CatalogueKind, Practice } from './db/schema.ts';
import type { EhrCatalogue } from './ehr-plugin.ts';
import type { EhrRegistry } from './ehr-registry.ts';

export class EhrCatalogueStore {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
  ) {}

  /** Reads the EHR catalogue through the discover hook; entities no longer there are marked gone. */
  async discover(caller: Caller | null, practice: Practice): Promise<EhrCatalogue> {
    const ctx = await this.connections.context(practice);
    const catalogue = await this.ehr.discover(practice.ehr, ctx);
    const now = new Date();
    const groups: [CatalogueKind, EhrCatalogue[keyof EhrCatalogue]][] = [
      ['practitioner', catalogue.practitioners],
      ['location', catalogue.locations],
      ['slot_type', catalogue.slotTypes],
    ];
    await this.db.transaction().execute(async (trx) => {
      for (const [kind, entries] of groups) {
        for (const entry of entries) {
          const values = {
            name: entry.name,
            attributes: JSON.stringify(entry.attributes ?? {}),
            last_seen_at: now,
          };
          await trx
            .insertInto('ehr_catalogue')
            .values({ practice_id: practice.id, kind, ehr_id: entry.ehrId, ...values })
            .onConflict((oc) =>
              oc.columns(['practice_id', 'kind', 'ehr_id']).doUpdateSet({ ...values, gone_at: null }),
            )
            .execute();
        }
        let gone = trx
          .updateTable('ehr_catalogue')
          .set({ gone_at: now })
          .where('practice_id', '=', practice.id)
          .where('kind', '=', kind)
          .where('gone_at', 'is', null);
        if (entries.length > 0)
          gone = gone.where(
            'ehr_id',
            'not in',
            entries.map((e) => e.ehrId),
          );
        await gone.execute();
      }
    });
    await recordAudit(this.db, caller, practice.id, 'catalogue.discovered', {
      practitioners: catalogue.practitioners.length,
      locations: catalogue.locations.length,
      slotTypes: catalogue.slotTypes.length,
    });
    return catalogue;
  }
}
