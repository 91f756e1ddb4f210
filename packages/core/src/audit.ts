/** The audit log: who changed what, when. Details never hold secrets or patient data. */
import { sql } from 'kysely';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import { CoreErrorCode, NotFoundError } from './errors.ts';

export interface AuditEventView {
  id: string;
  /** e.g. `practitioner.created`, `connection.saved`, `catalogue.discovered`. */
  action: string;
  /** The key that made the change; null for the system (start-up, demo set-up) or a deleted key. */
  apiKeyId: string | null;
  apiKeyLabel: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

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

/**
 * A practice's audit events, newest first. `before` is the id of an event of this practice (the
 * last one of the previous page): only older events follow it.
 */
export async function listAuditEvents(
  db: Db,
  practiceId: string,
  options: { limit: number; before?: string },
): Promise<AuditEventView[]> {
  let query = db
    .selectFrom('audit_events as e')
    .leftJoin('api_keys as k', 'k.id', 'e.api_key_id')
    .select(['e.id', 'e.action', 'e.api_key_id', 'k.label', 'e.details', 'e.created_at'])
    .where('e.practice_id', '=', practiceId)
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(options.limit);
  if (options.before !== undefined) {
    const cursor = await db
      .selectFrom('audit_events')
      .select('id')
      .where('id', '=', options.before)
      .where('practice_id', '=', practiceId)
      .executeTakeFirst();
    if (!cursor) {
      throw new NotFoundError(
        CoreErrorCode.AUDIT_EVENT_NOT_FOUND,
        `No audit event ${options.before} at this practice`,
        { fix: 'Pass as "before" the id of the last event of the previous page.' },
      );
    }
    // Compared in the database: timestamptz keeps microseconds, a JavaScript Date does not.
    query = query.where(
      sql<boolean>`(e.created_at, e.id) < (select created_at, id from audit_events where id = ${cursor.id})`,
    );
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    action: row.action,
    apiKeyId: row.api_key_id,
    apiKeyLabel: row.label,
    details: row.details,
    createdAt: row.created_at.toISOString(),
  }));
}
