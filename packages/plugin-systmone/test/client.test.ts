/**
 * The Client Integration API client over real TCP: every function, `<EOF>` framing of chunked
 * replies, RequestUID correlation, the read timeout, and every failure as a typed EhrError.
 */
import t from 'tap';
import { SystmOneClient } from '../src/client.ts';
import { SYSTMONE_ERRORS } from '../src/errors.ts';
import { sandboxMessages } from '../src/sandbox/index.ts';
import { failure, SMALL_DIARY, startSandbox } from './fixtures.ts';

const NEVER = new AbortController().signal;
const FEB_2_3 = { minDateTime: '2026-02-02T00:00:00', maxDateTime: '2026-02-03T23:59:59' };

t.test('every function, read into plain objects', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new SystmOneClient(sandbox.connection());
  t.same(await client.getOrganisation(NEVER), {
    name: 'Riverside Medical Practice',
    odsCode: 'A81001',
    users: [
      { userName: 'AHart', fullName: 'Dr Amelia Hart', role: 'GP' },
      { userName: 'HeroGateway', fullName: 'Hero Gateway', role: 'Integration' },
    ],
    sites: ['Riverside Surgery', 'Hillview Branch Surgery'],
    slotTypes: [
      { name: 'Routine GP', bookableByThirdParties: true },
      { name: 'Telephone Consultation', bookableByThirdParties: true },
      { name: 'Baby Clinic', bookableByThirdParties: false },
    ],
  });
  t.same(
    await client.getAppointmentSlots(
      { minDateTime: '2026-02-03T00:00:00', maxDateTime: '2026-02-03T23:59:59' },
      NEVER,
    ),
    [
      {
        userName: 'AHart',
        siteName: 'Hillview Branch Surgery',
        clinicType: 'GP Clinic',
        slots: [{ slotType: 'Routine GP', dateTimeStart: '2026-02-03T14:00:00', durationMinutes: 10 }],
      },
    ],
  );
  t.same(
    await client.getAppointmentSlots(
      { minDateTime: '2026-03-01T00:00:00', maxDateTime: '2026-03-01T23:59:59' },
      NEVER,
    ),
    [],
  );
  t.same(await client.patientSearch({ Surname: 'Khan', DateOfBirth: '1957-11-03' }, NEVER), [
    { nhsNumber: '9990000026', title: 'Mr', firstName: 'Bashir', surname: 'Khan', dateOfBirth: '1957-11-03' },
  ]);
  const uid = await client.bookAppointment(
    {
      nhsNumber: '9990000018',
      comments: 'Cough',
      clinic: { userName: 'AHart', siteName: 'Hillview Branch Surgery', clinicType: 'GP Clinic' },
      slot: { slotType: 'Routine GP', dateTimeStart: '2026-02-03T14:00:00', durationMinutes: 10 },
    },
    NEVER,
  );
  t.match(sandbox.diary.appointment(uid), {
    nhsNumber: '9990000018',
    slotRef: 6,
    status: 'Booked',
    comments: 'Cough',
  });
  await client.cancelAppointment(
    { nhsNumber: '9990000018', appointmentUid: uid, comments: 'No longer needed' },
    NEVER,
  );
  t.match(sandbox.diary.appointment(uid), { status: 'Cancelled' });
  t.same(
    sandbox.calls.map((c) => [c.function, c.outcome]),
    [
      ['GetOrganisation', 'response'],
      ['GetAppointmentSlots', 'response'],
      ['GetAppointmentSlots', 'response'],
      ['PatientSearch', 'response'],
      ['UpdatePatientRecord', 'response'],
      ['UpdatePatientRecord', 'response'],
    ],
  );
  t.ok(new Set(sandbox.calls.map((c) => c.requestUid)).size === 6, 'a new RequestUID for every request');
});

t.test(
  'a reply in 7-byte chunks, slowly, is read whole: the timeout counts from the last byte',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seed(SMALL_DIARY);
    sandbox.faults.add({ function: 'GetAppointmentSlots', kind: 'chunked', chunkBytes: 7, gapMs: 2 });
    const client = new SystmOneClient(sandbox.connection(), { readTimeoutMs: 200 });
    const started = Date.now();
    const clinics = await client.getAppointmentSlots(FEB_2_3, NEVER);
    t.same(
      clinics.map((c) => c.slots.length),
      [2, 1],
    );
    t.ok(Date.now() - started > 200, 'took longer than the timeout in all');
  },
);

t.test('a closed or logged-out SystmOne is a transient NO_ANSWER after the read timeout', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.setClientState('logged-out');
  const client = new SystmOneClient({ ...sandbox.connection(), readTimeoutMs: 250 });
  const started = Date.now();
  t.same(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_NO_ANSWER',
    message: 'SystmOne did not answer GetOrganisation within 250 ms',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_NO_ANSWER.fix,
    details: { function: 'GetOrganisation', timeoutMs: 250 },
  });
  const waited = Date.now() - started;
  t.ok(waited >= 240 && waited < 1000, `gave up after ${waited} ms`);
  t.same(
    sandbox.calls.map((c) => c.outcome),
    ['no-answer'],
    'the request reached SystmOne',
  );
});

t.test('the read timeout is 3 seconds unless configured', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.setClientState('closed');
  const { readTimeoutMs: _, ...connection } = { ...sandbox.connection(), readTimeoutMs: 0 };
  t.match(await failure(new SystmOneClient(connection).getOrganisation(NEVER)), {
    code: 'SYSTMONE_ERR_NO_ANSWER',
    details: { timeoutMs: 3000 },
  });
});

t.test('dropped connections, garbage, error replies and a gateway not there are transient', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const client = new SystmOneClient(sandbox.connection(), { readTimeoutMs: 300 });

  sandbox.faults.add({ function: 'GetOrganisation', kind: 'drop' });
  t.same(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_CONNECTION_DROPPED',
    message: 'The connection to the SystmOne gateway closed before GetOrganisation was answered',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_CONNECTION_DROPPED.fix,
    details: { function: 'GetOrganisation', gateway: `127.0.0.1:${sandbox.port}` },
  });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'garbage' });
  t.match(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_UNEXPECTED_RESPONSE',
    message: "SystmOne's answer to GetOrganisation is not well-formed XML",
  });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'error' });
  t.same(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_SYSTMONE_UNAVAILABLE',
    message: 'SystmOne refused GetOrganisation: An internal error occurred',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_SYSTMONE_UNAVAILABLE.fix,
    details: { function: 'GetOrganisation', errorMessage: 'An internal error occurred' },
  });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'hang' });
  t.match(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_NO_ANSWER',
  });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'latency', latencyMs: 50 });
  t.equal((await client.getOrganisation(NEVER)).users.length, 2, 'a slow answer inside the timeout is fine');

  sandbox.faults.add({ function: 'GetOrganisation', kind: 'hang' });
  const caller = new AbortController();
  setTimeout(() => caller.abort(), 50);
  t.same(await failure(client.getOrganisation(caller.signal)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_CANCELLED',
    message: 'GetOrganisation was cancelled by the caller',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_CANCELLED.fix,
    details: { function: 'GetOrganisation' },
  });

  t.match(
    await failure(client.getOrganisation(AbortSignal.abort())),
    { code: 'SYSTMONE_ERR_CANCELLED' },
    'aborted before',
  );

  await sandbox.setGatewayOnline(false);
  t.same(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_GATEWAY_UNREACHABLE',
    message: 'Could not connect to the SystmOne gateway for GetOrganisation',
    fix: SYSTMONE_ERRORS.SYSTMONE_ERR_GATEWAY_UNREACHABLE.fix,
    details: {
      function: 'GetOrganisation',
      gateway: `127.0.0.1:${sandbox.port}`,
      networkCode: 'ECONNREFUSED',
    },
  });
  await t.rejects(client.ping(NEVER), { code: 'SYSTMONE_ERR_GATEWAY_UNREACHABLE' });
  await sandbox.setGatewayOnline(true);
  await client.ping(NEVER);
});

t.test('a gateway that never accepts the connection is unreachable after the connect timeout', async (t) => {
  // 10.255.255.1 is not routed from here: the SYN goes unanswered.
  const client = new SystmOneClient(
    { host: '10.255.255.1', port: 40700, apiKey: 'k', deviceId: 'd', userName: 'u' },
    { connectTimeoutMs: 100 },
  );
  t.match(await failure(client.getOrganisation(NEVER)), {
    kind: 'transient',
    code: 'SYSTMONE_ERR_GATEWAY_UNREACHABLE',
    details: { gateway: '10.255.255.1:40700' },
  });
});

t.test('every ErrorMessage the sandbox answers maps to its code', async (t) => {
  const sandbox = await startSandbox(t);
  const client = new SystmOneClient(sandbox.connection());
  const cases: [string, string, string][] = [
    [sandboxMessages.apiKeyUnknown(), 'SYSTMONE_ERR_API_KEY', 'auth_failed'],
    [sandboxMessages.deviceUnknown(), 'SYSTMONE_ERR_DEVICE_ID', 'auth_failed'],
    [
      sandboxMessages.deviceNotApproved('SLOTBRIDGE-0001', 'AHart'),
      'SYSTMONE_ERR_DEVICE_NOT_APPROVED',
      'auth_failed',
    ],
    [sandboxMessages.functionUnknown('GetOrganisation'), 'SYSTMONE_ERR_FUNCTION_UNSUPPORTED', 'rejected'],
    [
      sandboxMessages.functionVersion('GetOrganisation', '1.0'),
      'SYSTMONE_ERR_FUNCTION_UNSUPPORTED',
      'rejected',
    ],
    [sandboxMessages.malformedRequest('x'), 'SYSTMONE_ERR_BAD_REQUEST', 'rejected'],
    [sandboxMessages.invalidParameters('x'), 'SYSTMONE_ERR_BAD_REQUEST', 'rejected'],
    [sandboxMessages.searchCriteria(), 'SYSTMONE_ERR_BAD_REQUEST', 'rejected'],
    [sandboxMessages.patientNotFound(), 'SYSTMONE_ERR_PATIENT_NOT_FOUND', 'patient_not_matched'],
    [sandboxMessages.slotNotAvailable(), 'SYSTMONE_ERR_SLOT_NOT_AVAILABLE', 'slot_taken'],
    [sandboxMessages.slotTypeNotBookable('Baby Clinic'), 'SYSTMONE_ERR_SLOT_TYPE_NOT_BOOKABLE', 'rejected'],
    [sandboxMessages.appointmentNotFound('a-1'), 'SYSTMONE_ERR_APPOINTMENT_NOT_FOUND', 'rejected'],
    [sandboxMessages.appointmentCancelled('a-1'), 'SYSTMONE_ERR_APPOINTMENT_NOT_FOUND', 'rejected'],
    [
      sandboxMessages.appointmentInProgress('a-1', 'Arrived'),
      'SYSTMONE_ERR_APPOINTMENT_IN_PROGRESS',
      'rejected',
    ],
    [sandboxMessages.internalError(), 'SYSTMONE_ERR_SYSTMONE_UNAVAILABLE', 'transient'],
    ['Something else entirely', 'SYSTMONE_ERR_REFUSED', 'rejected'],
  ];
  for (const [message, code, kind] of cases) {
    sandbox.faults.add({ function: 'GetOrganisation', kind: 'error', message });
    t.match(await failure(client.getOrganisation(NEVER)), { code, kind }, message);
  }
  sandbox.faults.add({
    function: 'GetOrganisation',
    kind: 'error',
    message: sandboxMessages.deviceNotApproved('SLOTBRIDGE-0001', 'AHart'),
  });
  t.match(await failure(client.getOrganisation(NEVER)), { details: { userName: 'AHart' } }, 'names the user');
});

t.test('errors carry neither the API key nor NHS numbers', async (t) => {
  const sandbox = await startSandbox(t);
  const client = new SystmOneClient({ ...sandbox.connection(), apiKey: 'S3cret-typo' });
  const refused = await client.getOrganisation(NEVER).catch((e: unknown) => e);
  sandbox.faults.add({ function: 'PatientSearch', kind: 'error', message: 'No record 999 000 0018 here' });
  const withNumber = await new SystmOneClient(sandbox.connection())
    .patientSearch({ NHSNumber: '9990000018', DateOfBirth: '1984-02-29' }, NEVER)
    .catch((e: unknown) => e);
  t.match(withNumber, { message: 'SystmOne refused PatientSearch: No record [NHS number] here' });
  const shown = JSON.stringify([refused, withNumber].map((e) => ({ e, message: (e as Error).message })));
  t.notMatch(shown, /S3cret-typo|999 000 0018|9990000018/);
});
