/**
 * The one page shape of every list of the API: `{ data: [...], next: "<URL>" | null }`. `next` is
 * the URL of the next page — this request's own path and query, with `cursor` set — and null on
 * the last page. `limit` (default PAGE_DEFAULT, at most PAGE_MAX unless a route says otherwise)
 * and the opaque `cursor` are the query fields; a cursor this list did not give answers 400
 * SB_ERR_CURSOR_INVALID. Pages are keyset pages (core's pages.ts), never OFFSET.
 */
import { PAGE_DEFAULT, PAGE_MAX } from '@slotbridge/core';
import type { FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { ref } from './schemas.ts';

/** `limit` and `cursor`, to spread into a route's querystring schema. */
export function pageQuery(
  limits: { default: number; max: number } = { default: PAGE_DEFAULT, max: PAGE_MAX },
) {
  return {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: limits.max,
        default: limits.default,
        description: `The most items in one page (default ${limits.default}, at most ${limits.max})`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          "Where the page starts: opaque, from the previous page's `next`; left out, the first page. One this list did not give is 400 SB_ERR_CURSOR_INVALID.",
      }),
    ),
  };
}

/** A page of `item`s, as every list answers. */
export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'The URL of the next page (this request with `cursor` set); null on the last page',
    }),
  });
}

/** A page of a shared schema, referenced by its `$id` and typed as it. */
export function pageOfRef<T extends TSchema>(schema: T) {
  return pageOf(ref(schema));
}

/** The URL of the page after this one: the request's path and query with `cursor` replaced. */
export function nextLink(request: FastifyRequest, cursor: string | null): string | null {
  if (cursor === null) return null;
  const at = request.url.indexOf('?');
  const path = at === -1 ? request.url : request.url.slice(0, at);
  const query = new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1));
  query.delete('cursor');
  query.set('cursor', cursor);
  return `${path}?${query}`;
}

/** The answer for a page: its items shaped, and the link to the next. */
export function pageAnswer<T, V>(
  request: FastifyRequest,
  page: { items: T[]; next: string | null },
  shape: (item: T) => V,
): { data: V[]; next: string | null } {
  return { data: page.items.map(shape), next: nextLink(request, page.next) };
}
