/** checkSetup: passes on a good sandbox; each broken flag fails its own check with a fix. */
import t from 'tap';
import { gpconnectPlugin } from '../src/index.ts';
import { ctxFor, startSandbox } from './helpers.ts';

const ids = (checks: { id: string; ok: boolean }[]) => checks.map((c) => `${c.id}:${c.ok ? 'ok' : 'FAIL'}`);

t.test('a good sandbox passes every check, in order', async (t) => {
  const { sandbox, connection } = await startSandbox(10);
  t.teardown(() => sandbox.close());
  const checks = await gpconnectPlugin.checkSetup(ctxFor(connection));
  t.same(ids(checks), [
    'gpconnect.tls:ok',
    'gpconnect.reachable:ok',
    'gpconnect.asid:ok',
    'gpconnect.capability:ok',
    'gpconnect.ods-code:ok',
    'gpconnect.practice-ods:ok',
    'gpconnect.free-slots:ok',
  ]);
});

t.test('broken set-ups fail the right check and stop the ones after it', async (t) => {
  const cases = [
    {
      name: 'no book',
      break: (s: Awaited<ReturnType<typeof startSandbox>>) => {
        s.sandbox.setup.capabilityWithoutBook = true;
      },
      failing: 'gpconnect.capability',
      fix: /book an appointment/,
    },
    {
      name: 'unknown ODS',
      break: (s: Awaited<ReturnType<typeof startSandbox>>) => {
        s.connection.odsCode = 'Z99999';
      },
      failing: 'gpconnect.ods-code',
      fix: /ODS code/,
    },
    {
      name: 'ASID',
      break: (s: Awaited<ReturnType<typeof startSandbox>>) => {
        s.sandbox.setup.authorisedConsumerAsids = [];
      },
      failing: 'gpconnect.asid',
      fix: /ASID/,
    },
    {
      name: 'offline',
      break: (s: Awaited<ReturnType<typeof startSandbox>>) => {
        s.sandbox.setup.offline = true;
      },
      failing: 'gpconnect.reachable',
      fix: /base URL/,
    },
    {
      name: 'no slots',
      break: (s: Awaited<ReturnType<typeof startSandbox>>) => s.sandbox.diary.slots.clear(),
      failing: 'gpconnect.free-slots',
      fix: /release/,
    },
  ];
  for (const c of cases) {
    const s = await startSandbox(10);
    c.break(s);
    const checks = await gpconnectPlugin.checkSetup(ctxFor(s.connection));
    const failing = checks.find((x) => x.id === c.failing);
    t.equal(failing?.ok, false, `${c.name}: ${c.failing} fails`);
    t.match(failing?.fix, c.fix, `${c.name}: with its fix`);
    t.equal(checks.at(-1)?.id, c.failing, `${c.name}: nothing after it is checked`);
    await s.sandbox.close();
  }
});

t.test('a practice ODS code that differs is a warning', async (t) => {
  const { sandbox, connection } = await startSandbox(10);
  t.teardown(() => sandbox.close());
  const ctx = ctxFor(connection);
  ctx.practice.odsCode = 'B82002';
  const check = (await gpconnectPlugin.checkSetup(ctx)).find((c) => c.id === 'gpconnect.practice-ods');
  t.match(check, { ok: false, severity: 'warning' });
});
