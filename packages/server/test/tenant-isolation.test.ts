/**
 * Tenant isolation, generated from the route table: every route of the real app (Fastify's
 * onRoute hook, so a route added later is covered with no change here) is called as partner A
 * with partner B's ids, with random ids, and with A's practice and B's sub-resources (and the
 * other way round): each answers 404 (403 where the route documents it, the admin-only ones)
 * as problem+json, and no answer carries any of B's data. A's own calls reach their data (the
 * fixture is real), and B's data reads the same after all of it.
 */
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { apiRoutes, schemaContext } from './helpers/route-table.ts';
import { ID_OF, paramsOf, tenantCaller } from './helpers/tenant-calls.ts';
import { bearer } from './helpers/test-app.ts';
import { twoPartners } from './helpers/two-partners.ts';

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
    const stats = { routes: 0, withTenantParams: 0 };

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
    const { send, counter } = tenantCaller(app, ctx);

    /** B's data in an answer: a marker of B's, or an id of B's the request did not itself send. */
    const leaks = (res: LightMyRequestResponse, sent: string): string[] => [
      ...b.markers.filter((m) => res.body.includes(m)),
      ...bIds.filter((id) => res.body.includes(id) && !sent.includes(id)),
    ];

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
      `tenant isolation: ${stats.routes} routes, ${stats.withTenantParams} with tenant ids, ${counter.requests} requests`,
    );
  },
);
