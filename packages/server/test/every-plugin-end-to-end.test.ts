/**
 * Every plugin the repository's slotbridge.config.json lists, as `npm start` runs it: its demo
 * practice offers slots through our API, a booking made through our API is written to the
 * plugin's sandbox (the EHR's own answer shows the slot taken), and a cancel frees it there again
 * (or, for an EHR that cannot cancel, is refused before the EHR is asked). A plugin added to the
 * list is covered with no edit here.
 */
import { randomUUID } from 'node:crypto';
import type { EhrSlot } from '@slotbridge/core';
import { createTestSlotbridge } from '@slotbridge/core/testing';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { startDemo } from '../src/demo.ts';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryPluginList } from './helpers/plugin-list.ts';

const plugins = await loadPlugins(repositoryPluginList(), { demo: true });
const { slotbridge, database } = await createTestSlotbridge();
const app = await buildApp({ slotbridge, ehrPlugins: plugins.map((p) => p.plugin) });
await app.ready();
const demo = await startDemo(slotbridge, plugins);
t.teardown(async () => {
  await demo.close();
  await app.close();
  await database.drop();
});

const headers = { authorization: `Bearer ${demo.partnerKey}` };

/** Carries out every due write-back now, as a worker would. */
async function writeBack(): Promise<void> {
  for (let commands = await slotbridge.writeBack.claim(50); commands.length > 0; ) {
    for (const command of commands) await slotbridge.writeBack.execute(command);
    commands = await slotbridge.writeBack.claim(50);
  }
}

t.equal(demo.practices.length, plugins.length, 'a demo practice per listed plugin');

for (const practice of demo.practices) {
  t.test(`${practice.ehr}: book and cancel through the API, seen in the EHR sandbox`, async (t) => {
    const plugin = slotbridge.ehr.get(practice.ehr);
    const stored = await slotbridge.practices.get(
      (await slotbridge.apiKeys.authenticate(demo.partnerKey))!,
      practice.practiceId,
    );
    /** The slot as the EHR itself answers now (through the plugin, bypassing our store). */
    const inEhr = async (slot: { ehrSlotId: string; start: string; end: string }) => {
      const ctx = await slotbridge.connections.context(stored, { signal: AbortSignal.timeout(20_000) });
      const found = await slotbridge.ehr.fetchSlots(practice.ehr, ctx, {
        from: new Date(slot.start),
        to: new Date(slot.end),
        slotTypeIds: (await slotbridge.ehrCatalogue.list(stored, 'slot_type')).map((e) => e.ehrId),
      });
      return found.slots.find((s: EhrSlot) => s.ehrSlotId === slot.ehrSlotId) ?? null;
    };

    const offered = await app.inject({ url: `/v1/practices/${practice.practiceId}/slots`, headers });
    t.equal(offered.statusCode, 200);
    const slot = offered
      .json()
      .data.find((s: { start: string }) => Date.parse(s.start) > Date.now() + 3_600_000);
    t.ok(slot, 'a slot is offered');

    const created = await app.inject({
      method: 'POST',
      url: `/v1/practices/${practice.practiceId}/bookings`,
      headers: { ...headers, 'idempotency-key': randomUUID() },
      payload: { slotId: slot.id, patient: practice.patient, reason: 'End-to-end check' },
    });
    t.equal(created.statusCode, 201, created.body);
    await writeBack();
    const booking = (
      await app.inject({ url: `/v1/practices/${practice.practiceId}/bookings/${created.json().id}`, headers })
    ).json();
    t.equal(booking.state, 'confirmed', `confirmed (${booking.failure?.code ?? ''})`);
    t.ok(booking.slot.ehrSlotId, 'the EHR slot it was written to');
    const taken = await inEhr(booking.slot);
    t.not(
      taken?.status ?? 'absent',
      'free',
      `the EHR answers the slot ${taken?.status ?? 'absent (lists free slots only)'}`,
    );

    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/practices/${practice.practiceId}/bookings/${booking.id}/cancel`,
      headers,
    });
    if (plugin.capabilities.cancel) {
      t.equal(cancel.statusCode, 200, cancel.body);
      await writeBack();
      const after = (
        await app.inject({ url: `/v1/practices/${practice.practiceId}/bookings/${booking.id}`, headers })
      ).json();
      t.equal(after.state, 'cancelled');
      t.equal((await inEhr(booking.slot))?.status, 'free', 'free in the EHR again');
    } else {
      t.equal(cancel.statusCode, 409, 'an EHR that cannot cancel: refused');
      t.equal(cancel.json().code, 'SB_ERR_CANCEL_UNSUPPORTED');
      t.not((await inEhr(booking.slot))?.status ?? 'absent', 'free', 'and the EHR still has it');
    }
  });
}
