/**
 * The set-up checks, in a practice manager's words, for each way the SystmOne set-up goes wrong:
 * the gateway down, SystmOne closed or logged out, the API key, the device ID, the device not
 * approved by the logged-in user, an unknown user name, no slot type bookable by third parties.
 */
import t from 'tap';
import { DEMO_PLACEHOLDER_NHS_NUMBER } from '../src/sandbox/index.ts';
import { systmonePlugin } from '../src/systmone-plugin.ts';
import { contextFor, SMALL_DIARY, startSandbox } from './fixtures.ts';

const ok = (id: string, message: string) => ({ id, ok: true, severity: 'error', message });

async function practice(t: Parameters<typeof startSandbox>[0]) {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  const connection = {
    ...sandbox.connection(),
    readTimeoutMs: 200,
    placeholderNhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER,
  };
  const reachable = ok(
    'systmone.gateway-reachable',
    `The gateway at 127.0.0.1:${sandbox.port} accepts connections.`,
  );
  return { sandbox, connection, reachable };
}

const PLACEHOLDER = ok(
  'systmone.placeholder-patient',
  'The placeholder patient (NHS number 9990000093) is in SystmOne: online bookings SystmOne cannot match are held ' +
    'on it for reception to move to the right patient.',
);
const ANSWERING = ok('systmone.client-answering', 'SystmOne answers on the gateway PC.');
const API_KEY = ok('systmone.api-key', 'SystmOne accepts the API key.');
const DEVICE_ID = ok('systmone.device-id', 'SystmOne accepts the device ID SLOTBRIDGE-0001.');
const APPROVED = ok(
  'systmone.device-approved',
  'The user logged in to SystmOne on the gateway PC has approved the slotbridge device.',
);

t.test('a practice set up correctly passes every check', async (t) => {
  const { connection, reachable } = await practice(t);
  t.same(await systmonePlugin.checkSetup(contextFor(connection)), [
    reachable,
    ANSWERING,
    API_KEY,
    DEVICE_ID,
    APPROVED,
    ok('systmone.user', 'HeroGateway is a SystmOne user of Riverside Medical Practice.'),
    ok(
      'systmone.slot-types',
      '5 slot types are bookable by third parties: Routine GP, Telephone Consultation, Nurse Appointment, ' +
        'Blood Test, Unregistered Patient (Online). Not bookable by third parties, so never offered online: Baby Clinic.',
    ),
    PLACEHOLDER,
  ]);
});

t.test('the gateway not there', async (t) => {
  const { sandbox, connection } = await practice(t);
  await sandbox.setGatewayOnline(false);
  t.same(await systmonePlugin.checkSetup(contextFor(connection)), [
    {
      id: 'systmone.gateway-reachable',
      ok: false,
      severity: 'error',
      message: `slotbridge could not connect to the gateway at 127.0.0.1:${sandbox.port}.`,
      fix:
        'Check the practice PC running the slotbridge gateway is switched on and the gateway is running, and that ' +
        'the address and port are right.',
    },
  ]);
});

t.test('SystmOne closed or logged out on the gateway PC answers nothing', async (t) => {
  const { sandbox, connection, reachable } = await practice(t);
  for (const state of ['closed', 'logged-out'] as const) {
    sandbox.setClientState(state);
    const started = Date.now();
    t.same(
      await systmonePlugin.checkSetup(contextFor(connection)),
      [
        reachable,
        {
          id: 'systmone.client-answering',
          ok: false,
          severity: 'error',
          message:
            'The gateway accepted the connection but SystmOne did not answer: it is closed or logged out on the gateway PC.',
          fix:
            'Log in to SystmOne on the gateway PC as HeroGateway and leave it running: SystmOne answers only while it ' +
            'is open and logged in.',
        },
      ],
      state,
    );
    t.ok(Date.now() - started < 1000, 'after the read timeout');
  }
});

t.test('a wrong API key', async (t) => {
  const { connection, reachable } = await practice(t);
  t.same(await systmonePlugin.checkSetup(contextFor({ ...connection, apiKey: 'typo' })), [
    reachable,
    ANSWERING,
    {
      id: 'systmone.api-key',
      ok: false,
      severity: 'error',
      message: 'SystmOne does not recognise the API key.',
      fix: 'Enter the API key TPP issued for slotbridge exactly as given (no spaces).',
    },
  ]);
});

t.test('a wrong device ID', async (t) => {
  const { connection, reachable } = await practice(t);
  t.same(await systmonePlugin.checkSetup(contextFor({ ...connection, deviceId: 'SLOTBRIDGE-9' })), [
    reachable,
    ANSWERING,
    API_KEY,
    {
      id: 'systmone.device-id',
      ok: false,
      severity: 'error',
      message: 'SystmOne does not recognise the device ID SLOTBRIDGE-9 for this API key.',
      fix: 'Enter the device ID registered with TPP for this API key exactly as given.',
    },
  ]);
});

t.test('the user has not approved the device', async (t) => {
  const { sandbox, connection, reachable } = await practice(t);
  sandbox.setDeviceApproved('HeroGateway', false);
  t.same(await systmonePlugin.checkSetup(contextFor(connection)), [
    reachable,
    ANSWERING,
    API_KEY,
    DEVICE_ID,
    {
      id: 'systmone.device-approved',
      ok: false,
      severity: 'error',
      message: 'The user HeroGateway has not approved the slotbridge device (SLOTBRIDGE-0001).',
      fix:
        'Log in to SystmOne as HeroGateway on the practice PC and Approve the device when SystmOne asks about ' +
        'slotbridge; leave SystmOne logged in as HeroGateway.',
    },
  ]);

  sandbox.setDeviceApproved('HeroGateway', true);
  sandbox.updateSetup({ loggedInUser: 'SBrown' }); // someone else logged in, who never approved it
  const checks = await systmonePlugin.checkSetup(contextFor(connection));
  t.same(checks.at(-1), {
    id: 'systmone.device-approved',
    ok: false,
    severity: 'error',
    message: 'The user SBrown has not approved the slotbridge device (SLOTBRIDGE-0001).',
    fix:
      'Log in to SystmOne as HeroGateway on the practice PC and Approve the device when SystmOne asks about ' +
      'slotbridge; leave SystmOne logged in as HeroGateway. SystmOne there is logged in as SBrown now: log out first.',
  });
});

t.test('a user name SystmOne does not have is a warning', async (t) => {
  const { sandbox, connection } = await practice(t);
  sandbox.updateSetup({ loggedInUser: 'AHart' });
  const checks = await systmonePlugin.checkSetup(contextFor({ ...connection, userName: 'Herogateway' }));
  t.same(checks[5], {
    id: 'systmone.user',
    ok: false,
    severity: 'warning',
    message: 'SystmOne has no user Herogateway in Riverside Medical Practice.',
    fix: 'Enter the user name of the SystmOne user logged in on the gateway PC, exactly as SystmOne shows it.',
  });
  t.same(checks.length, 8);
});

t.test('no slot type bookable by third parties', async (t) => {
  const { sandbox, connection } = await practice(t);
  sandbox.seed({
    ...SMALL_DIARY,
    slotTypes: SMALL_DIARY.slotTypes.map((s) => ({ ...s, bookableByThirdParties: false })),
  });
  const checks = await systmonePlugin.checkSetup(contextFor(connection));
  t.same(checks[6], {
    id: 'systmone.slot-types',
    ok: false,
    severity: 'error',
    message:
      'No slot type is bookable by third parties, so slotbridge can offer no slots. Not bookable by third parties, so ' +
      'never offered online: Routine GP, Telephone Consultation, Baby Clinic.',
    fix: "In SystmOne's appointment set-up, allow third-party booking for the slot types patients may book online.",
  });
  sandbox.setSlotTypeBookable('Routine GP', true);
  t.same((await systmonePlugin.checkSetup(contextFor(connection)))[6], {
    id: 'systmone.slot-types',
    ok: true,
    severity: 'error',
    message:
      '1 slot type is bookable by third parties: Routine GP. Not bookable by third parties, so never offered online: ' +
      'Telephone Consultation, Baby Clinic.',
  });
});

t.test('SystmOne failing or refusing the organisation read', async (t) => {
  const { sandbox, connection, reachable } = await practice(t);
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'drop' });
  t.same(await systmonePlugin.checkSetup(contextFor(connection)), [
    reachable,
    {
      id: 'systmone.client-answering',
      ok: false,
      severity: 'error',
      message:
        'SystmOne did not give a usable answer: The connection to the SystmOne gateway closed before GetOrganisation was answered.',
      fix: 'Try again in a few minutes. If it keeps failing, restart SystmOne and the slotbridge gateway on the gateway PC.',
    },
  ]);
  sandbox.faults.add({
    function: 'GetOrganisation',
    kind: 'error',
    message: 'Function GetOrganisation is not supported',
  });
  t.same((await systmonePlugin.checkSetup(contextFor(connection))).slice(1), [
    ANSWERING,
    API_KEY,
    DEVICE_ID,
    APPROVED,
    {
      id: 'systmone.organisation',
      ok: false,
      severity: 'error',
      message:
        "SystmOne would not list the organisation's users and slot types: SystmOne refused GetOrganisation: Function " +
        'GetOrganisation is not supported.',
      fix:
        'Ask TPP to enable the Client Integration API functions (GetOrganisation, GetAppointmentSlots, PatientSearch, ' +
        'UpdatePatientRecord) for the practice.',
    },
  ]);
});

t.test('the placeholder patient: not set, or not in SystmOne, is a warning naming what to do', async (t) => {
  const { sandbox, connection } = await practice(t);
  const { placeholderNhsNumber: _, ...without } = connection;
  const unset = await systmonePlugin.checkSetup(contextFor(without));
  t.same(unset.map((c) => c.id).slice(-3), [
    'systmone.user',
    'systmone.slot-types',
    'systmone.placeholder-patient',
  ]);
  t.same(unset.at(-1), {
    id: 'systmone.placeholder-patient',
    ok: false,
    severity: 'warning',
    message:
      'No placeholder patient is set, so slotbridge cannot hold the time of an online booking whose patient ' +
      'SystmOne cannot match: such bookings fail and the practice must contact the patient.',
    fix:
      "In SystmOne, keep a placeholder patient record for online bookings it cannot match yet (e.g. 'Unregistered, " +
      "Online Booking'), enter its NHS number as the connection's placeholder NHS number, and map a slot type to " +
      'Unregistered Patient Booking.',
  });
  t.ok(
    unset.slice(0, -1).every((c) => c.ok),
    'the other checks still pass',
  );

  const missing = await systmonePlugin.checkSetup(
    contextFor({ ...connection, placeholderNhsNumber: '9990000107' }),
  );
  t.same(missing.at(-1), {
    id: 'systmone.placeholder-patient',
    ok: false,
    severity: 'warning',
    message:
      'SystmOne has no patient with the placeholder NHS number 9990000107, so online bookings it cannot match ' +
      'cannot be held: they fail instead.',
    fix:
      "Enter the NHS number of the placeholder patient record exactly as SystmOne shows it (e.g. 'Unregistered, " +
      "Online Booking'), or create that record in SystmOne.",
  });
  t.same(
    sandbox.calls.filter((c) => c.function === 'PatientSearch').map((c) => c.outcome),
    ['response'],
    'looked up by NHS number alone',
  );

  sandbox.faults.add({ function: 'PatientSearch', kind: 'error' });
  t.match((await systmonePlugin.checkSetup(contextFor(connection))).at(-1), {
    id: 'systmone.placeholder-patient',
    ok: false,
    severity: 'warning',
    message: /could not look up the placeholder patient \(NHS number 9990000093\)/,
  });
});
