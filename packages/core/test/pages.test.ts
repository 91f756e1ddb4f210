/**
 * Keyset page cursors (pages.ts): a cursor round-trips its key, and anything else — another list's
 * cursor, a key of the wrong shape, text that is not base64url JSON — is a 400
 * SB_ERR_CURSOR_INVALID with a fix. And the rotation grace across processes (api-keys.ts): a
 * process that verified the old key before the rotation stops accepting it once its cache lapses
 * and the grace has ended.
 */
import t from 'tap';
import { ApiKeys } from '../src/api-keys.ts';
import { CoreErrorCode, InputError } from '../src/errors.ts';
import { decodeCursor, encodeCursor, pageFrom } from '../src/pages.ts';
import { createTestDatabase } from '../src/testing/index.ts';

const ID = '5b0c2a4e-1111-4222-8333-944455556666';
const AT = '2026-12-01T09:00:00.123456Z';

t.test('a cursor round-trips its key; anything else is refused with a fix', async (t) => {
  const cursor = encodeCursor('bookings', [AT, ID]);
  t.match(cursor, /^[A-Za-z0-9_-]+$/, 'URL-safe');
  t.same(decodeCursor('bookings', cursor, ['instant', 'uuid']), [AT, ID]);
  t.same(decodeCursor('deliveries', encodeCursor('deliveries', ['42']), ['integer']), ['42']);

  const refused = (list: string, text: string, parts: Parameters<typeof decodeCursor>[2], why: string) => {
    let caught: unknown = null;
    try {
      decodeCursor(list, text, parts);
    } catch (error) {
      caught = error;
    }
    t.ok(caught instanceof InputError, `${why}: refused`);
    t.match(
      caught,
      { code: CoreErrorCode.CURSOR_INVALID, category: 'invalid_input', fix: /Pass the "next"/ },
      why,
    );
  };
  refused('practices', cursor, ['instant', 'uuid'], "another list's cursor");
  refused('bookings', cursor, ['instant', 'uuid', 'uuid'], 'a key of another length');
  refused(
    'bookings',
    encodeCursor('bookings', ['2026-12-01', ID]),
    ['instant', 'uuid'],
    'an instant not to the µs',
  );
  refused('bookings', encodeCursor('bookings', [AT, 'x']), ['instant', 'uuid'], 'not a UUID');
  refused('deliveries', encodeCursor('deliveries', ['4.2']), ['integer'], 'not an integer');
  refused('bookings', 'nope', ['instant', 'uuid'], 'not JSON');
  refused('bookings', `${cursor}==`, ['instant', 'uuid'], 'not base64url');
  refused('bookings', 'A'.repeat(2001), ['instant', 'uuid'], 'too long');
  refused('bookings', Buffer.from('{"a":1}').toString('base64url'), ['instant', 'uuid'], 'not an array');
});

t.test('a page of limit + 1 rows: the extra one only says there is a next page', async (t) => {
  const key = (n: number) => [String(n)];
  t.same(pageFrom([1, 2], 2, 'l', key), { items: [1, 2], next: null });
  const page = pageFrom([1, 2, 3], 2, 'l', key);
  t.same(page.items, [1, 2]);
  t.same(decodeCursor('l', page.next!, ['integer']), ['2'], 'the key of the last row served');
});

t.test('a rotated key stops in another process once the grace and its cache are over', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  let now = new Date('2026-12-01T09:00:00Z');
  const clock = () => now;
  const here = new ApiKeys(database.db, { now: clock, cacheSeconds: 30 });
  const there = new ApiKeys(database.db, { now: clock, cacheSeconds: 30 });
  const partner = await here.createPartner('P');
  const old = await here.issuePartnerKey(partner.id, 'app');
  t.ok(await there.authenticate(old.key), 'the other process verified the old key (cached)');

  const { issued, previous } = await here.rotatePartnerKey(null, partner.id, old.id, 60);
  t.equal(previous.status, 'expiring');
  t.equal(previous.expiresAt, new Date(now.getTime() + 60_000).toISOString());
  t.ok(await here.authenticate(issued.key), 'the new key works at once');
  t.ok(await here.authenticate(old.key), 'the old key works during the grace, here');
  t.ok(await there.authenticate(old.key), 'and there');

  now = new Date(now.getTime() + 59_000);
  t.ok(await here.authenticate(old.key), 'a second before the end');
  now = new Date(now.getTime() + 1_000);
  t.equal(await here.authenticate(old.key), null, 'refused when the grace ends, though cached');
  t.equal(await there.authenticate(old.key), null, 'refused there too: its cache lapsed first');
  t.match((await here.partnerKey(partner.id, old.id)).status, 'expired');
  t.ok(await there.authenticate(issued.key), 'the new key still works');
  await here.close();
  await there.close();
});
