import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { CallBudget, CallBudgets, meterEhrCall } from '../src/ehr-calls.ts';

t.test("a budget lets a minute's worth through at once, then paces calls", async (t) => {
  const budget = new CallBudget(600); // 10 a second
  t.equal(budget.capacity, 600);
  for (let i = 0; i < 600; i++) await budget.take();
  t.equal(budget.callsLastMinute, 600);
  const started = Date.now();
  for (let i = 0; i < 5; i++) await budget.take();
  const waited = Date.now() - started;
  t.ok(waited >= 350, `five more calls waited for the refill (${waited} ms)`);
  t.equal(budget.callsLastMinute, 605);
});

t.test('high-priority calls go before waiting low-priority ones', async (t) => {
  const budget = new CallBudget(60); // one a second
  for (let i = 0; i < 60; i++) await budget.take();
  const order: string[] = [];
  const low = budget.take(undefined, 'low').then(() => order.push('low'));
  await sleep(10);
  const high = budget.take(undefined, 'high').then(() => order.push('high'));
  await Promise.all([low, high]);
  t.same(order, ['high', 'low']);
});

t.test('a waiting call gives up when its signal aborts', async (t) => {
  const budget = new CallBudget(1);
  await budget.take();
  const controller = new AbortController();
  const waiting = budget.take(controller.signal);
  controller.abort(new Error('shutting down'));
  await t.rejects(waiting, /shutting down/);
});

t.test('meterEhrCall counts and times each call of a hook, and passes errors through', async (t) => {
  const seen: { operation: string; outcome: string }[] = [];
  const budgets = new CallBudgets((call) => seen.push({ operation: call.operation, outcome: call.outcome }));
  const budget = budgets.of('practice-1', 120);
  const result = await budgets.run('memory', budget, undefined, 'high', async () => {
    await meterEhrCall('GetSlots', async () => 'ok');
    await t.rejects(
      meterEhrCall('Book', async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    return 'done';
  });
  t.equal(result, 'done');
  t.same(seen, [
    { operation: 'GetSlots', outcome: 'ok' },
    { operation: 'Book', outcome: 'error' },
  ]);
  t.equal(budget.callsLastMinute, 2);
  t.equal(await meterEhrCall('outside', async () => 42), 42, 'outside a hook run it just calls');
  t.equal(budgets.of('practice-1', 30).perMinute, 30, "a practice's lower budget replaces the plugin's");
});
