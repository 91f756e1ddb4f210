/**
 * The derived slot id: the same (provider, start, reason) always gives the same id, and changing
 * any one of them gives another.
 */
import t from 'tap';
import { type SlotIdentity, slotIdOf } from '../src/slot-id.ts';

const SLOT: SlotIdentity = { providerId: 'DR01', date: '2026-02-02', startTime: '08:30', reasonId: 'R01' };

t.test('the same offer has the same id, every time and in every release', async (t) => {
  t.equal(slotIdOf(SLOT), slotIdOf({ ...SLOT }));
  t.equal(slotIdOf(JSON.parse(JSON.stringify(SLOT))), slotIdOf(SLOT));
  t.match(slotIdOf(SLOT), /^hs1-[A-Za-z0-9_-]{22}$/);
  // Pinned: were the derivation to change, every synced slot would be replaced at the next sync.
  t.equal(slotIdOf(SLOT), 'hs1-7rWoiXACHRSbjwg1LSYQ2k');
});

t.test('changing any one fact makes another slot', async (t) => {
  const changes: Partial<SlotIdentity>[] = [
    { providerId: 'HY01' },
    { date: '2026-02-03' },
    { startTime: '08:45' },
    { reasonId: 'R02' },
  ];
  const ids = new Set([slotIdOf(SLOT), ...changes.map((change) => slotIdOf({ ...SLOT, ...change }))]);
  t.equal(ids.size, changes.length + 1);
  t.not(
    slotIdOf({ ...SLOT, providerId: 'DR01 2026-02-02', date: '' }),
    slotIdOf(SLOT),
    'facts cannot run into each other',
  );
});
