/**
 * Practice keys over the API: POST /v1/practices/{practiceId}/api-keys issues one (a partner key
 * for its own practice, or the admin key), shown once; the partner's key list shows it with its
 * practiceId; a rotation keeps the practice; a revocation stops it at once; it sees its one
 * practice and is refused partner-level operations with 403 SB_ERR_PRACTICE_KEY_NOT_ALLOWED.
 * (practice-key-isolation.test.ts checks every route.)
 */
import t, { type Test } from 'tap';
import { bearer, testApp } from './helpers/test-app.ts';

interface Issued {
  id: string;
  key: string;
  prefix: string;
  label: string;
  partnerId: string;
  practiceId: string | null;
}

async function setUp(t: Test) {
  const setup = await testApp();
  t.teardown(setup.close);
  const { app } = setup;
  const a = await setup.partner('A');
  const b = await setup.partner('B');
  const practice = async (partner: { key: string }, name: string) =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/practices',
        headers: bearer(partner.key),
        payload: { name, ehr: 'memory', timeZone: 'Europe/London' },
      })
    ).json<{ id: string }>().id;
  const a1 = await practice(a, 'A one');
  const a2 = await practice(a, 'A two');
  const b1 = await practice(b, 'B one');
  const issue = (key: string, practiceId: string, label = 'manager') =>
    app.inject({
      method: 'POST',
      url: `/v1/practices/${practiceId}/api-keys`,
      headers: bearer(key),
      payload: { label },
    });
  return { ...setup, a, b, a1, a2, b1, issue };
}

t.test('a partner key issues a practice key for its own practice, shown once', async (t) => {
  const { app, a, b, a1, b1, adminKey, issue, slotbridge } = await setUp(t);
  const res = await issue(a.key, a1);
  t.equal(res.statusCode, 201);
  t.equal(res.headers['cache-control'], 'no-store');
  const issued = res.json<Issued>();
  t.match(issued, {
    id: String,
    key: /^sb_/,
    label: 'manager',
    partnerId: a.id,
    practiceId: a1,
  });
  t.equal(issued.prefix, issued.key.slice(0, 10));
  const stored = await slotbridge.db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', issued.id)
    .executeTakeFirstOrThrow();
  t.not(stored.key_hash, issued.key, 'only its hash is kept');
  t.notOk(JSON.stringify(stored).includes(issued.key), 'the key is stored nowhere');

  const other = await issue(a.key, b1);
  t.equal(other.statusCode, 404, "another partner's practice is 404");
  t.equal(other.json().code, 'SB_ERR_PRACTICE_NOT_FOUND');
  const byAdmin = await issue(adminKey, b1, 'from the admin');
  t.equal(byAdmin.statusCode, 201, 'the admin key issues one for any practice');
  t.match(byAdmin.json(), { partnerId: b.id, practiceId: b1 });
  const byPracticeKey = await issue(issued.key, a1);
  t.equal(byPracticeKey.statusCode, 403, 'a practice key issues none, not even for its practice');
  t.equal(byPracticeKey.json().code, 'SB_ERR_PRACTICE_KEY_NOT_ALLOWED');
  t.match(byPracticeKey.json().fix, /Use a partner key/);
  const invalid = await app.inject({
    method: 'POST',
    url: `/v1/practices/${a1}/api-keys`,
    headers: bearer(a.key),
    payload: { label: '' },
  });
  t.equal(invalid.statusCode, 400, 'a label is needed');

  const audit = await app.inject({ url: `/v1/practices/${a1}/audit`, headers: bearer(a.key) });
  t.match(audit.json().data, [{ action: 'api_key.issued', details: { apiKeyId: issued.id } }]);
  t.notOk(audit.body.includes(issued.key), 'the audit holds no key');

  const operation = (
    app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> }
  ).paths['/v1/practices/{practiceId}/api-keys']?.post;
  t.match(operation, {
    operationId: 'createPracticeApiKey',
    responses: { 201: {}, 403: { description: /SB_ERR_PRACTICE_KEY_NOT_ALLOWED/ }, 404: {} },
  });
});

t.test('a practice key reaches its practice only; partner-level operations answer 403', async (t) => {
  const { app, a, a1, a2, b1, issue } = await setUp(t);
  const { key } = (await issue(a.key, a1)).json<Issued>();
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(key), ...(payload && { payload }) });

  const list = await call('GET', '/v1/practices');
  t.equal(list.statusCode, 200);
  t.same(
    list.json().data.map((p: { id: string }) => p.id),
    [a1],
    'the practice list is its one practice',
  );
  t.equal((await call('GET', `/v1/practices/${a1}`)).statusCode, 200);
  const patched = await call('PATCH', `/v1/practices/${a1}`, { name: 'A one, renamed' });
  t.equal(patched.statusCode, 200, "the practice's settings are the manager's");
  t.equal((await call('GET', `/v1/practices/${a1}/mappings/practitioners`)).statusCode, 200);
  const connection = await app.inject({
    method: 'PUT',
    url: `/v1/practices/${a1}/connection`,
    headers: bearer(key),
    payload: { practiceCode: 'A1', secret: 'right' },
  });
  t.equal(connection.statusCode, 200, 'so is its connection', { body: connection.body });
  t.equal((await call('POST', `/v1/practices/${a1}/sync`)).statusCode, 200, 'and a sync');

  const sibling = await call('GET', `/v1/practices/${a2}`);
  const foreign = await call('GET', `/v1/practices/${b1}`);
  t.equal(sibling.statusCode, 404, "the partner's other practice is 404");
  t.equal(foreign.statusCode, 404);
  t.equal(sibling.json().code, foreign.json().code, "as another partner's");
  t.equal(sibling.json().fix, foreign.json().fix);

  for (const [method, url, payload] of [
    ['POST', '/v1/practices', { name: 'New', ehr: 'memory', timeZone: 'Europe/London' }],
    ['GET', `/v1/partners/${a.id}/api-keys`],
    ['GET', '/v1/webhook-endpoints'],
    ['POST', '/v1/webhook-endpoints', { url: 'https://example.com/hook' }],
  ] as const) {
    const res = await call(method, url, payload);
    t.equal(res.statusCode, 403, `${method} ${url}: 403`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), {
      code: 'SB_ERR_PRACTICE_KEY_NOT_ALLOWED',
      title: 'Not with a practice key',
      fix: "Use a partner key: a practice key reaches only its practice's settings, slots and bookings.",
    });
  }
  const admin = await call('GET', '/v1/partners');
  t.equal(admin.statusCode, 403);
  t.equal(admin.json().code, 'SB_ERR_ADMIN_ONLY', 'admin routes answer as to a partner key');
  t.equal(
    (await app.inject({ url: '/v1/practices', headers: bearer(a.key) })).json().data.length,
    2,
    'no practice was created',
  );
});

t.test(
  "the partner's key list shows practice keys; rotate keeps the practice; revoke stops it at once",
  async (t) => {
    const { app, a, a1, issue, slotbridge } = await setUp(t);
    const issued = (await issue(a.key, a1)).json<Issued>();
    const keys = `/v1/partners/${a.id}/api-keys`;
    const listed = (await app.inject({ url: keys, headers: bearer(a.key) })).json<{
      data: { id: string; practiceId: string | null }[];
    }>();
    t.same(
      listed.data.map((k) => [k.id === issued.id ? 'practice key' : 'partner key', k.practiceId]),
      [
        ['partner key', null],
        ['practice key', a1],
      ],
    );
    const one = await app.inject({ url: `${keys}/${issued.id}`, headers: bearer(a.key) });
    t.match(one.json(), { id: issued.id, practiceId: a1, partnerId: a.id, status: 'active' });
    t.notOk(one.body.includes(issued.key), 'never the key');

    const rotated = await app.inject({
      method: 'POST',
      url: `${keys}/${issued.id}/rotate?graceSeconds=60`,
      headers: bearer(a.key),
    });
    t.equal(rotated.statusCode, 201);
    const next = rotated.json<Issued & { previous: { status: string; practiceId: string } }>();
    t.match(next, {
      practiceId: a1,
      partnerId: a.id,
      label: 'manager',
      previous: { status: 'expiring', practiceId: a1 },
    });
    const reach = async (key: string) =>
      (await app.inject({ url: '/v1/practices', headers: bearer(key) }))
        .json()
        .data.map((p: { id: string }) => p.id);
    t.same(await reach(next.key), [a1], 'the new key reaches the same practice only');
    t.same(await reach(issued.key), [a1], 'the old one still works during its grace');

    const revoked = await app.inject({
      method: 'POST',
      url: `${keys}/${next.id}/revoke`,
      headers: bearer(a.key),
    });
    t.equal(revoked.statusCode, 200);
    t.match(revoked.json(), { status: 'revoked', practiceId: a1 });
    const refused = await app.inject({ url: `/v1/practices/${a1}`, headers: bearer(next.key) });
    t.equal(refused.statusCode, 401, 'refused from the next request');
    const actions = (
      await slotbridge.db.selectFrom('audit_events').select('action').where('practice_id', '=', a1).execute()
    ).map((e) => e.action);
    t.ok(
      actions.includes('api_key.rotated') && actions.includes('api_key.revoked'),
      "in the practice's audit",
    );
  },
);
