/** The audit log: who changed what, when. Details never hold secrets or patient data. */
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';

export async function recordAudit(
  db: Db,
  caller: Caller | null,
  practiceId: string | null,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      practice_id: practiceId,
      api_key_id: caller?.apiKeyId ?? null,
      action,
      details: JSON.stringify(details),
    })
    .execute();
}
