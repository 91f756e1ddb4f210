import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { SlotWindow } from '../src/ehr-plugin.ts';
import { Slotbridge } from '../src/slotbridge.ts';
import { shardOf } from '../src/sync/scheduler.ts';
import { createMemoryEhr, silentLog, testEncryptionKey } from '../src/testing/index.ts';
import { memoryPractice, memorySlot, tomorrowSlots } from './helpers/memory-practice.ts';

const fast = { nearSyncSeconds: 1, farSyncSeconds: 3, syncConcurrency: 8, writeConcurrency: 4 };

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

t.test('shards spread practices over the ids evenly enough', async (t) => {
  const counts = new Array(64).fill(0);
  for (let i = 0; i < 6400; i++) counts[shardOf(crypto.randomUUID())] += 1;
  t.ok(
    Math.min(...counts) > 50 && Math.max(...counts) < 150,
    `per shard ${Math.min(...counts)}–${Math.max(...counts)}`,
  );
});

t.test('two processes share the practices, and one takes them all when the other stops', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  const { slotbridge, caller } = setup;
  for (let i = 0; i < 11; i++) {
    const practice = await slotbridge.practices.create(caller, {
      name: `P${i}`,
      ehr: 'memory',
      timeZone: 'Europe/London',
    });
    await slotbridge.connections.put(caller, practice, { practiceCode: `P${i}`, secret: 'right' });
  }
  const all = (await slotbridge.db.selectFrom('connections').select('practice_id').execute())
    .map((r) => r.practice_id)
    .sort();
  const second = await Slotbridge.create({
    db: slotbridge.db,
    connectionString: setup.connectionString,
    encryptionKey: testEncryptionKey,
    log: silentLog,
    engine: fast,
  });
  second.ehr.register(createMemoryEhr().definition);
  await slotbridge.startWorkers();
  await until(
    'the first process owns every practice',
    () => slotbridge.scheduler!.owned.length === all.length,
  );

  await second.startWorkers();
  await until('the two share the practices', () => {
    const a = slotbridge.scheduler!.owned;
    const b = second.scheduler!.owned;
    return a.length > 0 && b.length > 0 && a.length + b.length === all.length;
  });
  const shared = [...slotbridge.scheduler!.owned, ...second.scheduler!.owned].sort();
  t.same(shared, all, 'every practice has exactly one owner');

  await second.close();
  await until(
    'the first process owns every practice again',
    () => slotbridge.scheduler!.owned.length === all.length,
  );
  t.pass('the stopped process’s practices were taken over');
});

t.test(
  'the near window is read often; an unchanged read writes nothing, a change is written at once',
  async (t) => {
    const setup = await memoryPractice({ engine: fast });
    t.teardown(setup.close);
    const { slotbridge, memory, practice } = setup;
    memory.slots.push(...tomorrowSlots(4));
    await slotbridge.sync.run(practice, 'startup');
    const snapshot = async () => ({
      runs: await slotbridge.db.selectFrom('sync_runs').select('id').execute(),
      slots: await slotbridge.db.selectFrom('slots').select(['id', 'updated_at']).orderBy('id').execute(),
      connection: await slotbridge.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow(),
    });
    const before = await snapshot();
    const fetchesBefore = memory.calls.fetch;
    await slotbridge.startWorkers();
    await until('several reads happened', () => memory.calls.fetch >= fetchesBefore + 6);
    t.same(await snapshot(), before, 'reads that found nothing new wrote nothing');
    const state = await slotbridge.syncState.of(practice.id);
    t.ok(
      state.lastGoodSyncAt && state.lastGoodSyncAt > before.connection.last_good_sync_at!,
      'yet the practice is known to be fresh',
    );
    t.ok(state.nextSyncDueBy, 'and its next read is due');

    // Reception books a slot tomorrow in the EHR: the near window picks it up within seconds.
    memory.slots[1] = { ...memory.slots[1]!, status: 'booked', ehrStatus: 'Booked' };
    await until('the booked slot is stored', async () => {
      const row = await slotbridge.db
        .selectFrom('slots')
        .select('status')
        .where('ehr_slot_id', '=', 's2')
        .executeTakeFirstOrThrow();
      return row.status === 'booked';
    });
    const runs = await slotbridge.db
      .selectFrom('sync_runs')
      .select(['trigger', 'updated'])
      .orderBy('started_at', 'desc')
      .execute();
    t.match(runs[0], { trigger: 'near', updated: 1 }, 'the read that changed something is recorded');
    const connection = await slotbridge.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
    t.same(
      connection.last_good_sync_at,
      before.connection.last_good_sync_at,
      'a window read does not vouch for the whole horizon on the connection',
    );

    await until('the scheduler publishes its read times', async () =>
      (await slotbridge.db.selectFrom('sync_workers').select('practices').execute()).some(
        (row) => practice.id in row.practices,
      ),
    );
  },
);

t.test('a confirmed booking refreshes that practitioner’s day at once', async (t) => {
  // Reads come round rarely here, so only the refresh can explain a read of one day.
  const setup = await memoryPractice({ engine: { ...fast, nearSyncSeconds: 600, farSyncSeconds: 1200 } });
  t.teardown(setup.close);
  const { slotbridge, memory, practice, caller } = setup;
  const windows: SlotWindow[] = [];
  const fetch = memory.definition.onSlotFetch;
  memory.definition.onSlotFetch = (ctx, window) => {
    windows.push(window);
    return fetch(ctx, window);
  };
  memory.slots.push(
    ...tomorrowSlots(3),
    memorySlot('other', tomorrowSlots(1)[0]!.startAt, { ehrPractitionerId: 'p2' }),
  );
  await slotbridge.sync.run(practice, 'startup');
  await slotbridge.startWorkers();
  const [slot] = await slotbridge.availability.offered(slotbridge.db, practice);
  await until('first reads are done', () => windows.length >= 2, 40_000);
  const seen = windows.length;
  await slotbridge.bookings.create(caller, practice, 'refresh-1', {
    slotId: slot!.id,
    patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
  });
  await until('the day is read again', () =>
    windows.slice(seen).some((w) => w.ehrPractitionerIds?.[0] === 'p1'),
  );
  const refresh = windows.slice(seen).find((w) => w.ehrPractitionerIds)!;
  t.same(refresh.ehrPractitionerIds, ['p1'], 'only the practitioner of the booking');
  t.ok(refresh.to.getTime() - refresh.from.getTime() <= 25 * 3_600_000, 'one day at most');
  t.ok(refresh.from <= slot!.startAt && refresh.to > slot!.startAt, 'the day of the booking');
});
