import { createTestSlotbridge } from '@slotbridge/core/testing';
import emisPlugin from '@slotbridge/plugin-emis';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { startDemo } from '../src/demo.ts';

t.test(
  'the demo sets up a practice per sandbox, syncs it, and restarts onto the same practice',
  async (t) => {
    const { slotbridge, database } = await createTestSlotbridge();
    const app = await buildApp({ slotbridge, ehrPlugins: [emisPlugin] });
    await app.ready();
    t.teardown(async () => {
      await app.close();
      await database.drop();
    });

    const first = await startDemo(slotbridge);
    t.equal(first.practices.length, 1);
    const [emis] = first.practices;
    t.match(emis, { ehr: 'emis', name: 'Demo Surgery (EMIS Web)', sync: { status: 'succeeded' } });
    t.ok(emis!.sync.inserted > 100, `${emis!.sync.inserted} slots`);
    const slots = await app.inject({
      url: `/v1/practices/${emis!.practiceId}/slots`,
      headers: { authorization: `Bearer ${first.partnerKey}` },
    });
    t.ok(slots.json().data.length > 0, 'slots are offered to the demo partner key');
    await first.close();

    const second = await startDemo(slotbridge);
    t.teardown(() => second.close());
    t.equal(second.practices[0]!.practiceId, emis!.practiceId, 'the same practice');
    t.not(second.partnerKey, first.partnerKey);
    t.equal(second.practices[0]!.sync.inserted, 0, 'the same diary: nothing new to store');
    const old = await app.inject({
      url: '/v1/practices',
      headers: { authorization: `Bearer ${first.partnerKey}` },
    });
    t.equal(old.statusCode, 401, 'the previous demo key is revoked');
    const types = await slotbridge.db.selectFrom('appointment_types').select('name').execute();
    t.equal(new Set(types.map((r) => r.name)).size, types.length, 'set up once, not twice');
  },
);
