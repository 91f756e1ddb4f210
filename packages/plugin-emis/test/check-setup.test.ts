/**
 * The set-up checks, in the practice's words, for each way seeds 002 and 004 say the EMIS
 * set-up goes wrong.
 */
import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import { EMIS_ERRORS } from '../src/errors.ts';
import { contextFor, startSandbox } from './fixtures.ts';

const NO_SPACES = {
  id: 'credentials.spaces',
  ok: true,
  severity: 'error',
  message: 'No spaces at the start or end of the details.',
};
const REACHABLE = {
  id: 'emis.reachable',
  ok: true,
  severity: 'error',
  message: 'The EMIS Partner API answers.',
};

t.test('a practice set up correctly passes every check', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  t.same(await emisPlugin.checkSetup(contextFor(sandbox.connection())), [
    NO_SPACES,
    REACHABLE,
    {
      id: 'emis.sign-in',
      ok: true,
      severity: 'error',
      message: 'The partner user Herouser signs in to EMIS.',
    },
    {
      id: 'emis.appointment-book',
      ok: true,
      severity: 'error',
      message: 'The partner user can read the appointment book: 5 slot types, 3 session holders, 2 sites.',
    },
  ]);
});

t.test('the EMIS user password instead of the API password', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = { ...sandbox.connection(), apiPassword: sandbox.access.setup.emisPassword };
  t.same(await emisPlugin.checkSetup(contextFor(connection)), [
    NO_SPACES,
    REACHABLE,
    {
      id: 'emis.sign-in',
      ok: false,
      severity: 'error',
      message: 'EMIS refused the password (sign-in unsuccessful).',
      fix: EMIS_ERRORS.EMIS_ERR_API_PASSWORD.fix,
    },
  ]);
  t.match(
    EMIS_ERRORS.EMIS_ERR_API_PASSWORD.fix,
    /^Wrong password: the EMIS user password is not the API password/,
  );
});

t.test('no access: not activated, user not ticked, Login Access off', async (t) => {
  const sandbox = await startSandbox(t);
  const noAccess = {
    id: 'emis.sign-in',
    ok: false,
    severity: 'error',
    message:
      'EMIS says this user has no access to the application (invalid login or no access to this product).',
    fix: EMIS_ERRORS.EMIS_ERR_NO_ACCESS.fix,
  };
  for (const broken of [
    { applicationActivated: false },
    { apiPassword: null },
    { autoLogin: false },
    { allowLogin: false },
  ]) {
    sandbox.access.reset(broken);
    t.same(
      await emisPlugin.checkSetup(contextFor(sandbox.connection())),
      [NO_SPACES, REACHABLE, noAccess],
      JSON.stringify(broken),
    );
  }
  t.match(noAccess.fix, /Deactivate Application then Activate Application/);
  t.match(noAccess.fix, /Edit Users tick the partner user/);
  t.match(noAccess.fix, /tick Auto Login and Allow Login/);
});

t.test('spaces around the user name come first', async (t) => {
  const sandbox = await startSandbox(t);
  const checks = await emisPlugin.checkSetup(contextFor({ ...sandbox.connection(), username: 'Herouser ' }));
  t.same(checks[0], {
    id: 'credentials.spaces',
    ok: false,
    severity: 'error',
    message: 'The user name has a space at the start or end.',
    fix: 'Retype the user name without spaces at the start or end (copying from an email often adds one).',
  });
  t.match(checks[2], { id: 'emis.sign-in', ok: false });
});

t.test('spaces EMIS accepts are only a warning', async (t) => {
  const sandbox = await startSandbox(t, { setup: { apiPassword: ' padded ' } });
  const checks = await emisPlugin.checkSetup(contextFor(sandbox.connection()));
  t.match(checks[0], {
    id: 'credentials.spaces',
    ok: false,
    severity: 'warning',
    message: 'The API password has a space at the start or end.',
  });
  t.same(
    checks.slice(1).map((c) => c.ok),
    [true, true, true],
  );
});

t.test('an address nothing answers on', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = sandbox.connection();
  await sandbox.close();
  t.same(await emisPlugin.checkSetup(contextFor(connection)), [
    NO_SPACES,
    {
      id: 'emis.reachable',
      ok: false,
      severity: 'error',
      message: `slotbridge could not reach the EMIS Partner API at ${connection.baseUrl}.`,
      fix: 'Check the API address. If it is right, EMIS may be down: try again in a few minutes.',
    },
  ]);
});

t.test('a user that cannot read the appointment book', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.faults.add({ operation: 'GetAppointmentConfiguration', kind: 'error', status: 500 });
  const checks = await emisPlugin.checkSetup(contextFor(sandbox.connection()));
  t.match(checks[3], { id: 'emis.appointment-book', ok: false, fix: /RBAC role/ });
});
