/**
 * The set-up checks, in the practice's words, for each way seeds 002 and 004 say the EMIS
 * set-up goes wrong: each mistake is made in the sandbox, and the whole list of checks asserted.
 */
import { EhrRegistry, type SetupCheck } from '@slotbridge/core';
import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import { EMIS_ERRORS } from '../src/errors.ts';
import { contextFor, SMALL_DIARY, startSandbox } from './fixtures.ts';

const DEMO = { demo: { days: 1, from: '2026-02-02' } };

/** The core's checks of what was typed, first in every list (connection-lint.ts). */
const TYPED_OK = [
  {
    id: 'credentials.spaces',
    ok: true,
    severity: 'error',
    message: 'No spaces at the start or end of the details.',
  },
  { id: 'credentials.filled', ok: true, severity: 'error', message: 'Every detail is filled in.' },
  { id: 'credentials.distinct', ok: true, severity: 'error', message: 'Each detail is in its own field.' },
];
/** The checks as the core runs them: its checks of what was typed, then the plugin's. */
const registry = new EhrRegistry();
registry.register(emisPlugin);
const checkSetup = (ctx: Parameters<typeof emisPlugin.checkSetup>[0]) => registry.checkSetup('emis', ctx);
const REACHABLE = {
  id: 'emis.reachable',
  ok: true,
  severity: 'error',
  message: 'The EMIS Partner API answers.',
};
const SIGNED_IN = {
  id: 'emis.sign-in',
  ok: true,
  severity: 'error',
  message: 'The partner user Herouser signs in to EMIS.',
};
const ORGANISATION = {
  id: 'emis.organisation',
  ok: true,
  severity: 'error',
  message: 'The organisation ID (CDB number) 50001 is Riverside Surgery (ODS code A81001) in EMIS.',
};
const NO_OTHER_PARTNER_USER = {
  id: 'emis.partner-user',
  ok: true,
  severity: 'warning',
  message:
    'No other EMIS user is named "User, Hero" like the partner user Herouser: no earlier partner user to reuse.',
};
const DEMO_APPOINTMENT_BOOK = {
  id: 'emis.appointment-book',
  ok: true,
  severity: 'error',
  message: 'The partner user can read the appointment book: 5 slot types, 3 session holders, 2 sites.',
};
const UNREGISTERED_SLOT_TYPE = {
  id: 'emis.unregistered-slot-type',
  ok: true,
  severity: 'error',
  message:
    'The slot type "Hero unregistered patient" is kept for unregistered patients and not bookable online.',
};
const NO_ACCESS = {
  id: 'emis.sign-in',
  ok: false,
  severity: 'error',
  message:
    'EMIS says this user has no access to the application (invalid login or no access to this product).',
  fix:
    "Check the organisation ID is the practice's EMIS CDB number and the user name is the partner user's. " +
    'In EMIS Web: EMIS ball → System Tools → EMAS Manager → Partner API, select the application, click ' +
    'Deactivate Application then Activate Application; under Edit Users tick the partner user and set a fresh API ' +
    'password (and enter it here); under Login Access tick Auto Login and Allow Login for the user. The user then ' +
    'logs out of EMIS and back in.',
};
const CDB_FIX =
  "Enter the practice's EMIS organisation ID: the CDB number in your practice's EMIS organisation details " +
  '(digits only; each practice of a group has its own).';

t.test('a practice set up correctly passes every check, in the guides order', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  t.same(await checkSetup(contextFor(sandbox.connection())), [
    ...TYPED_OK,
    REACHABLE,
    SIGNED_IN,
    ORGANISATION,
    NO_OTHER_PARTNER_USER,
    DEMO_APPOINTMENT_BOOK,
    UNREGISTERED_SLOT_TYPE,
  ]);
});

t.test('spaces around the user name come first', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  const checks = await checkSetup(contextFor({ ...sandbox.connection(), username: 'Herouser ' }));
  t.same(checks, [
    {
      id: 'credentials.spaces',
      ok: false,
      severity: 'error',
      message: 'The user name has a space at the start or end.',
      fix: 'Retype the user name without spaces at the start or end (copying from an email often adds one).',
    },
    TYPED_OK[1],
    TYPED_OK[2],
    REACHABLE,
    { ...NO_ACCESS, fix: EMIS_ERRORS.EMIS_ERR_NO_ACCESS.fix },
  ]);
});

t.test('spaces EMIS accepts are only a warning', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  sandbox.access.updateUser('Herouser', { apiPassword: ' padded ' });
  const checks = await checkSetup(contextFor(sandbox.connection()));
  t.same(checks, [
    {
      id: 'credentials.spaces',
      ok: false,
      severity: 'warning',
      message: 'The API password has a space at the start or end.',
      fix: 'Retype the API password without spaces at the start or end (copying from an email often adds one).',
    },
    TYPED_OK[1],
    TYPED_OK[2],
    REACHABLE,
    SIGNED_IN,
    ORGANISATION,
    NO_OTHER_PARTNER_USER,
    DEMO_APPOINTMENT_BOOK,
    UNREGISTERED_SLOT_TYPE,
  ]);
});

t.test('the EMIS user password instead of the API password', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  const connection = { ...sandbox.connection(), apiPassword: sandbox.access.user('Herouser').emisPassword };
  t.same(await checkSetup(contextFor(connection)), [
    ...TYPED_OK,
    REACHABLE,
    {
      id: 'emis.sign-in',
      ok: false,
      severity: 'error',
      message: 'EMIS refused the password (sign-in unsuccessful).',
      fix:
        'Wrong password: the EMIS user password is not the API password. Enter the API password, the password set ' +
        'under Edit Users in EMAS Manager for the partner user (capitals matter, no spaces). If it is lost, tick ' +
        'the user under Edit Users again and set a new one.',
    },
  ]);
});

t.test('an expired API password', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  sandbox.access.updateUser('Herouser', { passwordExpired: true });
  t.same(await checkSetup(contextFor(sandbox.connection())), [
    ...TYPED_OK,
    REACHABLE,
    {
      id: 'emis.sign-in',
      ok: false,
      severity: 'error',
      message: 'The API password has expired.',
      fix: 'Set a new API password for the partner user in EMAS Manager → Edit Users, then enter it here.',
    },
  ]);
});

t.test('no access: not activated, user not ticked, Login Access boxes off', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  const mistakes: [string, () => void][] = [
    ['application not activated', () => void sandbox.access.updateSetup({ applicationActivated: false })],
    [
      'user not ticked under Edit Users',
      () => void sandbox.access.updateUser('Herouser', { apiPassword: null }),
    ],
    ['Auto Login not ticked', () => void sandbox.access.updateUser('Herouser', { autoLogin: false })],
    ['Allow Login not ticked', () => void sandbox.access.updateUser('Herouser', { allowLogin: false })],
  ];
  for (const [name, make] of mistakes) {
    sandbox.access.reset({});
    const connection = sandbox.connection();
    make();
    t.same(await checkSetup(contextFor(connection)), [...TYPED_OK, REACHABLE, NO_ACCESS], name);
  }
});

t.test('an application id EMIS does not know', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  t.same(await checkSetup(contextFor({ ...sandbox.connection(), applicationId: 'hero-typo' })), [
    ...TYPED_OK,
    REACHABLE,
    {
      id: 'emis.sign-in',
      ok: false,
      severity: 'error',
      message: 'EMIS does not recognise the application id.',
      fix: 'Enter the applicationId (party key) your EMIS assurance lead gave you, exactly as given.',
    },
  ]);
});

t.test('an organisation ID (CDB number) EMIS does not know', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  t.same(await checkSetup(contextFor({ ...sandbox.connection(), cdbNumber: '50010' })), [
    ...TYPED_OK,
    REACHABLE,
    {
      id: 'emis.organisation',
      ok: false,
      severity: 'error',
      message: 'EMIS knows no organisation with the organisation ID (CDB number) 50010.',
      fix: CDB_FIX,
    },
  ]);
});

t.test('the organisation ID (CDB number) of another practice than this one', async (t) => {
  // A practice group: the same partner user set up at each practice, the first one's CDB copied.
  const sandbox = await startSandbox(t, DEMO);
  t.same(await checkSetup(contextFor(sandbox.connection(), { odsCode: 'b82002' })), [
    ...TYPED_OK,
    REACHABLE,
    SIGNED_IN,
    {
      id: 'emis.organisation',
      ok: false,
      severity: 'error',
      message:
        'The organisation ID (CDB number) 50001 is Riverside Surgery (ODS code A81001) in EMIS, not this practice ' +
        '(ODS code B82002).',
      fix: CDB_FIX,
    },
    NO_OTHER_PARTNER_USER,
    DEMO_APPOINTMENT_BOOK,
    UNREGISTERED_SLOT_TYPE,
  ]);
  const withoutOdsCode = await checkSetup(contextFor(sandbox.connection(), { odsCode: null }));
  t.same(withoutOdsCode[5], ORGANISATION, 'a practice without an ODS code is told what the CDB number is');
});

t.test('an existing partner user: reuse it, or a new one, and keep the original', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  sandbox.access.addUser({ username: 'Herouser1', userInRoleId: '7002', emisPassword: 'second-login' });
  sandbox.access.updateUser('Herouser1', { apiPassword: 'second-api', autoLogin: true, allowLogin: true });
  const existingPartnerUser = (username: string): SetupCheck => ({
    id: 'emis.partner-user',
    ok: false,
    severity: 'warning',
    message:
      `Another EMIS user is also named "User, Hero", like the partner user ${username}: an earlier partner user ` +
      'for this product (such as Herouser) may already be set up, perhaps with a live connection.',
    fix:
      'Before going on, send your booking provider your ODS code and ask whether that user already has a live ' +
      'connection. If it has, reuse it: enter its user name and API password here rather than setting up ' +
      'another. If not, a new partner user such as Herouser1 is fine. Do not delete the original user until they ' +
      'confirm which credentials stay.',
  });
  t.same(await checkSetup(contextFor(sandbox.connection('Herouser1'))), [
    ...TYPED_OK,
    REACHABLE,
    { ...SIGNED_IN, message: 'The partner user Herouser1 signs in to EMIS.' },
    ORGANISATION,
    existingPartnerUser('Herouser1'),
    DEMO_APPOINTMENT_BOOK,
    UNREGISTERED_SLOT_TYPE,
  ]);
  const asOriginal = await checkSetup(contextFor(sandbox.connection('Herouser')));
  t.same(asOriginal[6], existingPartnerUser('Herouser'), 'the original sees the newer one too');
  t.notOk(
    asOriginal.some((check) => !check.ok && check.severity === 'error'),
    'a warning: the connection may still be saved',
  );

  sandbox.access.removeUser('Herouser');
  t.same(
    (await checkSetup(contextFor(sandbox.connection('Herouser1'))))[6],
    { ...NO_OTHER_PARTNER_USER, message: NO_OTHER_PARTNER_USER.message.replace('Herouser:', 'Herouser1:') },
    'once the original is deleted, nothing is left to reuse',
  );
});

t.test('no unregistered-patient slot type in EMIS', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const checks = await checkSetup(contextFor(sandbox.connection()));
  t.same(checks.slice(7), [
    {
      id: 'emis.appointment-book',
      ok: true,
      severity: 'error',
      message: 'The partner user can read the appointment book: 2 slot types, 1 session holders, 1 sites.',
    },
    {
      id: 'emis.unregistered-slot-type',
      ok: false,
      severity: 'warning',
      message:
        'EMIS has no slot type for unregistered patients (none is named "unregistered"), so a booking for a ' +
        'patient EMIS cannot match cannot hold its time.',
      fix:
        'In EMIS Web: open the Appointment book, click Appts config, choose Slot type on the side, click Add and ' +
        'name it "Hero unregistered patient"; do not offer it for online booking. Then map it in slotbridge as ' +
        'the Unregistered Patient Booking slot type.',
    },
  ]);
});

t.test('an unregistered-patient slot type also bookable online', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed({
    ...SMALL_DIARY,
    slotTypes: [
      ...SMALL_DIARY.slotTypes,
      {
        id: '14',
        description: 'Hero unregistered patient',
        display: 'Unreg',
        bookable: true,
        emisAccess: true,
      },
    ],
  });
  const checks = await checkSetup(contextFor(sandbox.connection()));
  t.same(checks[8], {
    id: 'emis.unregistered-slot-type',
    ok: false,
    severity: 'error',
    message:
      'The unregistered-patient slot type "Hero unregistered patient" is also bookable online by patients, so a ' +
      'slot held for a patient EMIS could not match could be booked by someone else.',
    fix:
      'In EMIS Web: Appointment book → Appts config → Slot type, open "Hero unregistered patient" and stop ' +
      "offering it for patients' online booking; keep it only for holding slots for unregistered patients.",
  });
});

t.test('an address nothing answers on', async (t) => {
  const sandbox = await startSandbox(t);
  const connection = sandbox.connection();
  await sandbox.close();
  t.same(await checkSetup(contextFor(connection)), [
    ...TYPED_OK,
    {
      id: 'emis.reachable',
      ok: false,
      severity: 'error',
      message: `slotbridge could not reach the EMIS Partner API at ${connection.baseUrl}.`,
      fix: 'Check the API address. If it is right, EMIS may be down: try again in a few minutes.',
    },
  ]);
});

const RBAC_FIX =
  'In EMIS Web: EMIS ball → Configuration → Organisation Configuration → Users, open the partner user and give ' +
  'it an RBAC role with appointment access (e.g. Practice Manager SJR004) under User Role Profile.';

t.test('a user that cannot read the organisation details or the appointment book', async (t) => {
  const sandbox = await startSandbox(t, DEMO);
  sandbox.faults.add({ operation: 'GetOrganisation', kind: 'error', status: 500 });
  sandbox.faults.add({ operation: 'GetAppointmentConfiguration', kind: 'error', status: 500 });
  t.same(await checkSetup(contextFor(sandbox.connection())), [
    ...TYPED_OK,
    REACHABLE,
    SIGNED_IN,
    {
      id: 'emis.organisation',
      ok: false,
      severity: 'warning',
      message:
        'The partner user signs in but cannot read the organisation details, so the organisation ID and earlier ' +
        'partner users could not be checked.',
      fix: RBAC_FIX,
    },
    {
      id: 'emis.appointment-book',
      ok: false,
      severity: 'error',
      message: 'The partner user signs in but cannot read the appointment book.',
      fix: RBAC_FIX,
    },
  ]);
});
