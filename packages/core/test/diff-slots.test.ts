import t from 'tap';
import type { EhrSlot } from '../src/ehr-plugin.ts';
import { diffSlots, type StoredSlot } from '../src/sync/diff-slots.ts';

const ehr = (id: string, overrides: Partial<EhrSlot> = {}): EhrSlot => ({
  ehrSlotId: id,
  ehrSessionId: 's1',
  ehrPractitionerId: 'p1',
  ehrLocationId: 'l1',
  ehrSlotTypeId: 'st1',
  startAt: new Date(`2030-01-01T09:0${id}:00Z`),
  endAt: new Date(`2030-01-01T09:1${id}:00Z`),
  status: 'free',
  ehrStatus: 'Slot Available',
  ...overrides,
});

const stored = (slot: EhrSlot, id = `row-${slot.ehrSlotId}`): StoredSlot => ({
  id,
  ehr_slot_id: slot.ehrSlotId,
  ehr_session_id: slot.ehrSessionId,
  ehr_practitioner_id: slot.ehrPractitionerId,
  ehr_location_id: slot.ehrLocationId,
  ehr_slot_type_id: slot.ehrSlotTypeId,
  start_at: new Date(slot.startAt),
  end_at: new Date(slot.endAt),
  status: slot.status,
  ehr_status: slot.ehrStatus,
});

t.test('nothing changed: nothing to write', async (t) => {
  const slots = [ehr('1'), ehr('2')];
  t.same(
    diffSlots(
      slots.map((s) => stored(s)),
      slots,
    ),
    { inserts: [], updates: [], deletes: [], unchanged: 2 },
  );
});

t.test('exactly the changes: one new, one changed, one gone', async (t) => {
  const before = [ehr('1'), ehr('2'), ehr('3')];
  const after = [ehr('1'), ehr('2', { status: 'booked', ehrStatus: 'Booked' }), ehr('4')];
  const diff = diffSlots(
    before.map((s) => stored(s)),
    after,
  );
  t.same(
    diff.inserts.map((s) => s.ehrSlotId),
    ['4'],
  );
  t.same(diff.updates, [{ id: 'row-2', slot: after[1] }]);
  t.same(diff.deletes, ['row-3']);
  t.equal(diff.unchanged, 1);
});

t.test('every compared field counts as a change', async (t) => {
  const base = ehr('1');
  const changes: Partial<EhrSlot>[] = [
    { ehrSessionId: 's2' },
    { ehrPractitionerId: 'p2' },
    { ehrLocationId: null },
    { ehrSlotTypeId: 'st2' },
    { startAt: new Date('2030-01-01T10:00:00Z') },
    { endAt: new Date('2030-01-01T10:30:00Z') },
    { status: 'unavailable' },
    { ehrStatus: 'Embargoed' },
  ];
  for (const change of changes) {
    t.equal(
      diffSlots([stored(base)], [{ ...base, ...change }]).updates.length,
      1,
      String(Object.keys(change)[0]),
    );
  }
});

t.test('a slot fetched twice counts once', async (t) => {
  const diff = diffSlots([], [ehr('1'), ehr('1', { status: 'booked' })]);
  t.equal(diff.inserts.length, 1);
  t.equal(diff.inserts[0]!.status, 'booked');
});
