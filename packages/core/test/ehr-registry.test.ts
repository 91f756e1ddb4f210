import t from 'tap';
import type { EhrContext, EhrSlotRef } from '../src/ehr-plugin.ts';
import { defaultMapSlotType, EhrRegistry } from '../src/ehr-registry.ts';
import { CoreErrorCode } from '../src/errors.ts';
import { createMemoryEhr } from '../src/testing/memory-ehr.ts';

const slot: EhrSlotRef = {
  ehrSlotId: '1',
  ehrSessionId: null,
  ehrPractitionerId: 'p1',
  ehrLocationId: 'l1',
  ehrSlotTypeId: 'st1',
  startAt: new Date('2030-01-01T09:00:00Z'),
  endAt: new Date('2030-01-01T09:10:00Z'),
};

t.test('a valid plugin registers once; a second registration is refused', async (t) => {
  const registry = new EhrRegistry();
  registry.register(createMemoryEhr().definition);
  t.equal(registry.get('memory').name, 'Memory EHR');
  t.throws(() => registry.register(createMemoryEhr().definition), { code: CoreErrorCode.PLUGIN_DUPLICATE });
  t.throws(() => registry.get('nope'), { code: CoreErrorCode.PLUGIN_UNKNOWN, fix: 'Use one of: memory.' });
});

t.test('incomplete plugin definitions are refused with the reason', async (t) => {
  const good = createMemoryEhr().definition;
  const cases: [string, object, RegExp][] = [
    ['bad id', { ...good, id: 'Bad Id' }, /lower-case/],
    ['no schema', { ...good, connectionSchema: { type: 'string' } }, /connectionSchema/],
    ['missing hook', { ...good, onSlotFetch: undefined }, /onSlotFetch must be a function/],
    ['hook not a function', { ...good, discover: 'x' }, /discover must be a function/],
    [
      'horizon default above max',
      { ...good, capabilities: { ...good.capabilities, publishingHorizonDays: { default: 100, max: 90 } } },
      /capabilities/,
    ],
  ];
  for (const [name, def, message] of cases) {
    t.throws(
      () => new EhrRegistry().register(def as never),
      { code: CoreErrorCode.PLUGIN_INVALID, message },
      name,
    );
  }
});

t.test('the default mapSlotType reads the slot type features table', async (t) => {
  const rows = [
    { ehrSlotTypeId: 'st1', feature: 'bookable' as const, appointmentTypeId: 'at1' },
    { ehrSlotTypeId: 'st2', feature: 'not_bookable' as const, appointmentTypeId: 'disabled' as const },
  ];
  t.same(defaultMapSlotType({ slot, slotTypeMappings: rows }), {
    feature: 'bookable',
    appointmentTypeId: 'at1',
  });
  t.same(defaultMapSlotType({ slot: { ...slot, ehrSlotTypeId: 'st2' }, slotTypeMappings: rows }), {
    feature: 'not_bookable',
    appointmentTypeId: 'disabled',
  });
  t.same(defaultMapSlotType({ slot: { ...slot, ehrSlotTypeId: 'zz' }, slotTypeMappings: rows }), {
    feature: 'unmapped',
    appointmentTypeId: null,
  });
});

t.test("a plugin's mapSlotType refines the core's default; a partner hook refines both", async (t) => {
  const registry = new EhrRegistry();
  const memory = createMemoryEhr();
  registry.register({
    ...memory.definition,
    async mapSlotType(_ctx, input, next) {
      const base = await next();
      return input.slot.ehrPractitionerId === 'p1' ? base : { ...base, feature: 'not_bookable' };
    },
  });
  registry.hooks.addHook('mapSlotType', async (_ctx, input, next) => {
    const result = await next(input);
    return {
      ...result,
      appointmentTypeId: result.appointmentTypeId === 'at1' ? 'at1-partner' : result.appointmentTypeId,
    };
  });
  const rows = [{ ehrSlotTypeId: 'st1', feature: 'bookable' as const, appointmentTypeId: 'at1' }];
  const ctx = {} as EhrContext;
  t.same(await registry.mapSlotType('memory', ctx, { slot, slotTypeMappings: rows }), {
    feature: 'bookable',
    appointmentTypeId: 'at1-partner',
  });
  t.same(
    await registry.mapSlotType('memory', ctx, {
      slot: { ...slot, ehrPractitionerId: 'p2' },
      slotTypeMappings: rows,
    }),
    {
      feature: 'not_bookable',
      appointmentTypeId: 'at1-partner',
    },
  );
});

t.test('a cancel is refused before the plugin is called when the plugin cannot cancel', async (t) => {
  const memory = createMemoryEhr();
  const calls: string[] = [];
  const spied = (cancel: boolean) => ({
    ...memory.definition,
    id: cancel ? 'cancels' : 'never-cancels',
    capabilities: { ...memory.definition.capabilities, cancel },
    async onBookingWrite(_ctx: EhrContext, command: { kind: string }) {
      calls.push(`${cancel}:${command.kind}`);
      return { ehrBookingRef: 'ref' };
    },
  });
  const registry = new EhrRegistry();
  registry.register(spied(false));
  registry.register(spied(true));
  const ctx = { practice: { id: 'p' }, signal: new AbortController().signal } as EhrContext;
  const cancel = {
    kind: 'cancel' as const,
    bookingId: 'b1',
    slot,
    ehrBookingRef: 'ref',
    patient: { firstName: 'A', lastName: 'B', dateOfBirth: '1990-01-01' },
    reason: null,
  };
  await t.rejects(registry.writeBooking('never-cancels', ctx, cancel), {
    code: CoreErrorCode.CANCEL_UNSUPPORTED,
    fix: /contact the practice/,
  });
  t.same(calls, [], 'the plugin was not called');
  await registry.writeBooking('cancels', ctx, cancel);
  t.same(calls, ['true:cancel'], 'a plugin that can cancel is called');
});
