import t from 'tap';
import type { EhrContext } from '../src/ehr-plugin.ts';
import { CoreErrorCode } from '../src/errors.ts';
import { HookRegistry } from '../src/hooks.ts';

const ctx = {} as EhrContext;

t.test('an unknown hook name is rejected with a coded error', async (t) => {
  const hooks = new HookRegistry();
  const addAnyHook = hooks.addHook.bind(hooks) as (name: string, fn: unknown) => void;
  t.throws(() => addAnyHook('onSlotFetched', async () => ({ slots: [] })), {
    code: CoreErrorCode.HOOK_UNKNOWN,
    message: '"onSlotFetched" is not a hook point',
  });
});

t.test('a hook that is not a function is rejected with a coded error', async (t) => {
  const hooks = new HookRegistry();
  t.throws(() => hooks.addHook('onSlotFetch', 'nope' as never), {
    code: CoreErrorCode.HOOK_NOT_FUNCTION,
    message: 'The onSlotFetch hook must be a function, got string',
  });
  t.throws(() => hooks.addHook('discover', null as never), { code: CoreErrorCode.HOOK_NOT_FUNCTION });
});

t.test('hooks run in registration order around the base, each able to rewrite or post-process', async (t) => {
  const hooks = new HookRegistry();
  const order: string[] = [];
  hooks.addHook('checkSetup', async (_c, input, next) => {
    order.push('first in');
    const result = await next(input);
    order.push('first out');
    return [...result, { id: 'first', ok: true, severity: 'error', message: 'first' }];
  });
  hooks.addHook('checkSetup', async (_c, input, next) => {
    order.push('second in');
    const result = await next(input);
    order.push('second out');
    return [...result, { id: 'second', ok: true, severity: 'error', message: 'second' }];
  });
  const result = await hooks.run('checkSetup', 'emis', ctx, undefined, async () => {
    order.push('base');
    return [{ id: 'base', ok: true, severity: 'error', message: 'base' }];
  });
  t.same(
    result.map((c) => c.id),
    ['base', 'first', 'second'],
  );
  t.same(order, ['second in', 'first in', 'base', 'first out', 'second out']);
});

t.test('a hook may short-circuit; hooks scoped to another EHR do not run', async (t) => {
  const hooks = new HookRegistry();
  let otherRan = false;
  hooks.addHook(
    'discover',
    async (_c, input, next) => {
      otherRan = true;
      return next(input);
    },
    { ehrId: 'systmone' },
  );
  hooks.addHook('discover', async () => ({ practitioners: [], locations: [], slotTypes: [] }), {
    ehrId: 'emis',
  });
  let baseRan = false;
  const result = await hooks.run('discover', 'emis', ctx, undefined, async () => {
    baseRan = true;
    return { practitioners: [{ ehrId: '1', name: 'x' }], locations: [], slotTypes: [] };
  });
  t.same(result, { practitioners: [], locations: [], slotTypes: [] });
  t.equal(baseRan, false);
  t.equal(otherRan, false);
  t.equal(hooks.count('discover', 'emis'), 1);
  t.equal(hooks.count('discover', 'systmone'), 1);
});

t.test('a child registry copies the hooks; hooks added to it do not leak up', async (t) => {
  const hooks = new HookRegistry();
  hooks.addHook('discover', async (_c, i, next) => next(i));
  const child = hooks.child();
  child.addHook('discover', async (_c, i, next) => next(i));
  t.equal(hooks.count('discover', 'emis'), 1);
  t.equal(child.count('discover', 'emis'), 2);
});
