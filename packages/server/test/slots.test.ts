/**
 * GET …/slots over HTTP: pages by `limit` and `cursor`, `next` the URL of the next page; a
 * revoked key stops working; requests write nothing to api_keys.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { localDateOf, slotView } from '@slotbridge/core';
import { insertCatalogue } from '@slotbridge/core/testing';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { tomorrowSlotsForTests } from './helpers/slots.ts';
import { bearer, testApp } from './helpers/test-app.ts';

async function offeringPractice(
  t: Test,
  slots: number,
  options: { workers?: boolean; answering?: boolean } = {},
) {
  const setup = await testApp(options);
  t.teardown(setup.close);
  const { app, slotbridge, memory } = setup;
  const a = await setup.partner('A');
  const practice = (
    await app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'P', ehr: 'memory', timeZone: 'Europe/London' },
    })
  ).json();
  await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers: bearer(a.key),
    payload: { practiceCode: 'T1', secret: 'right' },
  });
  const record = await slotbridge.practices.get(
    { apiKeyId: 'test', partnerId: null, practiceId: null },
    practice.id,
  );
  await insertCatalogue(slotbridge.db, record.id, [
    { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)' },
    { kind: 'location', ehrId: 'l1', name: 'Main (EHR)' },
    { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
  ]);
  const practitionerId = await slotbridge.catalogue.addPractitioner(record, 'Dr Test');
  await slotbridge.mappings.putPractitioners(null, record, [{ practitionerId, ehrPractitionerId: 'p1' }]);
  const locationId = await slotbridge.catalogue.addLocation(record, 'Main');
  await slotbridge.mappings.putLocations(null, record, [{ locationId, ehrLocationId: 'l1' }]);
  const typeId = await slotbridge.catalogue.addAppointmentType(record, 'GP appointment', 10);
  await slotbridge.mappings.putSlotTypeFeatures(null, record, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(null, record, ['st1']);
  memory.slots.push(...tomorrowSlotsForTests(slots));
  await app.inject({ method: 'POST', url: `/v1/practices/${practice.id}/sync`, headers: bearer(a.key) });
  return { ...setup, key: a.key, practiceId: practice.id as string };
}

t.test('pages: limit and cursor walk every slot once, in order; next is null at the end', async (t) => {
  const { app, slotbridge, key, practiceId } = await offeringPractice(t, 17);
  const whole = await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(key) });
  const all = whole.json();
  t.equal(all.data.length, 17);
  t.equal(all.next, null, 'one page holds them all by default');
  const practice = await slotbridge.practices.get(
    { apiKeyId: 'test', partnerId: null, practiceId: null },
    practiceId,
  );
  t.same(
    all.data,
    (await slotbridge.availability.offered(slotbridge.db, practice)).map((s) => slotView(s, 'Europe/London')),
    'the stored answer is the slot as the availability reads it',
  );

  const ids: string[] = [];
  const today = localDateOf(new Date(), 'Europe/London');
  let url: string | null = `/v1/practices/${practiceId}/slots?limit=5&from=${today}`;
  let pages = 0;
  while (url) {
    const res = await app.inject({ url, headers: bearer(key) });
    t.equal(res.statusCode, 200);
    const page: { data: { id: string }[]; next: string | null } = res.json();
    ids.push(...page.data.map((s: { id: string }) => s.id));
    if (page.next) {
      t.match(page.next, new RegExp(`^/v1/practices/${practiceId}/slots\\?limit=5&from=${today}&cursor=`));
    }
    url = page.next;
    pages += 1;
  }
  t.equal(pages, 4);
  t.same(
    ids,
    all.data.map((s: { id: string }) => s.id),
    'no duplicate, no gap',
  );

  const bad = await app.inject({
    url: `/v1/practices/${practiceId}/slots?cursor=nope`,
    headers: bearer(key),
  });
  t.match(bad.json(), {
    status: 400,
    code: 'SB_ERR_CURSOR_INVALID',
    fix: /Pass the "next" of the previous page/,
  });
  const tooMany = await app.inject({
    url: `/v1/practices/${practiceId}/slots?limit=1001`,
    headers: bearer(key),
  });
  t.match(tooMany.json(), { status: 400, code: 'SB_ERR_VALIDATION' });

  // The stored answers are in the practice's time zone: changing it rewrites them.
  await app.inject({
    method: 'PATCH',
    url: `/v1/practices/${practiceId}`,
    headers: bearer(key),
    payload: { timeZone: 'Australia/Sydney' },
  });
  const sydney = (
    await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(key) })
  ).json();
  t.equal(sydney.data.length, 17);
  t.ok(
    sydney.data.every((s: { start: string }) => /\+1[01]:00$/.test(s.start)),
    `times in Sydney (${sydney.data[0].start})`,
  );
});

t.test('a revoked key stops working; requests do not write api_keys', async (t) => {
  const { app, slotbridge, key, practiceId } = await offeringPractice(t, 2);
  const caller = (await slotbridge.apiKeys.authenticate(key))!;
  await slotbridge.apiKeys.flushLastUsed();
  const before = await slotbridge.db
    .selectFrom('api_keys')
    .select('last_used_at')
    .where('id', '=', caller.apiKeyId)
    .executeTakeFirstOrThrow();
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(key) });
    t.equal(res.statusCode, 200);
  }
  await slotbridge.apiKeys.flushLastUsed();
  const after = await slotbridge.db
    .selectFrom('api_keys')
    .select('last_used_at')
    .where('id', '=', caller.apiKeyId)
    .executeTakeFirstOrThrow();
  t.same(after, before, 'twenty requests within the minute: last_used_at not written again');

  await slotbridge.apiKeys.revoke(caller.apiKeyId);
  const refused = await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(key) });
  t.match(refused.json(), {
    status: 401,
    code: 'SB_ERR_UNAUTHENTICATED',
    detail: 'This API key is not valid or was revoked',
  });
});

for (const [mode, options] of [
  ['serve: API and workers', { workers: true }],
  ['api: the API alone, no workers', { answering: true }],
] as const) {
  t.test(
    `${mode}: an answer is kept until the practice's offers change, and dropped the moment they do`,
    async (t) => {
      const { app, slotbridge, key, practiceId, partner } = await offeringPractice(t, 4, options);
      if (!options.workers) t.equal(slotbridge.scheduler, null, 'no scheduler in an API-only process');
      const ids = async (): Promise<string[]> =>
        (await app.inject({ url: `/v1/practices/${practiceId}/slots`, headers: bearer(key) }))
          .json()
          .data.map((slot: { id: string }) => slot.id);
      // Well inside the answers' few seconds: only a notification can explain a change this fast.
      const soon = async (what: string, check: (slots: string[]) => boolean) => {
        const deadline = Date.now() + 2_000;
        while (Date.now() < deadline) {
          if (check(await ids())) return;
          await sleep(20);
        }
        t.fail(`not seen within 2 s: ${what}`);
      };
      let computed = 0;
      const answerPage = slotbridge.availability.answerPage.bind(slotbridge.availability);
      slotbridge.availability.answerPage = (...args) => {
        computed += 1;
        return answerPage(...args);
      };
      // The set-up's own notifications (its sync wrote the slots) arrive a moment after it.
      await sleep(500);
      const first = await ids();
      t.equal(first.length, 4);
      t.same(await ids(), first);
      t.equal(computed, 1, 'the second answer is the kept one');
      const other = await partner('B');
      const foreign = await app.inject({
        url: `/v1/practices/${practiceId}/slots`,
        headers: bearer(other.key),
      });
      t.equal(foreign.statusCode, 404, "a kept answer is never served to another partner's key");
      // Once the practice's offers are said to have changed, the answer is computed again.
      await sql`select pg_notify('slotbridge_offers', ${practiceId})`.execute(slotbridge.db);
      const deadline = Date.now() + 2_000;
      while (computed === 1 && Date.now() < deadline) {
        await ids();
        await sleep(20);
      }
      t.equal(computed, 2, 'computed again after the notification');

      // A booking through the API takes its slot out of the next answer.
      const booked = await app.inject({
        method: 'POST',
        url: `/v1/practices/${practiceId}/bookings`,
        headers: { ...bearer(key), 'idempotency-key': 'cache-test-1' },
        payload: {
          slotId: first[1],
          patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
        },
      });
      t.equal(booked.statusCode, 201, booked.body);
      await soon('the booked slot gone', (slots) => !slots.includes(first[1]!));
    },
  );
}

t.test("a client's own change is in its next read at once, before any notification", async (t) => {
  const { app, memory, key, practiceId } = await offeringPractice(t, 4, { workers: true });
  await sleep(500);
  const url = `/v1/practices/${practiceId}/slots`;
  const count = async () => (await app.inject({ url, headers: bearer(key) })).json().data.length;
  t.equal(await count(), 4);
  t.equal(await count(), 4, 'kept');
  memory.slots[0] = { ...memory.slots[0]!, status: 'booked', ehrStatus: 'Booked' };
  const sync = await app.inject({
    method: 'POST',
    url: `/v1/practices/${practiceId}/sync`,
    headers: bearer(key),
  });
  // Workers are on: a background sync may have stored the change first (then this one finds
  // nothing to update). Either way the very next read must show it.
  t.match(sync.json(), { status: 'succeeded' });
  t.equal(await count(), 3, 'the very next read');
});
