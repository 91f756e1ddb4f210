/** The audit log: who changed what, when. Details never hold secrets or patient data. */
import { sql } from 'kysely';
import { type Static, Type } from 'typebox';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import { CoreErrorCode, NotFoundError } from './errors.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  encodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from './pages.ts';
import { DateTime, FreeObject } from './view-schemas.ts';

/** One change to a practice as the API answers it (component `AuditEvent`). */
export const AuditEventViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Pass as "before" to read the next (older) page' }),
    action: Type.String({ examples: ['practitioner.created'] }),
    apiKeyId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'The key that made the change; null for the system or a deleted key',
    }),
    apiKeyLabel: Type.Union([Type.String(), Type.Null()]),
    details: FreeObject('What changed. Never secrets or patient data.'),
    createdAt: DateTime('When it happened'),
  },
  { $id: 'AuditEvent', description: 'One change to a practice: who made it, what changed' },
);
export type AuditEventView = Static<typeof AuditEventViewSchema>;

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

const AUDIT_ORDER: readonly CursorPart[] = ['instant', 'uuid'];

/**
 * A practice's audit events, newest first, in pages: `cursor` is the previous page's `next`.
 * `before` (an event id, the older way to page) is still read when no cursor is given.
 */
export async function auditEventsPage(
  db: Db,
  practiceId: string,
  page: PageRequest & { before?: string },
): Promise<Page<AuditEventView>> {
  if (page.cursor === undefined) {
    // The first page, or a page after an event id: read one more to know whether a next exists.
    const events = await listAuditEvents(db, practiceId, {
      limit: page.limit + 1,
      ...(page.before !== undefined && { before: page.before }),
    });
    if (events.length <= page.limit) return { items: events, next: null };
    events.length = page.limit;
    const last = await db
      .selectFrom('audit_events')
      .select(exactInstant('created_at').as('at'))
      .where('id', '=', events.at(-1)!.id)
      .executeTakeFirstOrThrow();
    return { items: events, next: encodeAuditCursor(last.at, events.at(-1)!.id) };
  }
  const after = decodeCursor('audit', page.cursor, AUDIT_ORDER);
  const rows = await db
    .selectFrom('audit_events as e')
    .leftJoin('api_keys as k', 'k.id', 'e.api_key_id')
    .select(['e.id', 'e.action', 'e.api_key_id', 'k.label', 'e.details', 'e.created_at'])
    .select(exactInstant('e.created_at').as('cursor_at'))
    .where('e.practice_id', '=', practiceId)
    .where(afterKey(['e.created_at', 'e.id'], AUDIT_ORDER, after, 'desc'))
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { items, next } = pageFrom(rows, page.limit, 'audit', (r) => [r.cursor_at, r.id]);
  return {
    items: items.map((row) => ({
      id: row.id,
      action: row.action,
      apiKeyId: row.api_key_id,
      apiKeyLabel: row.label,
      details: row.details,
      createdAt: row.created_at.toISOString(),
    })),
    next,
  };
}

function encodeAuditCursor(at: string, id: string): string {
  return encodeCursor('audit', [at, id]);
}
