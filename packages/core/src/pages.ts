/**
 * Keyset pagination for every list of the API: a page is read in a stable order that ends in a
 * unique key, and the cursor is the sort key of the last row served (never an OFFSET), so rows
 * added or removed meanwhile neither repeat nor hide the ones after them.
 *
 * A cursor is opaque to clients: base64url of a JSON array, the list's name first (a cursor of
 * one list is refused by another), then the key's parts. Instants are kept to the microsecond
 * as PostgreSQL stores them (`exactInstant`): a JavaScript Date would lose the last three digits
 * and repeat or skip rows that share a millisecond.
 */
import { type RawBuilder, sql } from 'kysely';
import { CoreErrorCode, InputError } from './errors.ts';

/** The page size of a list when `limit` is left out, and the most one page may hold. */
export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 500;

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** One page: the items in the list's order; `next` continues after the last (null: the last page). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** What one part of a key may be: an instant as `exactInstant` gives it, a UUID, a bigint id, or any text. */
export type CursorPart = 'instant' | 'uuid' | 'integer' | 'text';

const PART: Record<CursorPart, RegExp> = {
  instant: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  integer: /^\d{1,18}$/,
  text: /^[\s\S]{0,1000}$/,
};

export function encodeCursor(list: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

export function cursorError(cursor: string): InputError {
  const shown = cursor.length > 60 ? `${cursor.slice(0, 60)}…` : cursor;
  return new InputError(CoreErrorCode.CURSOR_INVALID, `"cursor" is not one this list gave: "${shown}"`, {
    fix: 'Pass the "next" of the previous page unchanged (a cursor belongs to the list that gave it), or leave "cursor" out to start from the beginning.',
  });
}

/** The key a cursor of `list` holds, each part checked; a cursor of anything else is a 400. */
export function decodeCursor(list: string, cursor: string, parts: readonly CursorPart[]): string[] {
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) throw cursorError(cursor);
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw cursorError(cursor);
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== parts.length + 1 ||
    decoded[0] !== list ||
    !parts.every((part, i) => typeof decoded[i + 1] === 'string' && PART[part].test(decoded[i + 1]))
  ) {
    throw cursorError(cursor);
  }
  return decoded.slice(1) as string[];
}

/** A timestamptz column as UTC text to the microsecond: the form an `instant` part takes. */
export function exactInstant(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * `(columns) > (values)` (or `<` for a list read newest first): the rows after a cursor's key.
 * Each value is cast to its part's type, so the comparison is PostgreSQL's own.
 */
export function afterKey(
  columns: readonly string[],
  parts: readonly CursorPart[],
  key: readonly string[],
  direction: 'asc' | 'desc' = 'asc',
): RawBuilder<boolean> {
  const cast = (part: CursorPart, value: string) =>
    part === 'instant'
      ? sql`${value}::timestamptz`
      : part === 'uuid'
        ? sql`${value}::uuid`
        : part === 'integer'
          ? sql`${value}::bigint`
          : sql`${value}::text`;
  const left = sql.join(columns.map((c) => sql.ref(c)));
  const right = sql.join(parts.map((part, i) => cast(part, key[i]!)));
  return direction === 'asc' ? sql<boolean>`(${left}) > (${right})` : sql<boolean>`(${left}) < (${right})`;
}

/**
 * A page from rows read with `limit + 1`: the extra row only says that there is a next page,
 * whose cursor is the key of the last row served.
 */
export function pageFrom<R>(
  rows: R[],
  limit: number,
  list: string,
  keyOf: (row: R) => readonly string[],
): Page<R> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(list, keyOf(items.at(-1)!)) };
}
