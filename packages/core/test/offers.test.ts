/**
 * The one list of offer rules: /slots (availability), the booking accept and the diagnostics
 * agree on every slot, for every rule, before and after random changes to the set-up; the
 * verdicts decided on change are stored when a sync or a mapping changes, and only then.
 */
import t, { type Test } from 'tap';
import type { Caller } from '../src/caller.ts';
import type { Practice } from '../src/db/schema.ts';
import type { EhrSlot } from '../src/ehr-plugin.ts';
import { CoreErrorCode, type SlotbridgeError } from '../src/errors.ts';
import { OFFER_RULES } from '../src/offers/offer-rules.ts';
import { refreshOffers } from '../src/offers/offers.ts';
import type { Slotbridge } from '../src/slotbridge.ts';
import { createTestSlotbridge, insertCatalogue } from '../src/testing/index.ts';
import { createMemoryEhr, type MemoryEhr } from '../src/testing/memory-ehr.ts';
import { localDateOf } from '../src/time.ts';

const patient = { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' };
const RULE_IDS = new Set(OFFER_RULES.map((r) => r.id));
const HOUR = 3_600_000;

interface World {
  slotbridge: Slotbridge;
  memory: MemoryEhr;
  caller: Caller;
  practiceId: string;
  appointmentTypeId: string;
  practitioners: { p1: string; p2: string };
  locations: { l1: string; l2: string };
  /** Moves the core's clock. */
  advance(ms: number): void;
  practice(): Promise<Practice>;
}

function slot(id: string, startAt: Date, overrides: Partial<EhrSlot> = {}): EhrSlot {
  return {
    ehrSlotId: id,
    ehrSessionId: 'session-1',
    ehrPractitionerId: 'p1',
    ehrLocationId: 'l1',
    ehrSlotTypeId: 'st1',
    startAt,
    endAt: new Date(startAt.getTime() + 10 * 60_000),
    status: 'free',
    ehrStatus: 'Slot Available',
    ...overrides,
  };
}

/** A memory practice whose clock the test moves; stale only after a day. */
async function world(t: Test): Promise<World> {
  let offset = 0;
  const memory = createMemoryEhr();
  const { slotbridge, close } = await createTestSlotbridge({
    now: () => new Date(Date.now() + offset),
    staleAfterSeconds: 86_400,
  });
  t.teardown(close);
  slotbridge.ehr.register(memory.definition);
  const partner = await slotbridge.apiKeys.createPartner('Test partner');
  const key = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'test');
  const caller = (await slotbridge.apiKeys.authenticate(key.key))!;
  const created = await slotbridge.practices.create(caller, {
    name: 'Offers practice',
    ehr: 'memory',
    timeZone: 'Europe/London',
  });
  await slotbridge.connections.put(caller, created, { practiceCode: 'T1', secret: 'right' });
  await insertCatalogue(slotbridge.db, created.id, [
    { kind: 'practitioner', ehrId: 'p1', name: 'Dr One (EHR)' },
    { kind: 'practitioner', ehrId: 'p2', name: 'Dr Two (EHR)' },
    { kind: 'location', ehrId: 'l1', name: 'Main site (EHR)' },
    { kind: 'location', ehrId: 'l2', name: 'Branch (EHR)' },
    ...['st1', 'st2', 'st3', 'st4', 'st5'].map((id) => ({
      kind: 'slot_type' as const,
      ehrId: id,
      name: `Type ${id}`,
    })),
  ]);
  const p1 = await slotbridge.catalogue.addPractitioner(created, 'Dr One');
  const p2 = await slotbridge.catalogue.addPractitioner(created, 'Dr Two');
  const l1 = await slotbridge.catalogue.addLocation(created, 'Main site');
  const l2 = await slotbridge.catalogue.addLocation(created, 'Branch');
  const appointmentTypeId = await slotbridge.catalogue.addAppointmentType(created, 'GP appointment', 10);
  await slotbridge.mappings.putPractitioners(caller, created, [
    { practitionerId: p1, ehrPractitionerId: 'p1' },
    { practitionerId: p2, ehrPractitionerId: null },
  ]);
  await slotbridge.mappings.putLocations(caller, created, [
    { locationId: l1, ehrLocationId: 'l1' },
    { locationId: l2, ehrLocationId: null },
  ]);
  await slotbridge.mappings.putSlotTypeFeatures(caller, created, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId },
    { ehrSlotTypeId: 'st3', feature: 'not_bookable', appointmentTypeId: null },
    { ehrSlotTypeId: 'st4', feature: 'bookable', appointmentTypeId: 'disabled' },
    { ehrSlotTypeId: 'st5', feature: 'bookable', appointmentTypeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(caller, created, ['st1', 'st2', 'st3', 'st4', 'st5']);
  return {
    slotbridge,
    memory,
    caller,
    practiceId: created.id,
    appointmentTypeId,
    practitioners: { p1, p2 },
    locations: { l1, l2 },
    advance: (ms) => {
      offset += ms;
    },
    practice: () => slotbridge.practices.get(caller, created.id),
  };
}

/** Every stored slot of the practice: offered by /slots, by the diagnostics, and by the accept? */
async function verdicts(w: World) {
  const { slotbridge } = w;
  const practice = await w.practice();
  const offered = new Set((await slotbridge.availability.offered(slotbridge.db, practice)).map((s) => s.id));
  const slots = await slotbridge.db
    .selectFrom('slots')
    .selectAll()
    .where('practice_id', '=', practice.id)
    .orderBy('ehr_slot_id')
    .execute();
  const result = new Map<
    string,
    { offered: boolean; diagnosed: boolean; failing: string[]; accept: string[] | null }
  >();
  for (const s of slots) {
    const diagnosis = await slotbridge.diagnostics.diagnose(practice, {
      date: localDateOf(s.start_at, practice.time_zone),
      slotId: s.id,
    });
    const failing = diagnosis.checks
      .filter((c) => c.status === 'fail' && RULE_IDS.has(c.id))
      .map((c) => c.id);
    let accept: string[] | null = null;
    if (!offered.has(s.id)) {
      // The accept refuses it, naming rules the diagnostics name too.
      const refused = await slotbridge.bookings
        .create(w.caller, practice, `probe-${s.id}-${Math.random()}`, { slotId: s.id, patient })
        .then(
          () => null,
          (error: SlotbridgeError) => error,
        );
      accept =
        refused === null
          ? []
          : refused.code === CoreErrorCode.SLOT_TAKEN
            ? ['taken']
            : ((refused.details?.failing as string[] | undefined) ?? [refused.code]);
    }
    result.set(s.ehr_slot_id, {
      offered: offered.has(s.id),
      diagnosed: diagnosis.slotsOffered === 1,
      failing,
      accept,
    });
  }
  return result;
}

async function assertAgreement(t: Test, w: World, label: string) {
  for (const [ehrSlotId, v] of await verdicts(w)) {
    t.equal(
      v.diagnosed,
      v.offered,
      `${label}: ${ehrSlotId}: diagnostics and /slots agree (offered: ${v.offered})`,
    );
    t.equal(
      v.failing.length === 0,
      v.offered,
      `${label}: ${ehrSlotId}: a failing rule is named exactly when not offered`,
    );
    if (!v.offered) {
      t.ok(v.accept && v.accept.length > 0, `${label}: ${ehrSlotId}: the accept refuses it`);
      const named = v.accept!.includes('taken') ? ['slot_free', 'not_held_by_booking'] : v.accept!;
      t.ok(
        named.some((id) => v.failing.includes(id)),
        `${label}: ${ehrSlotId}: the accept (${v.accept}) and the diagnostics (${v.failing}) name the same rule`,
      );
    }
  }
}

t.test(
  'every rule: /slots, the accept and the diagnostics agree on each slot, before and after changes',
  async (t) => {
    const w = await world(t);
    const { slotbridge, memory } = w;
    const tomorrow = new Date();
    tomorrow.setUTCDate(tomorrow.getUTCDate() + 1);
    tomorrow.setUTCHours(9, 0, 0, 0);
    const at = (minutes: number) => new Date(tomorrow.getTime() + minutes * 60_000);
    memory.slots.push(
      slot('ok', at(0)),
      slot('ok-later', at(10)),
      slot('unmapped-type', at(20), { ehrSlotTypeId: 'st2' }),
      slot('not-bookable', at(30), { ehrSlotTypeId: 'st3' }),
      slot('disabled', at(40), { ehrSlotTypeId: 'st4' }),
      slot('unmapped-practitioner', at(50), { ehrPractitionerId: 'p2' }),
      slot('unmapped-location', at(60), { ehrLocationId: 'l2' }),
      slot('booked-in-ehr', at(70), { status: 'booked', ehrStatus: 'Booked' }),
      slot('held', at(80)),
      slot('held-twin', at(80)),
      slot('inactive-type', at(90), { ehrSlotTypeId: 'st5' }),
      slot('soon-past', new Date(Date.now() + HOUR / 2)),
      slot('beyond-horizon', new Date(tomorrow.getTime() + 5 * 24 * HOUR)),
    );
    await slotbridge.sync.run(await w.practice(), 'manual');
    const held = (await slotbridge.availability.offered(slotbridge.db, await w.practice())).find(
      (s) => s.ehrSlotId === 'held',
    )!;
    await slotbridge.bookings.create(w.caller, await w.practice(), 'hold-it', { slotId: held.id, patient });
    // A slot type taken off the active list: its stored slots wait for the next sync to go.
    await slotbridge.mappings.putActiveSlotTypes(w.caller, await w.practice(), ['st1', 'st2', 'st3', 'st4']);
    await slotbridge.practices.update(w.caller, w.practiceId, { publishingHorizonDays: 3 });
    w.advance(HOUR);

    const expected: Record<string, string> = {
      ok: 'offered',
      'ok-later': 'offered',
      'unmapped-type': 'slot_type_bookable',
      'not-bookable': 'slot_type_bookable',
      disabled: 'appointment_type_mapped',
      'unmapped-practitioner': 'practitioner_mapped',
      'unmapped-location': 'location_mapped',
      'booked-in-ehr': 'slot_free',
      held: 'not_held_by_booking',
      'held-twin': 'not_held_by_booking',
      'inactive-type': 'slot_type_active',
      'soon-past': 'in_future',
      'beyond-horizon': 'within_horizon',
    };
    const first = await verdicts(w);
    t.same(
      Object.fromEntries(
        [...first].map(([id, v]) => [
          id,
          v.offered
            ? 'offered'
            : expected[id] && v.failing.includes(expected[id])
              ? expected[id]
              : v.failing.join('+'),
        ]),
      ),
      expected,
      'each slot is offered, or refused by the rule it was built to fail',
    );
    await assertAgreement(t, w, 'as built');

    // Random changes to the set-up (seeded): after each, the three still agree.
    let seed = 20261130;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const changes: [string, () => Promise<unknown>][] = [
      [
        'map p2',
        async () =>
          slotbridge.mappings.putPractitioners(w.caller, await w.practice(), [
            { practitionerId: w.practitioners.p1, ehrPractitionerId: 'p1' },
            { practitionerId: w.practitioners.p2, ehrPractitionerId: random() < 0.5 ? 'p2' : null },
          ]),
      ],
      [
        'map l2',
        async () =>
          slotbridge.mappings.putLocations(w.caller, await w.practice(), [
            { locationId: w.locations.l1, ehrLocationId: random() < 0.8 ? 'l1' : null },
            { locationId: w.locations.l2, ehrLocationId: random() < 0.5 ? 'l2' : null },
          ]),
      ],
      [
        'features',
        async () => {
          const pick = () => (random() < 0.6 ? 'bookable' : 'not_bookable') as 'bookable' | 'not_bookable';
          const type = () => (random() < 0.7 ? w.appointmentTypeId : random() < 0.5 ? 'disabled' : null);
          return slotbridge.mappings.putSlotTypeFeatures(w.caller, await w.practice(), [
            { ehrSlotTypeId: 'st1', feature: pick(), appointmentTypeId: type() },
            { ehrSlotTypeId: 'st2', feature: pick(), appointmentTypeId: type() },
            { ehrSlotTypeId: 'st5', feature: 'bookable', appointmentTypeId: w.appointmentTypeId },
          ]);
        },
      ],
      [
        'active',
        async () =>
          slotbridge.mappings.putActiveSlotTypes(
            w.caller,
            await w.practice(),
            ['st1', 'st2', 'st3', 'st4', 'st5'].filter(() => random() < 0.7),
          ),
      ],
      [
        'horizon',
        async () =>
          slotbridge.practices.update(w.caller, w.practiceId, {
            publishingHorizonDays: random() < 0.5 ? 1 : 10,
          }),
      ],
      [
        'rename',
        async () =>
          slotbridge.catalogue.update(w.caller, await w.practice(), 'practitioner', w.practitioners.p1, {
            name: `Dr One ${Math.round(random() * 100)}`,
          }),
      ],
    ];
    for (let round = 1; round <= 12; round++) {
      const [name, change] = changes[Math.floor(random() * changes.length)]!;
      await change();
      await assertAgreement(t, w, `round ${round} (${name})`);
    }
    const names = (await slotbridge.availability.offered(slotbridge.db, await w.practice())).map(
      (s) => s.practitioner.name,
    );
    const current = (await slotbridge.catalogue.get(await w.practice(), 'practitioner', w.practitioners.p1))
      .name;
    t.ok(
      names.every((n) => n === current || n === 'Dr Two'),
      'a rename shows at once in /slots',
    );

    // Stale: nothing is offered, and every slot says why.
    w.advance(2 * 86_400_000);
    t.same(
      await slotbridge.availability.offered(slotbridge.db, await w.practice()),
      [],
      'a stale diary offers nothing',
    );
    for (const [id, v] of await verdicts(w))
      t.ok(v.failing.includes('sync_fresh'), `${id}: the stale sync is named`);
    await assertAgreement(t, w, 'stale');
  },
);

t.test(
  'verdicts are stored when the set-up changes; reads and the accept never run mapSlotType',
  async (t) => {
    const w = await world(t);
    const { slotbridge, memory } = w;
    let mapped = 0;
    // A partner hook: slots at :30 are not bookable (the hook decides, the rules read its answer).
    slotbridge.hooks.addHook('mapSlotType', async (_ctx, input, next) => {
      mapped += 1;
      const answer = await next(input);
      return input.slot.startAt.getUTCMinutes() === 30 ? { ...answer, feature: 'not_bookable' } : answer;
    });
    const base = new Date();
    base.setUTCDate(base.getUTCDate() + 1);
    base.setUTCHours(10, 0, 0, 0);
    memory.slots.push(
      ...[0, 10, 20, 30, 40].map((m) => slot(`m${m}`, new Date(base.getTime() + m * 60_000))),
    );
    await slotbridge.sync.run(await w.practice(), 'manual');
    t.equal(mapped, 5, 'the sync ran the hook once per slot of its window');

    const practice = await w.practice();
    const offered = await slotbridge.availability.offered(slotbridge.db, practice);
    t.same(
      offered.map((s) => s.ehrSlotId),
      ['m0', 'm10', 'm20', 'm40'],
      "the hook's answer is honoured",
    );
    const diagnosis = await slotbridge.diagnostics.diagnose(practice, {
      date: localDateOf(base, 'Europe/London'),
    });
    t.equal(diagnosis.slotsOffered, 4);
    t.match(
      diagnosis.checks.find((c) => c.id === 'slot_type_bookable'),
      { status: 'fail', evidence: /^1 of 5 slot/ },
    );

    // The accept checks its one slot: it never reads the whole availability.
    const readAll = () => {
      throw new Error('the accept must not read the whole availability');
    };
    const original = { page: slotbridge.availability.page, offered: slotbridge.availability.offered };
    slotbridge.availability.page = readAll;
    slotbridge.availability.offered = readAll;
    const { booking } = await slotbridge.bookings.create(w.caller, practice, 'only-its-slot', {
      slotId: offered[1]!.id,
      patient,
    });
    t.match(booking, { state: 'pending', appointment_type_id: w.appointmentTypeId, ehr_slot_id: 'm10' });
    await t.rejects(
      slotbridge.bookings.create(w.caller, practice, 'not-offered', {
        slotId: (
          await slotbridge.db
            .selectFrom('slots')
            .select('id')
            .where('ehr_slot_id', '=', 'm30')
            .executeTakeFirstOrThrow()
        ).id,
        patient,
      }),
      { code: CoreErrorCode.SLOT_NOT_BOOKABLE, details: { failing: ['slot_type_bookable'] } },
    );
    Object.assign(slotbridge.availability, original);
    for (let i = 0; i < 3; i++) await slotbridge.availability.offered(slotbridge.db, practice);
    t.equal(mapped, 5, 'reads and accepts did not run mapSlotType');

    // An unchanged refresh writes nothing; a mapping change re-evaluates and stores.
    const again = await slotbridge.db
      .transaction()
      .execute((trx) => refreshOffers(trx, slotbridge, practice));
    t.same(again, { evaluated: 5, changed: 0 }, 'an unchanged refresh writes nothing');
    await slotbridge.mappings.putLocations(w.caller, practice, [
      { locationId: w.locations.l1, ehrLocationId: null },
    ]);
    t.same(
      await slotbridge.availability.offered(slotbridge.db, practice),
      [],
      'a mapping change is seen at once',
    );
    const stored = await slotbridge.db
      .selectFrom('slots')
      .select(['ehr_slot_id', 'offered', 'offer_refused_by'])
      .orderBy('ehr_slot_id')
      .execute();
    t.same(
      stored.map((s) => [s.ehr_slot_id, s.offered, s.offer_refused_by]),
      [
        ['m0', false, 'location_mapped'],
        ['m10', false, 'location_mapped'],
        ['m20', false, 'location_mapped'],
        ['m30', false, 'slot_type_bookable'],
        ['m40', false, 'location_mapped'],
      ],
      'the first failing rule decided on change is stored on each slot',
    );
  },
);

t.test('pages walk every offered slot once, in order, skipping held ones', async (t) => {
  const w = await world(t);
  const { slotbridge, memory } = w;
  const base = new Date();
  base.setUTCDate(base.getUTCDate() + 1);
  base.setUTCHours(8, 0, 0, 0);
  // Two slots at each time (one per practitioner's variant) so the order needs the id too.
  for (let i = 0; i < 23; i++) {
    const start = new Date(base.getTime() + Math.floor(i / 2) * 10 * 60_000);
    memory.slots.push(
      slot(`x${i}`, start, { ehrPractitionerId: 'p1', ehrSlotTypeId: i % 2 ? 'st1' : 'st5' }),
    );
  }
  await slotbridge.sync.run(await w.practice(), 'manual');
  const practice = await w.practice();
  const all = await slotbridge.availability.offered(slotbridge.db, practice);
  t.equal(all.length, 23);
  // A booking holds two slots (the same time twice) in the middle of the walk.
  await slotbridge.bookings.create(w.caller, practice, 'middle', { slotId: all[10]!.id, patient });
  const expected = (await slotbridge.availability.offered(slotbridge.db, practice)).map((s) => s.id);
  t.equal(expected.length, 21);
  for (const limit of [1, 4, 5, 21, 500]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await slotbridge.availability.page(
        slotbridge.db,
        practice,
        {},
        { limit, ...(cursor && { cursor }) },
      );
      t.ok(page.slots.length <= limit);
      if (page.next) t.equal(page.slots.length, limit, 'only the last page is short');
      seen.push(...page.slots.map((s) => s.id));
      cursor = page.next ?? undefined;
      pages += 1;
    } while (cursor);
    t.same(seen, expected, `limit ${limit}: every slot once, in order, in ${pages} page(s)`);
  }
  await t.rejects(
    slotbridge.availability.page(slotbridge.db, practice, {}, { limit: 5, cursor: 'not-a-cursor' }),
    {
      code: CoreErrorCode.CURSOR_INVALID,
    },
  );
});
