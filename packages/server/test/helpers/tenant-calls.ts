/**
 * Calling every route of the route table as one tenant with another's ids: the part the
 * generated isolation tests share (tenant-isolation.test.ts, practice-key-isolation.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ApiRoute, pathOf, type SchemaContext, sampleValid } from './route-table.ts';
import { bearer } from './test-app.ts';
import type { Tenant, TenantIds } from './two-partners.ts';

/** Which of a tenant's ids a path parameter (or a body or query field) names. */
export const ID_OF: Record<string, keyof TenantIds> = {
  practiceId: 'practiceId',
  partnerId: 'partnerId',
  practitionerId: 'practitionerId',
  locationId: 'locationId',
  appointmentTypeId: 'appointmentTypeId',
  bookingId: 'bookingId',
  slotId: 'freeSlotId',
  keyId: 'apiKeyId',
  apiKeyId: 'apiKeyId',
  endpointId: 'endpointId',
  eventId: 'eventId',
};

/** Whose ids fill a route's parameters: a tenant's, or random ones. */
export type Owner = Tenant | 'random';

/** A route's path parameters, each the id `pick` says whose. */
export function paramsOf(route: ApiRoute, pick: (param: string) => Owner): Record<string, string> {
  return Object.fromEntries(
    route.params
      .filter((p) => p !== '*')
      .map((p) => {
        const owner = pick(p);
        return [p, owner === 'random' ? randomUUID() : owner.ids[ID_OF[p]!]];
      }),
  );
}

export interface TenantCall {
  route: ApiRoute;
  key: string;
  params: Record<string, string>;
  /** Whose ids go into id fields of the query and the body. */
  fieldsOf: Tenant;
}

/**
 * Sends one call: a valid sample of the route's query (its required fields and id filters
 * only, dates tomorrow), body and headers, with `fieldsOf`'s ids in its id fields. Answers the
 * response and what was sent (an id the request sent itself is not a leak).
 */
export function tenantCaller(app: FastifyInstance, ctx: SchemaContext) {
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const idsOfField = (tenant: Tenant) => (name: string, value: unknown) =>
    typeof value === 'string' && ID_OF[name] ? tenant.ids[ID_OF[name]] : value;
  const counter = { requests: 0 };
  async function send(call: TenantCall): Promise<{ res: LightMyRequestResponse; sent: string }> {
    const { route } = call;
    const required = new Set<string>(route.schema.querystring?.required ?? []);
    const query = Object.fromEntries(
      Object.entries(
        (sampleValid(route.schema.querystring, ctx, idsOfField(call.fieldsOf)) ?? {}) as Record<
          string,
          unknown
        >,
      )
        .filter(([k]) => required.has(k) || ID_OF[k])
        .map(([k, v]) => [k, /^(date|from|to)$/.test(k) ? tomorrow : v]),
    );
    const body = sampleValid(route.schema.body, ctx, idsOfField(call.fieldsOf));
    const headers = sampleValid(route.schema.headers, ctx) as Record<string, string> | undefined;
    const url = pathOf(route, call.params);
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    const res = await app.inject({
      method: route.method as 'GET',
      url: search ? `${url}?${search}` : url,
      headers: { ...headers, ...bearer(call.key) },
      ...(body !== undefined && { payload: body as object }),
    });
    counter.requests += 1;
    return { res, sent: `${url}?${search} ${JSON.stringify(body ?? null)}` };
  }
  return { send, counter };
}
