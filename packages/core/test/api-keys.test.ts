/**
 * API keys are verified from memory: no write per request, `last_used_at` recorded at most once
 * a minute per key in a batch, and a revoked key stops working (here at once; elsewhere within
 * the cache's lifetime).
 */
import t, { type Test } from 'tap';
import { ApiKeys } from '../src/api-keys.ts';
import { CoreErrorCode } from '../src/errors.ts';
import { createTestDatabase } from '../src/testing/index.ts';

async function keys(t: Test) {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  let offset = 0;
  const now = () => new Date(Date.UTC(2026, 10, 30, 9) + offset);
  const apiKeys = new ApiKeys(database.db, { now });
  const other = new ApiKeys(database.db, { now }); // another process on the same database
  const partner = await apiKeys.createPartner('P');
  const issued = await apiKeys.issuePartnerKey(partner.id, 'test');
  const lastUsed = async () =>
    (
      await database.db
        .selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', issued.id)
        .executeTakeFirstOrThrow()
    ).last_used_at;
  return { db: database.db, apiKeys, other, issued, lastUsed, advance: (ms: number) => (offset += ms) };
}

t.test(
  'verifying a key writes nothing; last_used_at is batched, at most once a minute per key',
  async (t) => {
    const { apiKeys, issued, lastUsed, advance } = await keys(t);
    for (let i = 0; i < 50; i++) {
      t.match(await apiKeys.authenticate(issued.key), { apiKeyId: issued.id, partnerId: issued.partnerId });
    }
    t.equal(await lastUsed(), null, 'fifty requests wrote nothing');
    await apiKeys.flushLastUsed();
    const first = await lastUsed();
    t.same(first, new Date(Date.UTC(2026, 10, 30, 9)), 'one batched write records the use');

    advance(30_000);
    for (let i = 0; i < 20; i++) await apiKeys.authenticate(issued.key);
    await apiKeys.flushLastUsed();
    t.same(await lastUsed(), first, 'within the minute nothing more is written');

    advance(31_000);
    await apiKeys.authenticate(issued.key);
    await apiKeys.close();
    t.same(
      await lastUsed(),
      new Date(Date.UTC(2026, 10, 30, 9, 1, 1)),
      'a minute later, one more write (on close)',
    );
  },
);

t.test('a verified key is remembered: no database read per request', async (t) => {
  const { db, apiKeys, issued } = await keys(t);
  await apiKeys.authenticate(issued.key);
  // Behind the core's back (another process revoking): this process trusts its cache briefly.
  await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', issued.id).execute();
  t.ok(await apiKeys.authenticate(issued.key), 'answered from memory');
});

t.test(
  'a revoked key stops working: at once here, within the cache lifetime in other processes',
  async (t) => {
    const { apiKeys, other, issued, advance } = await keys(t);
    t.ok(await apiKeys.authenticate(issued.key));
    t.ok(await other.authenticate(issued.key));
    await apiKeys.revoke(issued.id);
    t.equal(await apiKeys.authenticate(issued.key), null, 'refused at once where it was revoked');
    t.ok(await other.authenticate(issued.key), 'another process may still trust its cache');
    advance(30_001);
    t.equal(await other.authenticate(issued.key), null, 'and refuses it once the cache lapses (30 s)');
    await t.rejects(apiKeys.revoke('00000000-0000-4000-8000-000000000000'), {
      code: CoreErrorCode.API_KEY_NOT_FOUND,
    });
    t.equal(await apiKeys.authenticate('sb_not-a-key'), null);
  },
);
