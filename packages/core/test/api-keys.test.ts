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

t.test(
  'a practice key: authenticates with its practice, is listed with the partner, keeps its practice when rotated, stops at once when revoked',
  async (t) => {
    const { db, apiKeys, other } = await keys(t);
    const partner = await apiKeys.createPartner('Q');
    const otherPartner = await apiKeys.createPartner('R');
    const practice = await db
      .insertInto('practices')
      .values({ partner_id: partner.id, name: 'Surgery', ehr: 'memory', time_zone: 'Europe/London' })
      .returning('id')
      .executeTakeFirstOrThrow();

    const issued = await apiKeys.issuePracticeKey(null, partner.id, practice.id, 'manager');
    t.match(issued, { partnerId: partner.id, practiceId: practice.id, label: 'manager', key: /^sb_/ });
    t.same(await apiKeys.authenticate(issued.key), {
      apiKeyId: issued.id,
      partnerId: partner.id,
      practiceId: practice.id,
    });
    const partnerKey = await apiKeys.issuePartnerKey(partner.id, 'partner');
    t.equal(partnerKey.practiceId, null, 'a partner key has no practice');
    t.match(await apiKeys.authenticate(partnerKey.key), { partnerId: partner.id, practiceId: null });

    const listed = (await apiKeys.listPartnerKeys(partner.id, { limit: 10 })).items;
    t.same(
      listed.map((k) => [k.id, k.practiceId]),
      [
        [issued.id, practice.id],
        [partnerKey.id, null],
      ],
      "the partner's list shows the practice key with its practiceId",
    );

    await t.rejects(
      apiKeys.issuePracticeKey(null, otherPartner.id, practice.id, 'x'),
      { code: CoreErrorCode.PRACTICE_NOT_FOUND },
      "another partner's practice is 404",
    );
    await t.rejects(
      db
        .insertInto('api_keys')
        .values({ partner_id: null, practice_id: practice.id, label: 'x', key_prefix: 'sb_x', key_hash: 'x' })
        .execute(),
      /api_keys_practice_partner_chk/,
      'the database refuses a practice key without its partner',
    );

    const { issued: next, previous } = await apiKeys.rotatePartnerKey(null, partner.id, issued.id, 60);
    t.equal(next.practiceId, practice.id, 'the rotated key reaches the same practice');
    t.equal(previous.practiceId, practice.id);
    t.match(await apiKeys.authenticate(next.key), { practiceId: practice.id, partnerId: partner.id });

    t.ok(await other.authenticate(next.key), 'another process knows it');
    await apiKeys.revokePartnerKey(null, partner.id, next.id);
    t.equal(await apiKeys.authenticate(next.key), null, 'revoked: refused at once');
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('practice_id', '=', practice.id)
      .orderBy('created_at')
      .execute();
    t.same(
      audit.map((a) => a.action).sort(),
      ['api_key.issued', 'api_key.revoked', 'api_key.rotated'],
      "the practice's audit shows its key issued, rotated and revoked",
    );

    await db.deleteFrom('practices').where('id', '=', practice.id).execute();
    t.equal(
      (await db.selectFrom('api_keys').select('id').where('practice_id', '=', practice.id).execute()).length,
      0,
      'its keys go with the practice',
    );
  },
);
