/**
 * Lists and keys (issue #11, part 4): a practice's bookings in keyset pages (filters, no patient,
 * no other partner's), the one page shape `{ data, next }` with its malformed cursor, and a
 * partner's API keys listed, revoked (at once) and rotated (the old key until its grace ends).
 */
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { bearer } from './helpers/test-app.ts';
import { type TwoPartners, twoPartners } from './helpers/two-partners.ts';

type Page<T = Record<string, unknown>> = { data: T[]; next: string | null };

/** Every page from `url` on, following `next`; fails the test on anything but 200. */
async function walk<T = Record<string, unknown>>(
  t: Test,
  app: FastifyInstance,
  key: string,
  url: string,
): Promise<{ items: T[]; pages: number; nexts: string[] }> {
  const items: T[] = [];
  const nexts: string[] = [];
  let pages = 0;
  for (let next: string | null = url; next; pages++) {
    const res: { statusCode: number; body: string; json: <J>() => J } = await app.inject({
      url: next,
      headers: bearer(key),
    });
    if (res.statusCode !== 200) {
      t.fail(`${next}: ${res.statusCode}`, { body: res.body });
      break;
    }
    const page: Page<T> = res.json<Page<T>>();
    items.push(...page.data);
    if (page.next) nexts.push(page.next);
    next = page.next;
    if (pages > 100) throw new Error('endless pages');
  }
  return { items, pages, nexts };
}

/** More bookings for A, some written back (confirmed), some left pending. */
async function moreBookings(setup: TwoPartners, count: number): Promise<void> {
  const { app, a } = setup;
  const p = `/v1/practices/${a.ids.practiceId}`;
  const slots = (await app.inject({ url: `${p}/slots`, headers: bearer(a.key) })).json<
    Page<{ id: string }>
  >();
  for (let i = 0; i < count; i++) {
    const res = await app.inject({
      method: 'POST',
      url: `${p}/bookings`,
      headers: { ...bearer(a.key), 'idempotency-key': `more-bookings-${i}` },
      payload: {
        slotId: slots.data[i]!.id,
        patient: {
          firstName: 'Zebedee',
          lastName: 'Quux',
          dateOfBirth: '1970-01-01',
          nhsNumber: '9990000018',
        },
      },
    });
    if (res.statusCode !== 201) throw new Error(`booking ${i}: ${res.statusCode} ${res.body}`);
    if (i === 1) {
      for (let commands = await setup.slotbridge.writeBack.claim(50); commands.length > 0; ) {
        for (const command of commands) await setup.slotbridge.writeBack.execute(command);
        commands = await setup.slotbridge.writeBack.claim(50);
      }
    }
  }
}

t.test("GET …/bookings: a practice's bookings in pages, filtered, never a patient", async (t) => {
  const setup = await twoPartners();
  t.teardown(setup.close);
  const { app, a, b, adminKey } = setup;
  await moreBookings(setup, 4);
  const url = `/v1/practices/${a.ids.practiceId}/bookings`;

  const res = await app.inject({ url, headers: bearer(a.key) });
  t.equal(res.statusCode, 200);
  const all = res.json<Page<{ id: string; state: string; slot: { start: string }; practiceId: string }>>();
  t.equal(all.data.length, 6, "the fixture's two and four more");
  t.equal(all.next, null, 'one page by default');
  t.ok(
    all.data.some((x) => x.id === a.ids.bookingId) && all.data.some((x) => x.id === a.ids.cancelledBookingId),
  );
  t.ok(
    all.data.every((x) => x.practiceId === a.ids.practiceId),
    'only the practice asked for',
  );
  const starts = all.data.map((x) => `${new Date(x.slot.start).toISOString()} ${x.id}`);
  t.same(starts, [...starts].sort(), "in the slot's start order, then id");
  t.notMatch(res.body, /Zebedee|Quux|9990000018|1970-01-01|Pat[AB]mark|patient/i, 'no patient detail');
  t.same(
    Object.keys(all.data[0]!).sort(),
    Object.keys(
      (await app.inject({ url: `${url}/${all.data[0]!.id}`, headers: bearer(a.key) })).json<
        Record<string, unknown>
      >(),
    ).sort(),
    'each booking as GET …/bookings/{id} answers it',
  );
  const states = new Set(all.data.map((x) => x.state));
  t.ok(states.has('confirmed') && states.has('cancelled') && states.has('pending'), 'several states', {
    states: [...states],
  });

  // Pages of 2: no duplicate, no gap, `next` keeps the query.
  const paged = await walk<{ id: string }>(
    t,
    app,
    a.key,
    `${url}?limit=2&state=confirmed&state=pending&state=cancelled&state=failed`,
  );
  t.equal(paged.pages, 3);
  t.same(
    paged.items.map((x) => x.id),
    all.data.map((x) => x.id),
    'the pages together are the whole list, in order',
  );
  for (const next of paged.nexts) {
    t.match(
      next,
      new RegExp(
        `^${url}\\?limit=2&state=confirmed&state=pending&state=cancelled&state=failed&cursor=[A-Za-z0-9_-]+$`,
      ),
    );
  }

  // Filters.
  const only = async (query: string) =>
    (await app.inject({ url: `${url}?${query}`, headers: bearer(a.key) })).json<
      Page<{ id: string; state: string }>
    >().data;
  t.same(
    (await only('state=cancelled')).map((x) => x.id),
    [a.ids.cancelledBookingId],
    'one state',
  );
  const several = await only('state=pending&state=cancelled');
  t.same(
    several.map((x) => x.id),
    all.data.filter((x) => x.state === 'pending' || x.state === 'cancelled').map((x) => x.id),
    'several states',
  );
  t.ok(several.length >= 2);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const dayAfter = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  t.equal((await only(`from=${tomorrow}&to=${dayAfter}`)).length, 6, "the practice's local day");
  t.equal((await only(`to=${tomorrow}`)).length, 0, 'to is exclusive: nothing before tomorrow');
  const third = all.data[all.data.length - 2]!.slot.start;
  const at = Date.parse(third);
  t.same(
    (await only(`from=${encodeURIComponent(third)}`)).map((x) => x.id),
    all.data.filter((x) => Date.parse(x.slot.start) >= at).map((x) => x.id),
    'from a date-time with offset, inclusive',
  );
  const before = await only(`to=${encodeURIComponent(third)}`);
  t.same(
    before.map((x) => x.id),
    all.data.filter((x) => Date.parse(x.slot.start) < at).map((x) => x.id),
    'to a date-time, exclusive',
  );
  t.ok(before.length > 0 && before.length < all.data.length);

  // Refusals: problem+json with a code and a fix.
  const refused = async (query: string, status: number, code: string) => {
    const r = await app.inject({ url: `${url}?${query}`, headers: bearer(a.key) });
    t.equal(r.statusCode, status, `${query}: ${status}`);
    t.match(r.headers['content-type'], /^application\/problem\+json/);
    t.match(r.json(), { code, fix: /\w/ }, `${query}: ${code}`);
  };
  await refused(`from=${dayAfter}&to=${tomorrow}`, 422, 'SB_ERR_WINDOW_REVERSED');
  await refused('from=yesterday', 400, 'SB_ERR_WINDOW_INVALID');
  await refused('state=booked', 400, 'SB_ERR_VALIDATION');
  await refused('nhsNumber=9990000018', 400, 'SB_ERR_VALIDATION');
  await refused('patient=Zebedee', 400, 'SB_ERR_VALIDATION');
  await refused('cursor=nope', 400, 'SB_ERR_CURSOR_INVALID');
  await refused(
    `cursor=${Buffer.from('["bookings","x","y"]').toString('base64url')}`,
    400,
    'SB_ERR_CURSOR_INVALID',
  );
  const practicesCursor = (
    await app.inject({ url: '/v1/practices?limit=1', headers: bearer(adminKey) })
  ).json<Page>().next!;
  await refused(
    `cursor=${new URLSearchParams(practicesCursor.split('?')[1]).get('cursor')}`,
    400,
    'SB_ERR_CURSOR_INVALID',
  );
  await refused('limit=501', 400, 'SB_ERR_VALIDATION');

  // Tenants: B cannot list A's bookings; A's list holds none of B's; the admin reaches both.
  const other = await app.inject({ url, headers: bearer(b.key) });
  t.equal(other.statusCode, 404);
  t.notMatch(other.body, new RegExp(a.ids.bookingId));
  const bList = await app.inject({
    url: `/v1/practices/${b.ids.practiceId}/bookings`,
    headers: bearer(b.key),
  });
  t.same(
    bList.json<Page<{ id: string }>>().data.map((x) => x.id),
    [b.ids.bookingId, b.ids.cancelledBookingId],
  );
  t.notMatch(res.body, new RegExp(`${b.ids.bookingId}|${b.ids.cancelledBookingId}|${b.markers[0]}`));
  t.equal((await app.inject({ url, headers: bearer(adminKey) })).json<Page>().data.length, 6);
});

t.test('every list answers { data, next } in keyset pages that add up to the whole list', async (t) => {
  const setup = await twoPartners();
  t.teardown(setup.close);
  const { app, a, adminKey } = setup;
  const p = `/v1/practices/${a.ids.practiceId}`;
  // More rows than one page of 1 for each list.
  for (const [path, payload] of [
    ['practitioners', { name: 'Dr Two' }],
    ['practitioners', { name: 'Dr Three' }],
    ['locations', { name: 'Annexe' }],
    ['appointment-types', { name: 'Long visit', durationMinutes: 20 }],
  ] as const) {
    await app.inject({ method: 'POST', url: `${p}/${path}`, headers: bearer(a.key), payload });
  }
  await app.inject({ method: 'POST', url: `${p}/sync`, headers: bearer(a.key) });
  // Two of one name: the EHR id orders them.
  setup.memory.catalogue.practitioners.push(
    { ehrId: 'p2', name: 'Dr Another' },
    { ehrId: 'p0', name: 'Dr Another' },
  );
  setup.memory.catalogue.slotTypes.push({ ehrId: 'st2', name: 'Urgent', attributes: { bookable: true } });
  await app.inject({ method: 'POST', url: `${p}/discover`, headers: bearer(a.key) });
  await setup.partner('A third partner');
  const hooks: string[] = [];
  for (const n of [1, 2]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: bearer(a.key),
      payload: { url: `http://127.0.0.1:9/hook-${n}` },
    });
    t.equal(res.statusCode, 201, res.body);
    hooks.push(res.json<{ id: string }>().id);
  }

  const lists: [string, string][] = [
    ['/v1/partners', adminKey],
    [`/v1/partners/${a.ids.partnerId}/api-keys`, adminKey],
    ['/v1/practices', adminKey],
    [`${p}/practitioners`, a.key],
    [`${p}/locations`, a.key],
    [`${p}/appointment-types`, a.key],
    [`${p}/ehr/practitioners`, a.key],
    [`${p}/ehr/slot-types`, a.key],
    [`${p}/audit`, a.key],
    [`${p}/sync-runs`, a.key],
    [`${p}/bookings`, a.key],
    [`${p}/reconciliation`, a.key],
    [`${p}/appointments`, a.key],
    ['/v1/webhook-endpoints', a.key],
    [`/v1/webhook-endpoints/${hooks[0]}/deliveries`, a.key],
  ];
  // One more API key, so the key list has two.
  await setup.slotbridge.apiKeys.issuePartnerKey(a.ids.partnerId, 'second');
  for (const [url, key] of lists) {
    const whole = await app.inject({ url, headers: bearer(key) });
    t.equal(whole.statusCode, 200, `${url}: 200`);
    const body = whole.json<Page>();
    t.same(Object.keys(body).sort(), ['data', 'next'], `${url}: { data, next }`);
    t.equal(body.next, null, `${url}: one page by default`);
    const sep = url.includes('?') ? '&' : '?';
    const paged = await walk(t, app, key, `${url}${sep}limit=1`);
    t.same(paged.items, body.data, `${url}: pages of 1 add up to the whole list`);
    t.equal(paged.pages, Math.max(body.data.length, 1), `${url}: ${body.data.length} pages`);
    // None to reconcile in the fixture; the diary's paging has its own test.
    if (!/\/(reconciliation|appointments|deliveries)$/.test(url)) {
      t.ok(body.data.length >= 2, `${url}: the fixture lists at least two (${body.data.length})`);
    }
    const bad = await app.inject({ url: `${url}${sep}cursor=Zm9v`, headers: bearer(key) });
    t.equal(bad.statusCode, 400, `${url}: a malformed cursor is 400`);
    t.match(bad.json(), { code: 'SB_ERR_CURSOR_INVALID', fix: /Pass the "next"/ });
  }

  // Audit: the older `before` still pages, and the cursor continues where it left off.
  const events = (await app.inject({ url: `${p}/audit`, headers: bearer(a.key) })).json<
    Page<{ id: string }>
  >().data;
  const before = await app.inject({
    url: `${p}/audit?limit=2&before=${events[0]!.id}`,
    headers: bearer(a.key),
  });
  t.same(
    before.json<Page<{ id: string }>>().data.map((e) => e.id),
    events.slice(1, 3).map((e) => e.id),
    'before: the events older than it',
  );
  t.match(before.json<Page>().next, /[?&]before=.*&cursor=/);
});

t.test("a partner's API keys: listed without the key, revoked at once, rotated with a grace", async (t) => {
  const setup = await twoPartners();
  t.teardown(setup.close);
  const { app, a, b, adminKey, slotbridge } = setup;
  const keys = `/v1/partners/${a.ids.partnerId}/api-keys`;
  const second = (
    await app.inject({ method: 'POST', url: keys, headers: bearer(adminKey), payload: { label: 'second' } })
  ).json<{ id: string; key: string; prefix: string }>();
  t.ok(second.key.startsWith(second.prefix));
  const works = async (key: string) =>
    (await app.inject({ url: `/v1/practices/${a.ids.practiceId}`, headers: bearer(key) })).statusCode;
  t.equal(await works(second.key), 200);
  await slotbridge.apiKeys.flushLastUsed();

  // Listed: never the key, its hash or another partner's keys.
  const listed = await app.inject({ url: keys, headers: bearer(a.key) });
  t.equal(listed.statusCode, 200);
  const list = listed.json<Page<Record<string, unknown>>>();
  t.same(
    list.data.map((k) => k.id),
    [a.ids.apiKeyId, second.id],
    'oldest first',
  );
  t.match(list.data[1], {
    id: second.id,
    partnerId: a.ids.partnerId,
    label: 'second',
    prefix: second.prefix,
    status: 'active',
    createdAt: String,
    lastUsedAt: String,
    revokedAt: null,
    expiresAt: null,
    replacedBy: null,
  });
  t.notOk('key' in list.data[1]!, 'no key field');
  t.notMatch(
    listed.body,
    new RegExp(`${second.key}|${a.key}|${second.key.slice(10)}`),
    'no key in the answer',
  );
  const row = await slotbridge.db
    .selectFrom('api_keys')
    .select('key_hash')
    .where('id', '=', second.id)
    .executeTakeFirstOrThrow();
  t.notMatch(listed.body, new RegExp(row.key_hash), 'no hash');
  t.equal(
    (await app.inject({ url: keys, headers: bearer(adminKey) })).json<Page>().data.length,
    2,
    'the admin lists them',
  );

  // Another partner: 404 for the list, the key, a revoke and a rotation, and nothing changes.
  for (const [method, path] of [
    ['GET', keys],
    ['GET', `${keys}/${second.id}`],
    ['POST', `${keys}/${second.id}/revoke`],
    ['POST', `${keys}/${second.id}/rotate`],
    ['POST', `/v1/partners/${b.ids.partnerId}/api-keys/${second.id}/revoke`],
  ] as const) {
    const res = await app.inject({ method, url: path, headers: bearer(b.key) });
    t.equal(res.statusCode, 404, `B: ${method} ${path} is 404`);
    t.match(res.json(), { code: /^SB_ERR_(PARTNER|API_KEY)_NOT_FOUND$/ });
  }
  // B's own partner with A's key id: not found either.
  const crossed = await app.inject({
    method: 'POST',
    url: `/v1/partners/${b.ids.partnerId}/api-keys/${second.id}/revoke`,
    headers: bearer(adminKey),
  });
  t.match(crossed.json(), { status: 404, code: 'SB_ERR_API_KEY_NOT_FOUND' });
  t.equal(await works(second.key), 200, 'still works');
  t.equal(
    (await app.inject({ method: 'POST', url: keys, headers: bearer(a.key), payload: { label: 'x' } }))
      .statusCode,
    403,
    'a partner key still cannot issue keys',
  );

  // Rotation: a new key now, the old one until the grace ends.
  const rotated = await app.inject({
    method: 'POST',
    url: `${keys}/${second.id}/rotate`,
    headers: bearer(a.key),
  });
  t.equal(rotated.statusCode, 201);
  const fresh = rotated.json<{ id: string; key: string; label: string; previous: Record<string, unknown> }>();
  t.equal(fresh.label, 'second');
  t.not(fresh.key, second.key);
  t.match(fresh.previous, { id: second.id, status: 'expiring', replacedBy: fresh.id, revokedAt: null });
  const expires = Date.parse(fresh.previous.expiresAt as string);
  t.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, 'the default grace is 24 hours');
  t.equal(await works(fresh.key), 200, 'the new key works');
  t.equal(await works(second.key), 200, 'the old key works during its grace');
  const again = await app.inject({
    method: 'POST',
    url: `${keys}/${second.id}/rotate`,
    headers: bearer(a.key),
  });
  t.match(again.json(), { status: 409, code: 'SB_ERR_API_KEY_NOT_ROTATABLE', fix: new RegExp(fresh.id) });
  t.notMatch(
    (await app.inject({ url: keys, headers: bearer(a.key) })).body,
    new RegExp(fresh.key),
    'the new key is shown once',
  );
  t.match(
    (
      await app.inject({
        method: 'POST',
        url: `${keys}/${fresh.id}/rotate?graceSeconds=604801`,
        headers: bearer(a.key),
      })
    ).json(),
    { status: 400, code: 'SB_ERR_VALIDATION' },
    'at most 7 days of grace',
  );

  // A short grace: the old key stops when it ends, though this process verified it a moment ago.
  const short = (
    await app.inject({
      method: 'POST',
      url: `${keys}/${fresh.id}/rotate?graceSeconds=1`,
      headers: bearer(adminKey),
    })
  ).json<{ id: string; key: string }>();
  t.equal(await works(fresh.key), 200, 'within the grace');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.equal(await works(fresh.key), 401, 'refused once the grace is over');
  t.equal(await works(short.key), 200);
  t.match((await app.inject({ url: `${keys}/${fresh.id}`, headers: bearer(a.key) })).json(), {
    status: 'expired',
  });

  // graceSeconds=0: the old key stops now.
  const now = (
    await app.inject({
      method: 'POST',
      url: `${keys}/${short.id}/rotate?graceSeconds=0`,
      headers: bearer(adminKey),
    })
  ).json<{ key: string; previous: { status: string } }>();
  t.equal(now.previous.status, 'revoked');
  t.equal(await works(short.key), 401, 'a grace of 0 stops the old key at once');
  t.equal(await works(now.key), 200);

  // Revoke: unusable from the next request (the key was verified, so cached, just before).
  const nowId = (await slotbridge.apiKeys.authenticate(now.key))!.apiKeyId;
  t.equal(await works(now.key), 200);
  const revoked = await app.inject({
    method: 'POST',
    url: `${keys}/${nowId}/revoke`,
    headers: bearer(a.key),
  });
  t.equal(revoked.statusCode, 200);
  t.match(revoked.json(), { id: nowId, status: 'revoked', revokedAt: String });
  t.equal(await works(now.key), 401, 'revoked: refused at once');
  const twice = await app.inject({ method: 'POST', url: `${keys}/${nowId}/revoke`, headers: bearer(a.key) });
  t.equal(twice.statusCode, 200, 'revoking a revoked key answers it');
  t.match(
    (await app.inject({ method: 'POST', url: `${keys}/${nowId}/rotate`, headers: bearer(a.key) })).json(),
    { status: 409, code: 'SB_ERR_API_KEY_NOT_ROTATABLE' },
  );

  // The key making the request: not revoked without confirm=true.
  const self = await app.inject({
    method: 'POST',
    url: `${keys}/${a.ids.apiKeyId}/revoke`,
    headers: bearer(a.key),
  });
  t.match(self.json(), { status: 409, code: 'SB_ERR_API_KEY_IN_USE', fix: /confirm=true/ });
  t.equal(await works(a.key), 200, 'still works');
  const confirmed = await app.inject({
    method: 'POST',
    url: `${keys}/${a.ids.apiKeyId}/revoke?confirm=true`,
    headers: bearer(a.key),
  });
  t.equal(confirmed.statusCode, 200);
  t.equal(await works(a.key), 401, 'gone at once');

  // Audited (no practice: read from the table).
  const audit = await slotbridge.db
    .selectFrom('audit_events')
    .select(['action', 'details'])
    .where('action', 'in', ['api_key.rotated', 'api_key.revoked'])
    .execute();
  t.equal(audit.filter((e) => e.action === 'api_key.rotated').length, 3);
  t.equal(audit.filter((e) => e.action === 'api_key.revoked').length, 2);
  t.notMatch(JSON.stringify(audit), /sb_/, 'no key in the audit');
  const bStill = await app.inject({ url: `/v1/practices/${b.ids.practiceId}`, headers: bearer(b.key) });
  t.equal(bStill.statusCode, 200, "B's key untouched");
});
