/**
 * Practice keys, generated from the route table like tenant-isolation.test.ts: every route of the
 * real app (Fastify's onRoute hook, so a route added later is covered with no change here) is
 * called with a practice key of partner A's practice. Partner A has a second practice, A2, and
 * partner B one.
 *
 * - A partner-level route (admin, or `partnerLevel`: creating a practice, /v1/partners/…,
 *   /v1/webhook-endpoints…, issuing keys) answers 403 as problem+json, documented in its OpenAPI
 *   responses, whatever ids it is given.
 * - A route of /v1/practices/{practiceId}/… reaches the key's practice (each GET answers 200),
 *   and answers 404 for A2 (the same partner's other practice) exactly as for B or a random id,
 *   and for the key's practice with A2's sub-resources (or A2's practice with the key's).
 * - Any other route with a key is one of a short list a practice key may call (its practice
 *   list, the plugins); a new one fails here until it is partner-level or listed.
 * - No answer carries A2's or B's data, and A2's and B's data read the same after all of it.
 * - Last, the practice's own writes are allowed (never 401 or 403).
 */
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { type ApiRoute, apiRoutes, schemaContext } from './helpers/route-table.ts';
import { ID_OF, paramsOf, tenantCaller } from './helpers/tenant-calls.ts';
import { bearer } from './helpers/test-app.ts';
import { type Tenant, tenant, twoPartners } from './helpers/two-partners.ts';

/** The routes outside /v1/practices/{practiceId}/… a practice key may call, and why. */
const PRACTICE_KEY_MAY_CALL = new Set([
  'GET /v1/practices', // its one practice
  'GET /v1/plugins', // no tenant data
]);

t.test('a practice key reaches its practice only, and no partner-level route', async (t) => {
  const setup = await twoPartners();
  t.teardown(setup.close);
  const { app, a, b } = setup;
  const a2 = await tenant(setup, 'A2', { id: a.ids.partnerId, key: a.key });
  const issued = await app.inject({
    method: 'POST',
    url: `/v1/practices/${a.ids.practiceId}/api-keys`,
    headers: bearer(a.key),
    payload: { label: 'practice manager' },
  });
  t.equal(issued.statusCode, 201, 'partner A issues a practice key for its practice', { body: issued.body });
  const key = issued.json<{ key: string }>().key;

  const ctx = schemaContext(app);
  const routes = apiRoutes(setup.routes);
  const stats = { routes: 0, partnerLevel: 0, practiceScoped: 0 };
  const caller = tenantCaller(app, ctx);
  const send = (route: ApiRoute, callKey: string, params: Record<string, string>, fieldsOf: Tenant) =>
    caller.send({ route, key: callKey, params, fieldsOf });

  // A2's and B's data: their markers, and their ids that are not A's too (A2 shares A's partner).
  const aIds = new Set(Object.values(a.ids));
  const otherIds = [...Object.values(a2.ids), ...Object.values(b.ids)].filter((id) => !aIds.has(id));
  const leaks = (res: LightMyRequestResponse, sent: string): string[] => [
    ...[...a2.markers, ...b.markers].filter((m) => res.body.includes(m)),
    ...otherIds.filter((id) => res.body.includes(id) && !sent.includes(id)),
  ];

  // A2's and B's data as their partner keys read it (A's key for A2), before and after.
  const getRoutes = routes.filter((r) => r.method === 'GET' && !r.params.includes('*') && !r.hidden);
  const snapshot = async () => {
    const out: Record<string, unknown> = {};
    for (const owner of [a2, b]) {
      for (const route of getRoutes) {
        if (route.admin || route.params.some((p) => !ID_OF[p])) continue;
        if (route.url.includes('/diagnostics/')) continue; // asked of the clock and the EHR now
        const { res } = await send(
          route,
          owner.key,
          paramsOf(route, () => owner),
          owner,
        );
        // The practice key's own use is recorded on the partner's key list: not A2's or B's data.
        out[`${owner.label} ${route.url}`] = {
          status: res.statusCode,
          body: res.body.replace(/"lastUsedAt":"[^"]*"/g, '"lastUsedAt":…'),
        };
      }
    }
    return out;
  };
  const before = await snapshot();

  for (const route of routes) {
    stats.routes += 1;
    const name = `${route.method} ${route.url}`;
    const unknown = route.params.filter((p) => p !== '*' && !ID_OF[p]);
    t.same(unknown, [], `${name}: every path parameter names a known tenant resource`);
    if (unknown.length > 0) continue;
    // A public route (no key: no 401 documented) answers the same whatever key comes with it.
    if (!route.documented.has(401)) continue;

    if (route.admin || route.partnerLevel) {
      stats.partnerLevel += 1;
      t.ok(route.documented.has(403), `${name} documents its 403`);
      const code = route.admin ? 'SB_ERR_ADMIN_ONLY' : 'SB_ERR_PRACTICE_KEY_NOT_ALLOWED';
      for (const [label, owner] of [
        ["the key's own ids", a],
        ["B's ids", b],
      ] as const) {
        const { res, sent } = await send(
          route,
          key,
          paramsOf(route, () => owner),
          owner,
        );
        t.equal(res.statusCode, 403, `${name} with a practice key and ${label}: 403`, { body: res.body });
        t.match(res.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`);
        t.equal(res.json().code, code, `${name}: ${code}`);
        t.same(leaks(res, sent), [], `${name} with ${label} carries no other tenant's data`);
      }
      continue;
    }

    if (!route.params.includes('practiceId')) {
      t.ok(
        PRACTICE_KEY_MAY_CALL.has(name),
        `${name}: a route outside /v1/practices/{practiceId} is partner-level or listed as open to a practice key`,
        { fix: 'Give the route config: { partnerLevel: true }, or add it to PRACTICE_KEY_MAY_CALL with why' },
      );
      const { res, sent } = await send(
        route,
        key,
        paramsOf(route, () => a),
        a,
      );
      t.equal(res.statusCode, 200, `${name} with a practice key: 200`, { body: res.body });
      t.same(leaks(res, sent), [], `${name} carries no other tenant's data`);
      continue;
    }

    stats.practiceScoped += 1;
    if (route.method === 'GET') {
      const { res, sent } = await send(
        route,
        key,
        paramsOf(route, () => a),
        a,
      );
      t.equal(res.statusCode, 200, `${name}: the key's own practice reaches its data`, { body: res.body });
      t.same(leaks(res, sent), [], `${name}, own practice: no other tenant's data`);
    }
    const tenantParams = route.params.filter((p) => p !== '*');
    const cases: [string, Record<string, string>][] = [
      ["A2's ids (the same partner's other practice)", paramsOf(route, () => a2)],
      ["B's ids", paramsOf(route, () => b)],
      ['random ids', paramsOf(route, () => 'random')],
    ];
    if (tenantParams.length > 1) {
      cases.push(
        ["its practice, A2's others", paramsOf(route, (p) => (p === 'practiceId' ? a : a2))],
        ["A2's practice, its others", paramsOf(route, (p) => (p === 'practiceId' ? a2 : a))],
      );
    }
    for (const [label, params] of cases) {
      const { res, sent } = await send(route, key, params, a2);
      t.equal(res.statusCode, 404, `${name} with a practice key and ${label}: 404`, { body: res.body });
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${name} (${label}): problem+json`);
      t.same(leaks(res, sent), [], `${name} with ${label} carries no other tenant's data`);
    }
    // Its practice with A2's ids in the query or the body (a filter, a slot to book, a mapping row).
    const fieldIds = (schema: unknown) =>
      JSON.stringify(schema ?? {}).match(new RegExp(`"(${Object.keys(ID_OF).join('|')})"`, 'g')) ?? [];
    if (fieldIds(route.schema.querystring).length + fieldIds(route.schema.body).length > 0) {
      const { res, sent } = await send(
        route,
        key,
        paramsOf(route, () => a),
        a2,
      );
      t.same(
        leaks(res, sent),
        [],
        `${name}, its practice with A2's ids in query/body: no other tenant's data`,
      );
      if (route.method !== 'GET') {
        t.ok(res.statusCode >= 400 && res.statusCode < 500, `${name} with A2's ids in the body is refused`, {
          got: res.statusCode,
          body: res.body,
        });
      }
    }
  }

  t.same(await snapshot(), before, "A2's and B's data read the same after all of the practice key's calls");

  // Last (they change its practice): the practice's own writes are the key's to make.
  for (const route of routes) {
    if (route.method === 'GET' || !route.documented.has(401) || route.admin || route.partnerLevel) continue;
    if (!route.params.includes('practiceId') || route.params.some((p) => p === '*' || !ID_OF[p])) continue;
    const { res, sent } = await send(
      route,
      key,
      paramsOf(route, () => a),
      a,
    );
    t.notOk(
      [401, 403].includes(res.statusCode),
      `${route.method} ${route.url}: the key may write its practice`,
      {
        got: res.statusCode,
        body: res.body,
      },
    );
    t.same(leaks(res, sent), [], `${route.method} ${route.url}, own practice: no other tenant's data`);
  }

  t.ok(stats.partnerLevel >= 15, `${stats.partnerLevel} partner-level routes`);
  t.ok(stats.practiceScoped >= 30, `${stats.practiceScoped} practice routes`);
  t.comment(
    `practice key: ${stats.routes} routes, ${stats.partnerLevel} partner-level, ${stats.practiceScoped} of a practice, ${caller.counter.requests} requests`,
  );
});
