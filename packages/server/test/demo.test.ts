import { createTestSlotbridge } from '@slotbridge/core/testing';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { startDemo } from '../src/demo.ts';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryPluginList } from './helpers/plugin-list.ts';

t.test(
  'the demo sets up a practice per sandbox, syncs it, and restarts onto the same practices',
  async (t) => {
    // Whatever the repository's slotbridge.config.json lists: each plugin brings its own demo.
    const plugins = await loadPlugins(repositoryPluginList(), { demo: true });
    const { slotbridge, database } = await createTestSlotbridge();
    const app = await buildApp({ slotbridge, ehrPlugins: plugins.map((p) => p.plugin) });
    await app.ready();
    t.teardown(async () => {
      await app.close();
      await database.drop();
    });

    const first = await startDemo(slotbridge, plugins);
    t.ok(plugins.length >= 3, 'the bundled plugins at least');
    t.same(
      first.practices.map((p) => [p.ehr, p.sync.status]),
      plugins.map((p) => [p.id, 'succeeded']),
      'one demo practice per plugin, in the order listed, each synced',
    );
    t.equal(new Set(first.practices.map((p) => p.name)).size, plugins.length, 'each with its own name');
    for (const practice of first.practices) {
      t.ok(practice.sync.inserted > 20, `${practice.ehr}: ${practice.sync.inserted} slots`);
      const slots = await app.inject({
        url: `/v1/practices/${practice.practiceId}/slots`,
        headers: { authorization: `Bearer ${first.partnerKey}` },
      });
      t.ok(slots.json().data.length > 0, `${practice.ehr}: slots are offered to the demo partner key`);
      const diary = await fetch(
        `${practice.sandboxUrl}/_sandbox/diary?date=${new Date().toISOString().slice(0, 10)}`,
      );
      t.equal(diary.status, 200, `${practice.ehr}: the sandbox diary answers over HTTP`);
    }
    // The console's exercise: beside the first demo practice, nothing mapped, failing until the
    // secret is typed again (docs/console.md).
    const exercise = first.exercise!;
    t.equal(exercise.ehr, plugins[0]!.id);
    const asPartner = { authorization: `Bearer ${first.partnerKey}` };
    const read = async (path: string) =>
      (await app.inject({ url: `/v1/practices/${exercise.practiceId}${path}`, headers: asPartner })).json();
    const connection = await read('/connection');
    t.equal(connection.status, 'failing', 'the exercise connection fails');
    t.match(
      connection.setupChecks.find((c: { ok: boolean }) => !c.ok),
      { fix: /space|spaces/ },
      'a stray space',
    );
    t.ok((await read('/practitioners')).data.length > 0, 'the booking side has its practitioners');
    t.ok(
      (await read('/mappings/practitioners')).rows.every(
        (r: { ehrPractitionerId: unknown }) => r.ehrPractitionerId === null,
      ),
      'nothing mapped',
    );
    t.same((await read('/active-slot-types')).ehrSlotTypeIds, [], 'nothing active');
    // The practice manager fixes the connection; a restart keeps what they typed.
    const twin = first.practices[0]!;
    const stored = await slotbridge.practices.get(
      (await slotbridge.apiKeys.authenticate(first.partnerKey))!,
      twin.practiceId,
    );
    const good = (await slotbridge.connections.context(stored)).connection;
    const fixed = await app.inject({
      method: 'PUT',
      url: `/v1/practices/${exercise.practiceId}/connection`,
      headers: asPartner,
      payload: good,
    });
    t.equal(fixed.statusCode, 200, fixed.body);
    await first.close();

    const second = await startDemo(slotbridge, plugins);
    t.equal(second.exercise?.practiceId, exercise.practiceId, 'the same exercise practice');
    const again = await app.inject({
      url: `/v1/practices/${exercise.practiceId}/connection`,
      headers: { authorization: `Bearer ${second.partnerKey}` },
    });
    t.equal(again.json().status, 'healthy', 'still fixed after a restart, pointed at the new sandbox');
    t.teardown(() => second.close());
    t.same(
      second.practices.map((p) => p.practiceId),
      first.practices.map((p) => p.practiceId),
      'the same practices',
    );
    t.not(second.partnerKey, first.partnerKey);
    t.same(
      second.practices.map((p) => p.sync.inserted),
      plugins.map(() => 0),
      'the same diaries: nothing new to store',
    );
    const old = await app.inject({
      url: '/v1/practices',
      headers: { authorization: `Bearer ${first.partnerKey}` },
    });
    t.equal(old.statusCode, 401, 'the previous demo key is revoked');
    const types = await slotbridge.db
      .selectFrom('appointment_types')
      .select(['practice_id', 'name'])
      .execute();
    t.equal(
      new Set(types.map((r) => `${r.practice_id}/${r.name}`)).size,
      types.length,
      'set up once, not twice',
    );
  },
);
