/**
 * A connection's health follows its reads: healthy → degraded → failing, failing at once when
 * the EHR refuses access (with the set-up checks run again and the practice's fix shown), and
 * healthy again on the first good read.
 */
import t from 'tap';
import { FAILING_AFTER } from '../src/connections.ts';
import { memoryPractice, tomorrowSlots } from './helpers/memory-practice.ts';

async function readNear(setup: Awaited<ReturnType<typeof memoryPractice>>) {
  const from = new Date();
  return setup.slotbridge.sync.read(
    setup.practice,
    'near',
    { from, to: new Date(from.getTime() + 48 * 3_600_000) },
    { record: 'when-changed' },
  );
}

t.test('transient failures degrade, then fail; the first good read heals', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  setup.memory.slots.push(...tomorrowSlots(2));
  const view = () => setup.slotbridge.connections.view(setup.practice);
  await readNear(setup);
  t.match(await view(), { status: 'healthy', syncFailures: 0 });

  setup.memory.failNext('fetch', 'transient', FAILING_AFTER);
  await readNear(setup);
  t.match(await view(), {
    status: 'degraded',
    syncFailures: 1,
    lastSyncError: /^MEM_ERR_TRANSIENT/,
    lastSyncFix: /failed on purpose/,
  });
  for (let i = 1; i < FAILING_AFTER; i++) await readNear(setup);
  t.match(await view(), { status: 'failing', syncFailures: FAILING_AFTER });

  await readNear(setup);
  t.match(await view(), { status: 'healthy', syncFailures: 0, lastSyncError: null, lastSyncFix: null });
});

t.test('access refused: failing at once, the set-up checks say which step; healed once let in', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  setup.memory.slots.push(...tomorrowSlots(2));
  await readNear(setup);
  setup.memory.refused = true;
  const failed = await readNear(setup);
  t.equal(failed.status, 'failed');
  const failing = await setup.slotbridge.connections.view(setup.practice);
  t.match(failing, { status: 'failing', syncFailures: 1, lastSyncFix: 'Type the secret again' });
  const credentials = (view: typeof failing) => view.setupChecks.find((c) => c.id === 'credentials');
  t.match(credentials(failing), { ok: false, fix: 'Type the secret again' });

  setup.memory.refused = false;
  await readNear(setup);
  const healed = await setup.slotbridge.connections.view(setup.practice);
  t.match(healed, { status: 'healthy', syncFailures: 0, lastSyncFix: null });
  t.match(credentials(healed), { ok: true }, 'the checks ran again and pass');
});

t.test('a good read of a healthy connection writes nothing', async (t) => {
  const setup = await memoryPractice();
  t.teardown(setup.close);
  setup.memory.slots.push(...tomorrowSlots(2));
  await readNear(setup);
  const before = await setup.slotbridge.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
  await readNear(setup);
  await readNear(setup);
  const after = await setup.slotbridge.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
  t.same(after, before);
});

t.test(
  'a read that asks the EHR nothing (no active slot type) leaves a failing connection failing',
  async (t) => {
    const setup = await memoryPractice();
    t.teardown(setup.close);
    setup.memory.slots.push(...tomorrowSlots(2));
    setup.memory.refused = true;
    t.equal((await readNear(setup)).status, 'failed');
    t.match(await setup.slotbridge.connections.view(setup.practice), { status: 'failing' });

    await setup.slotbridge.mappings.putActiveSlotTypes(setup.caller, setup.practice, []);
    const empty = await readNear(setup);
    t.match(empty, { status: 'succeeded', askedEhr: false }, 'nothing to read: nothing asked');
    t.match(
      await setup.slotbridge.connections.view(setup.practice),
      { status: 'failing', lastSyncFix: 'Type the secret again' },
      'still failing: a read of nothing proves nothing about the connection',
    );
  },
);
