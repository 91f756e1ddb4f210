import t from 'tap';
import { Type } from 'typebox';
import { lintConnection } from '../src/connection-lint.ts';
import type { SetupCheck } from '../src/ehr-plugin.ts';

const schema = Type.Object({
  host: Type.String({ title: 'gateway host' }),
  apiKey: Type.String({ writeOnly: true }),
  userName: Type.String(),
  note: Type.Optional(Type.String()),
});
const good = { host: 'gw.example', apiKey: 'k-123456', userName: 'HeroGateway' };
const refused: SetupCheck[] = [
  { id: 'x.sign-in', ok: false, severity: 'error', message: 'refused', fix: 'x' },
];
const byId = (checks: SetupCheck[]) => Object.fromEntries(checks.map((c) => [c.id, c]));

t.test('good details pass all three', async (t) => {
  const checks = lintConnection(schema, good, []);
  t.same(
    checks.map((c) => [c.id, c.ok]),
    [
      ['credentials.spaces', true],
      ['credentials.filled', true],
      ['credentials.distinct', true],
    ],
  );
});

t.test(
  'a stray space: a warning when the EHR accepts the details, an error when it refuses them',
  async (t) => {
    const spaced = { ...good, apiKey: ' k-123456', host: 'gw.example ' };
    t.match(byId(lintConnection(schema, spaced, []))['credentials.spaces'], {
      ok: false,
      severity: 'warning',
      message: 'The gateway host and api key have a space at the start or end.',
      fix: /^Retype the gateway host and api key without spaces/,
    });
    t.match(byId(lintConnection(schema, spaced, refused))['credentials.spaces'], {
      ok: false,
      severity: 'error',
    });
  },
);

t.test('a required value of only spaces is not filled in; an optional one is left alone', async (t) => {
  const checks = byId(lintConnection(schema, { ...good, userName: '   ', note: '  ' }, []));
  t.match(checks['credentials.filled'], {
    ok: false,
    severity: 'error',
    message: 'The user name is only spaces.',
  });
  t.match(checks['credentials.spaces'], { ok: false, message: /^The note has/ });
});

t.test('one value in two fields is named', async (t) => {
  const checks = byId(lintConnection(schema, { ...good, userName: 'k-123456' }, refused));
  t.match(checks['credentials.distinct'], {
    ok: false,
    severity: 'error',
    message: 'The api key and user name are the same.',
  });
});
