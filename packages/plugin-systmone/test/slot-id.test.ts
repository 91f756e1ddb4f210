/**
 * The stable slot id: the same six facts always give the same id, and changing any one of
 * them gives another. The clinic id reads back what it was made from.
 */
import t from 'tap';
import { clinicIdOf, parseClinicId, type SlotIdentity, slotIdOf } from '../src/slot-id.ts';

const SLOT: SlotIdentity = {
  userName: 'AHart',
  siteName: 'Riverside Surgery',
  clinicType: 'GP Clinic',
  slotType: 'Routine GP',
  dateTimeStart: '2026-02-02T09:00:00',
  durationMinutes: 10,
};

t.test('the same slot has the same id, every time and in every release', async (t) => {
  t.equal(slotIdOf(SLOT), slotIdOf({ ...SLOT }));
  t.equal(slotIdOf(JSON.parse(JSON.stringify(SLOT))), slotIdOf(SLOT));
  // Pinned: were the derivation to change, every synced slot would be replaced at the next sync.
  t.equal(slotIdOf(SLOT), 'tpp1-GSBYb3KYS4Y3FDSv3pIwId');
});

t.test('changing any one fact makes another slot', async (t) => {
  const changes: Partial<SlotIdentity>[] = [
    { userName: 'RPatel' },
    { siteName: 'Hillview Branch Surgery' },
    { clinicType: 'Nurse Clinic' },
    { slotType: 'Telephone Consultation' },
    { dateTimeStart: '2026-02-02T09:10:00' },
    { dateTimeStart: '2026-02-03T09:00:00' },
    { durationMinutes: 15 },
  ];
  const ids = new Set([slotIdOf(SLOT), ...changes.map((change) => slotIdOf({ ...SLOT, ...change }))]);
  t.equal(ids.size, changes.length + 1);
  t.not(
    slotIdOf({ ...SLOT, userName: 'A', siteName: 'Hart Riverside Surgery' }),
    slotIdOf({ ...SLOT, userName: 'A Hart', siteName: 'Riverside Surgery' }),
    'facts cannot run into each other',
  );
});

t.test('the clinic id round-trips and refuses what is not one', async (t) => {
  const clinic = {
    userName: 'AHart',
    siteName: 'Riverside "Main" Surgery',
    clinicType: 'GP Clinic',
    date: '2026-02-02',
  };
  t.equal(clinicIdOf(clinic), '["AHart","Riverside \\"Main\\" Surgery","GP Clinic","2026-02-02"]');
  t.same(parseClinicId(clinicIdOf(clinic)), clinic);
  for (const text of [null, '', '1001', '["a","b","c"]', '["a","b","c","02/02/2026"]', '["a","b","c",4]']) {
    t.equal(parseClinicId(text), null, String(text));
  }
});
