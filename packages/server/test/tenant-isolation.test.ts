/**
 * Tenant isolation, generated from the route table: every route of the real app (Fastify's
 * onRoute hook, so a route added later is covered with no change here) is called as partner A
 * with partner B's ids, with random ids, and with A's practice and B's sub-resources (and the
 * other way round): each answers 404 (403 where the route documents it, the admin-only ones)
 * as problem+json, and no answer carries any of B's data. A's own calls reach their data (the
 * fixture is real), and B's data reads the same after all of it.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { type ApiRoute, apiRoutes, pathOf, sampleValid, schemaContext } from './helpers/route-table.ts';
import { bearer } from './helpers/test-app.ts';
import { type Tenant, type TenantIds, twoPartners } from './helpers/two-partners.ts';

/** Which of a tenant's ids a path parameter (or a body or query field) names. */
const ID_OF: Record<string, keyof TenantIds> = {
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

interface Call {
  route: ApiRoute;
  key: string;
  params: Record<string, string>;
  /** Whose ids go into id fields of the query and the body. */
  fieldsOf: Tenant;
}

t.test(
  'every route with a tenant id answers another tenant 404 (or documented 403), leaking nothing',
  async (t) => {
    const setup = await twoPartners();
    t.teardown(setup.close);
    const { app, a, b } = setup;
    // The public SMART Scheduling Links feed (/publish/…) answers without a key, for practices that
    // opted in: A's does, B's does not, so the feed answers A's ids (200, carrying none of B's data)
    // and B's and random ids 404 like every other route, whoever asks.
    const published = await app.inject({
      method: 'PUT',
      url: `/v1/practices/${a.ids.practiceId}/publishing`,
      headers: bearer(a.key),
      payload: { enabled: true, bookingPhone: '0113 496 0000' },
    });
    t.equal(published.statusCode, 200, "A's practice publishes its slots", { body: published.body });
    const ctx = schemaContext(app);
    const routes = apiRoutes(setup.routes);
    const stats = { routes: 0, withTenantParams: 0, requests: 0 };

    // Sanity of the enumeration: every path of the OpenAPI document is in the route table.
    const openapi = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(methods)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        t.ok(
          routes.some((r) => r.url === url && r.method === method.toUpperCase()),
          `${method.toUpperCase()} ${path} is in the route table`,
        );
      }
    }

    const bIds = Object.values(b.ids);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const idsOfField = (tenant: Tenant) => (name: string, value: unknown) =>
      typeof value === 'string' && ID_OF[name] ? tenant.ids[ID_OF[name]] : value;

    async function send(call: Call): Promise<{ res: LightMyRequestResponse; sent: string }> {
      const { route } = call;
      // The query: its required fields and its id filters only, dates tomorrow.
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
      stats.requests += 1;
      return { res, sent: `${url}?${search} ${JSON.stringify(body ?? null)}` };
    }

    /** B's data in an answer: a marker of B's, or an id of B's the request did not itself send. */
    const leaks = (res: LightMyRequestResponse, sent: string): string[] => [
      ...b.markers.filter((m) => res.body.includes(m)),
      ...bIds.filter((id) => res.body.includes(id) && !sent.includes(id)),
    ];

    const paramsOf = (route: ApiRoute, pick: (param: string) => Tenant | 'random') =>
      Object.fromEntries(
        route.params
          .filter((p) => p !== '*')
          .map((p) => {
            const owner = pick(p);
            return [p, owner === 'random' ? randomUUID() : owner.ids[ID_OF[p]!]];
          }),
      );

    // B's view of its own data, before: every GET route B can call with its own ids.
    const getRoutes = routes.filter((r) => r.method === 'GET' && !r.params.includes('*') && !r.hidden);
    const snapshotOfB = async () => {
      const out: Record<string, unknown> = {};
      for (const route of getRoutes) {
        if (route.admin || route.params.some((p) => !ID_OF[p])) continue;
        // "Why isn't this slot offered?" is asked of the clock and the EHR now: not a stored fact.
        if (route.url.includes('/diagnostics/')) continue;
        const { res } = await send({ route, key: b.key, params: paramsOf(route, () => b), fieldsOf: b });
        out[route.url] = { status: res.statusCode, body: res.json() };
      }
      return out;
    };
    const before = await snapshotOfB();

    // A's own calls: each GET reaches A's data (so the 404s below are not a fixture that reaches nothing).
    for (const route of getRoutes) {
      if (route.params.some((p) => !ID_OF[p])) continue;
      const { res, sent } = await send({ route, key: a.key, params: paramsOf(route, () => a), fieldsOf: a });
      const expected = route.admin ? 403 : 200;
      t.equal(res.statusCode, expected, `A's own GET ${route.url}: ${expected}`, { body: res.body });
      t.same(leaks(res, sent), [], `A's own GET ${route.url} carries none of B's data`);
    }

    for (const route of routes) {
      stats.routes += 1;
      const unknown = route.params.filter((p) => p !== '*' && !ID_OF[p]);
      t.same(
        unknown,
        [],
        `${route.method} ${route.url}: every path parameter names a known tenant resource`,
        {
          fix: 'Give the new parameter its A and B ids in helpers/two-partners.ts and ID_OF here',
        },
      );
      if (unknown.length > 0) continue;
      const tenantParams = route.params.filter((p) => p !== '*');
      const expected = route.documented.has(403) || route.admin ? [403, 404] : [404];
      const name = `${route.method} ${route.url}`;
      if (tenantParams.length > 0) {
        stats.withTenantParams += 1;
        const cases: [string, Record<string, string>][] = [
          ["B's ids", paramsOf(route, () => b)],
          ['random ids', paramsOf(route, () => 'random')],
        ];
        if (tenantParams.length > 1) {
          cases.push(
            [
              "A's practice, B's others",
              paramsOf(route, (p) => (p === 'practiceId' || p === 'partnerId' ? a : b)),
            ],
            [
              "B's practice, A's others",
              paramsOf(route, (p) => (p === 'practiceId' || p === 'partnerId' ? b : a)),
            ],
          );
        }
        for (const [label, params] of cases) {
          const { res, sent } = await send({ route, key: a.key, params, fieldsOf: b });
          t.ok(expected.includes(res.statusCode), `${name} as A with ${label}: ${expected.join(' or ')}`, {
            got: res.statusCode,
            body: res.body,
          });
          t.match(
            res.headers['content-type'],
            /^application\/problem\+json/,
            `${name} (${label}): problem+json`,
          );
          t.same(leaks(res, sent), [], `${name} as A with ${label} carries none of B's data`);
        }
      }
      // A's practice with B's ids in the query or the body (a filter, a slot to book, a mapping row).
      const fieldIds = (schema: unknown) =>
        JSON.stringify(schema ?? {}).match(new RegExp(`"(${Object.keys(ID_OF).join('|')})"`, 'g')) ?? [];
      if (
        fieldIds(route.schema.querystring).length + fieldIds(route.schema.body).length > 0 &&
        !route.admin
      ) {
        const { res, sent } = await send({
          route,
          key: a.key,
          params: paramsOf(route, () => a),
          fieldsOf: b,
        });
        t.same(leaks(res, sent), [], `${name}, A's practice with B's ids in query/body: none of B's data`);
        if (route.method !== 'GET') {
          t.ok(res.statusCode >= 400 && res.statusCode < 500, `${name} with B's ids in the body is refused`, {
            got: res.statusCode,
            body: res.body,
          });
        }
      }
    }

    t.same(await snapshotOfB(), before, "B's data reads the same after all of A's calls");
    t.ok(stats.withTenantParams >= 30, `${stats.withTenantParams} routes with tenant ids`);
    t.comment(
      `tenant isolation: ${stats.routes} routes, ${stats.withTenantParams} with tenant ids, ${stats.requests} requests`,
    );
  },
);
