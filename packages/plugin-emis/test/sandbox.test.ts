/**
 * The sandbox against the published Partner API 1.2 contract, over real HTTP: paths, query
 * parameters, dd/mm/yyyy dates, field names (typos included), ErrorResponse bodies.
 */
import t from 'tap';
import { SANDBOX_ERROR_SYSTEM } from '../src/sandbox/index.ts';
import { SMALL_DIARY, startSandbox } from './fixtures.ts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** A raw Partner API caller, signed in as the sandbox's partner user. */
async function partnerApi(sandbox: Sandbox) {
  const { applicationId, cdbNumber, username, apiPassword } = sandbox.connection();
  const tokenResponse = await fetch(`${sandbox.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { applicationId, 'content-type': 'application/json' },
    body: JSON.stringify({ organisationId: cdbNumber, userName: username, password: apiPassword }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  return async (
    method: string,
    path: string,
    query: Record<string, string> = {},
    headers?: Record<string, string>,
  ) => {
    const response = await fetch(`${sandbox.url}${path}?${new URLSearchParams(query)}`, {
      method,
      headers: headers ?? { applicationId, authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
}

function errorBody(
  messageNumber: number,
  code: string,
  issueCode: string,
  text: string,
  legacyOutcome: number,
) {
  return {
    messageId: `00000000-0000-4000-8000-${String(messageNumber).padStart(12, '0')}`,
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${text.replaceAll('"', '&quot;')}</div>`,
    },
    issue: {
      severity: 0,
      code: issueCode,
      details: { text, coding: { system: SANDBOX_ERROR_SYSTEM, code, display: text } },
      diagnostics: text,
    },
    legacyOutcome,
  };
}

const SESSIONS = '/api/v1/appointments/GetAppointmentSessions';

t.test('the token call answers a bearer token and the partner user DBID', async (t) => {
  const sandbox = await startSandbox(t);
  const { applicationId, cdbNumber, username, apiPassword } = sandbox.connection();
  const response = await fetch(`${sandbox.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { applicationId, 'content-type': 'application/json' },
    body: JSON.stringify({ organisationId: cdbNumber, userName: username, password: apiPassword }),
  });
  t.equal(response.status, 200);
  t.match(await response.json(), {
    access_token: /^[\w-]{32}$/,
    token_type: 'Bearer',
    expires_in: 3600,
    userInRoleId: '7001',
  });
});

t.test('sign-in outcomes follow the set-up flags', async (t) => {
  const sandbox = await startSandbox(t);
  const signIn = async (password: string, userName = 'Herouser', organisationId = '50001') => {
    const { applicationId } = sandbox.connection();
    const response = await fetch(`${sandbox.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { applicationId, 'content-type': 'application/json' },
      body: JSON.stringify({ organisationId, userName, password }),
    });
    const body = (await response.json()) as {
      legacyOutcome?: number;
      userInRoleId?: string;
      issue?: { details: { coding: { code: string } } };
    };
    return response.status === 200
      ? [200, body.userInRoleId]
      : [response.status, body.legacyOutcome, body.issue?.details.coding.code];
  };
  const { apiPassword, emisPassword } = sandbox.access.user('Herouser');
  t.same(await signIn(apiPassword!), [200, '7001'], 'set up correctly: 1 (a token)');
  t.same(await signIn('wrong'), [401, 3, 'WRONG_PASSWORD'], 'wrong password: 3');
  t.same(
    await signIn(emisPassword),
    [401, 3, 'WRONG_PASSWORD'],
    'the EMIS user password is not the API password: 3',
  );
  t.same(
    await signIn(apiPassword!, 'Herouser', '50002'),
    [401, 4, 'ORGANISATION_UNKNOWN'],
    'an organisation ID (CDB number) EMIS does not know: 4',
  );
  t.same(await signIn(apiPassword!, 'Herouser9'), [401, 4, 'NO_ACCESS'], 'an unknown user: 4');
  sandbox.access.updateUser('Herouser', { passwordExpired: true });
  t.same(await signIn(apiPassword!), [401, 2, 'PASSWORD_EXPIRED'], 'expired: 2');
  sandbox.access.updateUser('Herouser', { passwordExpired: false, allowLogin: false });
  t.same(await signIn(apiPassword!), [401, 4, 'NO_ACCESS'], 'Login Access off (Allow Login): 4');
  sandbox.access.updateUser('Herouser', { allowLogin: true, autoLogin: false });
  t.same(await signIn(apiPassword!), [401, 4, 'NO_ACCESS'], 'Login Access off (Auto Login): 4');
  sandbox.access.updateUser('Herouser', { autoLogin: true, apiPassword: null });
  t.same(await signIn(apiPassword!), [401, 4, 'NO_ACCESS'], 'user not ticked under Edit Users: 4');
  sandbox.access.updateUser('Herouser', { apiPassword });
  sandbox.access.updateSetup({ applicationActivated: false });
  t.same(await signIn(apiPassword!), [401, 4, 'NO_ACCESS'], 'application not activated: 4');
});

t.test('several partner users, each with its own passwords and Login Access', async (t) => {
  const sandbox = await startSandbox(t);
  const added = sandbox.access.addUser({
    username: 'Herouser1',
    userInRoleId: '7002',
    emisPassword: 'second-emis-password',
  });
  t.same(
    added,
    {
      username: 'Herouser1',
      userInRoleId: '7002',
      title: 'Mr',
      firstNames: 'Hero',
      lastName: 'User',
      mnemonic: 'HH',
      emisPassword: 'second-emis-password',
      apiPassword: null,
      autoLogin: false,
      allowLogin: false,
      passwordExpired: false,
    },
    'a new EMIS user is not ticked under Edit Users and has no Login Access',
  );
  const token = async (userName: string, password: string) => {
    const response = await fetch(`${sandbox.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { applicationId: 'slotbridge-sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ organisationId: '50001', userName, password }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  t.match(await token('Herouser1', 'second-emis-password'), { status: 401, body: { legacyOutcome: 4 } });
  sandbox.access.updateUser('Herouser1', { apiPassword: 'second-api-password' });
  t.match(await token('Herouser1', 'second-api-password'), { status: 401, body: { legacyOutcome: 4 } });
  sandbox.access.updateUser('Herouser1', { autoLogin: true, allowLogin: true });
  t.match(await token('Herouser1', 'second-api-password'), { status: 200, body: { userInRoleId: '7002' } });
  t.match(
    await token('Herouser1', 'api-password-from-emas'),
    { status: 401, body: { legacyOutcome: 3 } },
    "another user's API password is a wrong password",
  );
  t.match(await token('Herouser', 'api-password-from-emas'), { status: 200, body: { userInRoleId: '7001' } });
  t.same(sandbox.connection('Herouser1').apiPassword, 'second-api-password');

  const { access_token: herouser1Token } = (await token('Herouser1', 'second-api-password')).body;
  sandbox.access.removeUser('Herouser1');
  const response = await fetch(`${sandbox.url}/api/v1/organisation/GetOrganisation`, {
    headers: { applicationId: 'slotbridge-sandbox', authorization: `Bearer ${herouser1Token}` },
  });
  t.equal(response.status, 401, "a deleted user's token stops working");
  t.throws(() => sandbox.access.addUser({ username: 'herouser', userInRoleId: '7003', emisPassword: 'x' }), {
    message: 'A user herouser already exists',
  });
});

t.test('every call needs the applicationId header and a bearer token', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const query = { startDate: '02/02/2026', endDate: '02/02/2026' };
  t.same(
    await call('GET', SESSIONS, query, {}),
    {
      status: 401,
      body: errorBody(1, 'APPLICATION_ID_MISSING', 'security', 'The applicationId header is required', 4),
    },
    'missing applicationId',
  );
  t.same(
    await call('GET', SESSIONS, query, { applicationId: 'someone-else' }),
    {
      status: 401,
      body: errorBody(2, 'APPLICATION_ID_UNKNOWN', 'security', 'The applicationId is not known to EMIS', 4),
    },
    'unknown applicationId',
  );
  t.same(
    await call('GET', SESSIONS, query, { applicationId: sandbox.access.setup.applicationId }),
    { status: 401, body: errorBody(3, 'TOKEN_MISSING', 'login', 'A bearer token is required', 4) },
    'no bearer token',
  );
});

t.test('GetAppointmentConfiguration: sites, holders, slot types with bookable strings', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed({
    ...SMALL_DIARY,
    practiceHolidays: [
      { description: 'Bank holiday', day: '2026-05-04', startTime: '00:00', endTime: '23:59' },
    ],
  });
  const call = await partnerApi(sandbox);
  const { status, body } = await call('GET', '/api/v1/appointments/GetAppointmentConfiguration', {
    startDate: '01/02/2026',
    endDate: '31/05/2026',
  });
  t.equal(status, 200);
  t.same(body, {
    siteList: [{ dbid: 1, refID: 1, name: 'Riverside Surgery' }],
    holderList: [{ dbid: 501, refID: 501, title: 'Dr', firstNames: 'Amelia', surname: 'Hart' }],
    scheduleList: [{ name: 'Dr Hart AM', startTime: '09:00', endTime: '09:40', slotLength: '10' }],
    holidayList: {
      practice: [{ description: 'Bank holiday', day: '04/05/2026', startTime: '00:00', endTime: '23:59' }],
      staff: [],
    },
    slotTypeList: [
      { id: '11', display: 'GP', description: 'Routine GP', bookable: 'true', emisAccess: 'true' },
      { id: '15', display: 'Baby', description: 'Baby clinic', bookable: 'false', emisAccess: 'false' },
    ],
  });
});

t.test('GetAppointmentSessions: sessions with site, holders and counts per slot type', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const session = {
    dbid: 1001,
    name: 'Dr Hart AM',
    date: '02/02/2026',
    startTime: '09:00',
    endTime: '09:40',
    slotLength: '10',
    slotTypeList: [
      {
        typeID: '11',
        description: 'Routine GP',
        total: 3,
        booked: 1,
        blocked: 1,
        embargoed: 0,
        available: 1,
      },
      {
        typeID: '15',
        description: 'Baby clinic',
        total: 1,
        booked: 0,
        blocked: 0,
        embargoed: 0,
        available: 1,
      },
    ],
    site: { dbid: 1, name: 'Riverside Surgery' },
    holderList: [{ dbid: 501, refID: 501, title: 'Dr', firstNames: 'Amelia', lastName: 'Hart' }],
  };
  t.same(await call('GET', SESSIONS, { startDate: '02/02/2026', endDate: '02/02/2026' }), {
    status: 200,
    body: { appointmentSession: [session] },
  });
  t.same(
    await call('GET', SESSIONS, { slotType: '15', startDate: '01/02/2026', endDate: '03/02/2026' }),
    { status: 200, body: { appointmentSession: [session] } },
    'slotType keeps sessions holding that type',
  );
  t.same(await call('GET', SESSIONS, { slotType: '99', startDate: '01/02/2026', endDate: '03/02/2026' }), {
    status: 200,
    body: { appointmentSession: [] },
  });
  t.same(
    await call('GET', SESSIONS, { startDate: '03/02/2026', endDate: '03/02/2026' }),
    { status: 200, body: { appointmentSession: [] } },
    'other days hold nothing',
  );
});

t.test('GetAppointmentSessions: 90 days at most, dates as dd/mm/yyyy', async (t) => {
  const sandbox = await startSandbox(t);
  const call = await partnerApi(sandbox);
  t.equal(
    (await call('GET', SESSIONS, { startDate: '01/01/2026', endDate: '31/03/2026' })).status,
    200,
    '90 days',
  );
  const tooLong = 'The maximum window to retrieve sessions is 90 days; 91 were asked for';
  t.same(await call('GET', SESSIONS, { startDate: '01/01/2026', endDate: '01/04/2026' }), {
    status: 400,
    body: errorBody(1, 'DATE_RANGE_TOO_LONG', 'invalid', tooLong, 3),
  });
  const isoDate = 'startDate must be a date in the format dd/mm/yyyy, got "2026-01-01"';
  t.same(await call('GET', SESSIONS, { startDate: '2026-01-01', endDate: '02/01/2026' }), {
    status: 400,
    body: errorBody(2, 'INVALID_PARAMETER', 'invalid', isoDate, 3),
  });
  const notADay = await call('GET', SESSIONS, { startDate: '30/02/2026', endDate: '02/03/2026' });
  t.match(notADay, { status: 400, body: { issue: { details: { coding: { code: 'INVALID_PARAMETER' } } } } });
  const backwards = await call('GET', SESSIONS, { startDate: '02/03/2026', endDate: '01/03/2026' });
  t.match(backwards, { status: 400, body: { issue: { diagnostics: 'endDate is before startDate' } } });
  const missing = await call('GET', SESSIONS, { startDate: '02/03/2026' });
  t.match(missing, {
    status: 400,
    body: { issue: { diagnostics: 'endDate is required' }, legacyOutcome: 3 },
  });
});

t.test('GetSlotsForSession: slots with type, status and the booked patient', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const gp = { typeID: '11', description: 'Routine GP' };
  t.same(await call('GET', '/api/v1/appointments/GetSlotsForSession', { appointmentSessionId: '1001' }), {
    status: 200,
    body: {
      slot: [
        {
          dbid: 100001,
          refID: 100001,
          startTime: '09:00',
          slotLength: '10',
          type: gp,
          status: 'Slot Available',
          notes: '',
          reason: '',
        },
        {
          dbid: 100002,
          refID: 100002,
          startTime: '09:10',
          slotLength: '10',
          type: gp,
          status: 'Booked',
          patientList: {
            patient: {
              dbid: 9001,
              refID: 9001,
              title: 'Mrs',
              firstNames: 'Alice',
              surname: 'Jones',
              fullName: 'Mrs Alice Jones',
            },
          },
          notes: '',
          reason: 'Cough',
        },
        {
          dbid: 100003,
          refID: 100003,
          startTime: '09:20',
          slotLength: '10',
          type: gp,
          status: 'Blocked',
          notes: '',
          reason: '',
        },
        {
          dbid: 100004,
          refID: 100004,
          startTime: '09:30',
          slotLength: '10',
          type: { typeID: '15', description: 'Baby clinic' },
          status: 'Slot Available',
          notes: '',
          reason: '',
        },
      ],
    },
  });
  t.match(await call('GET', '/api/v1/appointments/GetSlotsForSession', { appointmentSessionId: '4242' }), {
    status: 404,
    body: { issue: { code: 'not-found', details: { coding: { code: 'SESSION_NOT_FOUND' } } } },
  });
});

t.test('BookAppointment and CancelAppointment answer BookedAppointmentType', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const booking = {
    slotId: '100001',
    patientNumber: '9001',
    reason: 'Sore knee',
    bookedBy: '7001',
    bookingNote: 'Online',
  };
  const appointment = {
    appointmentInformation: {
      sessionId: 1001,
      slotId: 100001,
      slotDateTime: '02/02/2026 09:00',
      endDateTime: '02/02/2026 09:10',
      reason: 'Sore knee',
      bookingNotes: 'Online',
      slotTypeId: 11,
    },
    patientInforamtion: {
      patientId: 9001,
      patientNumber: 9001,
      dob: '29/02/1984',
      name: 'JONES, Alice (Mrs)',
      hasPatientWarnings: 'false',
    },
  };
  t.same(await call('GET', '/api/v1/appointments/BookAppointment', booking), {
    status: 200,
    body: appointment,
  });
  t.match(sandbox.diary.slot(100001), { status: 'Booked', patientNumber: 9001 });

  t.same(
    await call('GET', '/api/v1/appointments/BookAppointment', booking),
    {
      status: 400,
      body: errorBody(1, 'SLOT_NOT_AVAILABLE', 'conflict', 'Slot 100001 is not available (Booked)', 3),
    },
    'a slot that is not available',
  );
  t.match(await call('GET', '/api/v1/appointments/BookAppointment', { ...booking, slotId: '100003' }), {
    status: 400,
    body: { issue: { code: 'conflict', diagnostics: 'Slot 100003 is not available (Blocked)' } },
  });
  t.match(
    await call('GET', '/api/v1/appointments/BookAppointment', {
      ...booking,
      slotId: '100004',
      patientNumber: '1',
    }),
    {
      status: 404,
      body: { issue: { details: { coding: { code: 'PATIENT_NOT_FOUND' } } } },
    },
  );
  t.match(
    await call('GET', '/api/v1/appointments/BookAppointment', {
      ...booking,
      slotId: '100004',
      bookedBy: '1',
    }),
    {
      status: 400,
      body: { issue: { details: { coding: { code: 'BOOKED_BY_UNKNOWN' } } } },
    },
  );

  t.same(
    await call('GET', '/api/v1/appointments/CancelAppointment', { slotId: '100001', patientNumber: '9001' }),
    {
      status: 200,
      body: appointment,
    },
  );
  t.match(sandbox.diary.slot(100001), { status: 'Slot Available', patientNumber: null });
  t.match(
    await call('GET', '/api/v1/appointments/CancelAppointment', { slotId: '100001', patientNumber: '9001' }),
    {
      status: 404,
      body: { issue: { details: { coding: { code: 'APPOINTMENT_NOT_FOUND' } } } },
    },
  );
});

t.test('SetSlotType changes the slot type (PATCH, 204)', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  t.same(await call('PATCH', '/api/v1/appointments/SetSlotType', { slotId: '100001', slotType: '15' }), {
    status: 204,
    body: undefined,
  });
  t.equal(sandbox.diary.slot(100001)?.slotTypeId, '15');
  t.match(await call('PATCH', '/api/v1/appointments/SetSlotType', { slotId: '100001', slotType: '77' }), {
    status: 400,
    body: { issue: { details: { coding: { code: 'SLOT_TYPE_NOT_FOUND' } } } },
  });
});

t.test('SetSlotType: slotType and bookingNote are each optional', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  t.same(
    await call('PATCH', '/api/v1/appointments/SetSlotType', { slotId: '100001', bookingNote: 'Hold' }),
    { status: 204, body: undefined },
    'the booking note alone',
  );
  t.match(
    (await call('GET', '/api/v1/appointments/GetSlotsForSession', { appointmentSessionId: '1001' })).body,
    {
      slot: [{ dbid: 100001, type: { typeID: '11' }, notes: 'Hold' }],
    },
  );
  t.match(await call('PATCH', '/api/v1/appointments/SetSlotType', { slotType: '15' }), {
    status: 400,
    body: { issue: { diagnostics: 'slotId is required' } },
  });
});

t.test('SetSlotNotes replaces the slot notes and answers the slot (SlotsForSessionV2)', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const setNotes = (query: Record<string, string>) =>
    call('PATCH', '/api/v1/appointments/SetSlotNotes', query);
  t.same(await setNotes({ slotId: '100002', slotNotes: 'Prefers mornings' }), {
    status: 200,
    body: {
      dbid: 100002,
      refID: 100002,
      startTime: '09:10',
      slotLength: '10',
      type: { typeID: '11', description: 'Routine GP' },
      status: 'Booked',
      patientList: {
        patient: {
          dbid: 9001,
          refID: 9001,
          title: 'Mrs',
          firstNames: 'Alice',
          surname: 'Jones',
          fullName: 'Mrs Alice Jones',
        },
      },
      notes: 'Prefers mornings',
      reason: 'Cough',
      commentList: [],
    },
  });
  t.same(
    await setNotes({ slotId: '100001', slotNotes: '' }),
    {
      status: 200,
      body: {
        dbid: 100001,
        refID: 100001,
        startTime: '09:00',
        slotLength: '10',
        type: { typeID: '11', description: 'Routine GP' },
        status: 'Slot Available',
        notes: '',
        reason: '',
        commentList: [],
      },
    },
    'empty notes clear them',
  );
  t.match(
    await setNotes({ slotId: '100002' }),
    { status: 200, body: { notes: '' } },
    'no slotNotes: cleared',
  );
  t.same(await setNotes({ slotId: '4242', slotNotes: 'x' }), {
    status: 404,
    body: errorBody(1, 'SLOT_NOT_FOUND', 'not-found', 'No slot 4242', 3),
  });
  t.match(
    await call('GET', '/api/v1/appointments/SetSlotNotes', { slotId: '100001' }),
    { status: 404 },
    'PATCH only',
  );
});

t.test("GetPatientAppointments: the patient's appointments in a window of at most 90 days", async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.diary.addSession({
    name: 'Dr Hart PM',
    date: '2026-02-03',
    startTime: '14:00',
    endTime: '14:20',
    slotLength: 10,
    siteId: 1,
    holderIds: [501],
    slots: [
      { startTime: '14:00', slotTypeId: '11', patientNumber: 9001, status: 'Arrived', reason: 'Review' },
      { startTime: '14:10', slotTypeId: '11' },
    ],
  });
  const call = await partnerApi(sandbox);
  const appointments = (query: Record<string, string>) =>
    call('GET', '/api/v1/appointments/GetPatientAppointments', query);
  const holderList = [{ dbid: 501, refID: 501, title: 'Dr', firstNames: 'Amelia', lastName: 'Hart' }];
  t.same(await appointments({ patientNumber: '9001', startDate: '01/02/2026', endDate: '28/02/2026' }), {
    status: 200,
    body: {
      appointment: [
        {
          slotID: 100002,
          siteID: 1,
          date: '02/02/2026',
          startTime: '09:10',
          duration: '10',
          notes: '',
          reason: 'Cough',
          sessionName: 'Dr Hart AM',
          sessionDBID: 1001,
          holderList,
          status: 'Booked',
        },
        {
          slotID: 100005,
          siteID: 1,
          date: '03/02/2026',
          startTime: '14:00',
          duration: '10',
          notes: '',
          reason: 'Review',
          sessionName: 'Dr Hart PM',
          sessionDBID: 1002,
          holderList,
          status: 'Arrived',
        },
      ],
    },
  });
  t.same(
    (
      await appointments({ patientNumber: '9001', startDate: '03/02/2026', endDate: '03/02/2026' })
    ).body.appointment.map((a: { slotID: number }) => a.slotID),
    [100005],
    'dates bound the sessions',
  );
  t.same(await appointments({ patientNumber: '9001', startDate: '01/01/2026', endDate: '01/04/2026' }), {
    status: 400,
    body: errorBody(
      1,
      'DATE_RANGE_TOO_LONG',
      'invalid',
      'The maximum window to retrieve sessions is 90 days; 91 were asked for',
      3,
    ),
  });
  t.same(await appointments({ patientNumber: '1', startDate: '01/02/2026', endDate: '28/02/2026' }), {
    status: 404,
    body: errorBody(2, 'PATIENT_NOT_FOUND', 'not-found', 'No patient 1', 3),
  });
  t.match(await appointments({ startDate: '01/02/2026', endDate: '28/02/2026' }), {
    status: 400,
    body: { issue: { diagnostics: 'patientNumber is required' } },
  });
  t.match(await appointments({ patientNumber: '9001', startDate: '2026-02-01', endDate: '28/02/2026' }), {
    status: 400,
    body: { issue: { details: { coding: { code: 'INVALID_PARAMETER' } } } },
  });
});

t.test('GetOrganisation: the organisation (CDB number, ODS code), its staff and partner users', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.access.addUser({ username: 'Herouser1', userInRoleId: '7002', emisPassword: 'x' });
  const call = await partnerApi(sandbox);
  const person = (dbid: string, mnemonic: string, title: string, firstNames: string, lastName: string) => ({
    dbid,
    refID: dbid,
    guid: `00000000-0000-4000-b000-${dbid.padStart(12, '0')}`,
    mnemonic,
    title,
    firstNames,
    lastName,
    activeUser: 'true',
  });
  t.same(await call('GET', '/api/v1/organisation/GetOrganisation'), {
    status: 200,
    body: {
      organisationList: [
        {
          dbid: '50001',
          refID: '50001',
          guid: '00000000-0000-4000-b000-000000050001',
          locationName: 'Riverside Surgery',
          nationalCode: 'A81001',
        },
      ],
      userList: [
        person('501', 'AH', 'Dr', 'Amelia', 'Hart'),
        person('7001', 'HH', 'Mr', 'Hero', 'User'),
        person('7002', 'HH', 'Mr', 'Hero', 'User'),
      ],
      externalOrganisationList: [],
      externalPersonList: [],
      locationTypeList: [],
    },
  });
});

t.test('GetMatchedPatients matches "DOB firstName lastName" terms', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  const call = await partnerApi(sandbox);
  const match = (matchedTerms: string) =>
    call('GET', '/api/v1/patientMatching/GetMatchedPatients', { matchedTerms });
  t.same(await match('29/02/1984 alice JONES'), {
    status: 200,
    body: {
      patientList: [
        {
          dbid: '9001',
          refID: '9001',
          guid: '00000000-0000-4000-a000-000000009001',
          dateOfBirth: '29/02/1984',
          sex: 'F',
          familyName: 'Jones',
          callingName: 'Alice',
          firstNames: 'Alice',
          title: 'Mrs',
          nhsNumber: '9990000018',
        },
      ],
      peopleList: [],
    },
  });
  t.same(
    ((await match('01/01/1970 John Smith')).body as { patientList: { dbid: string }[] }).patientList.map(
      (p) => p.dbid,
    ),
    ['9005', '9006'],
    'a duplicate record matches twice',
  );
  t.same(
    (await match('15/07/1999 Chloe ONeill')).body.patientList.length,
    1,
    'special characters are ignored',
  );
  t.same((await match('01/01/1970 Jane Smith')).body.patientList, [], 'no match');
  t.match(await match(''), { status: 400 });
});

t.test('an unknown path answers a 404 ErrorResponse', async (t) => {
  const sandbox = await startSandbox(t);
  const response = await fetch(`${sandbox.url}/api/v1/appointments/Nope`);
  t.equal(response.status, 404);
  t.same(
    await response.json(),
    errorBody(1, 'ROUTE_NOT_FOUND', 'not-supported', 'No operation GET /api/v1/appointments/Nope', 3),
  );
});

t.test('control surface: seed, reception, diary, set-up, faults, calls', async (t) => {
  const sandbox = await startSandbox(t);
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  t.equal((await control('POST', '/seed', SMALL_DIARY)).status, 204);
  t.equal((await control('POST', '/reception/book', { slotId: 100001, patientNumber: 9001 })).status, 204);
  t.equal((await control('POST', '/reception/move', { fromSlotId: 100002, toSlotId: 100004 })).status, 204);
  t.equal((await control('POST', '/reception/cancel', { slotId: 100001 })).status, 204);
  t.equal(
    (await control('POST', '/reception/slot-status', { slotId: 100001, status: 'Embargoed' })).status,
    204,
  );
  t.equal(
    (await control('POST', '/reception/slot-status', { slotId: 100004, status: 'Arrived' })).status,
    204,
  );
  t.same(await control('GET', '/diary?date=2026-02-02'), {
    status: 200,
    body: {
      date: '2026-02-02',
      sessions: [
        {
          sessionId: 1001,
          name: 'Dr Hart AM',
          date: '2026-02-02',
          startTime: '09:00',
          endTime: '09:40',
          siteId: 1,
          holderIds: [501],
          slots: [
            {
              slotId: 100001,
              startTime: '09:00',
              slotLength: 10,
              slotTypeId: '11',
              status: 'Embargoed',
              patientNumber: null,
            },
            {
              slotId: 100002,
              startTime: '09:10',
              slotLength: 10,
              slotTypeId: '11',
              status: 'Slot Available',
              patientNumber: null,
            },
            {
              slotId: 100003,
              startTime: '09:20',
              slotLength: 10,
              slotTypeId: '11',
              status: 'Blocked',
              patientNumber: null,
            },
            {
              slotId: 100004,
              startTime: '09:30',
              slotLength: 10,
              slotTypeId: '15',
              status: 'Arrived',
              patientNumber: 9001,
            },
          ],
        },
      ],
    },
  });
  t.match(await control('POST', '/reception/book', { slotId: 100003, patientNumber: 9001 }), {
    status: 400,
    body: { issue: { details: { coding: { code: 'SLOT_NOT_AVAILABLE' } } } },
  });

  t.match(await control('PATCH', '/setup', { applicationActivated: false, odsCode: 'A81002' }), {
    status: 200,
    body: { applicationActivated: false, odsCode: 'A81002', cdbNumber: '50001' },
  });
  t.match(await control('GET', '/setup'), { status: 200, body: { applicationActivated: false } });
  t.match(await control('PATCH', '/setup', { applicationActivated: 'yes' }), { status: 400 });
  t.match(
    await control('PATCH', '/setup', { allowLogin: false }),
    { status: 400 },
    'Login Access is per user',
  );
  await control('PATCH', '/setup', { applicationActivated: true });

  t.same(
    await control('POST', '/partner-users', {
      username: 'Herouser1',
      userInRoleId: '7002',
      emisPassword: 'second-login',
    }),
    {
      status: 201,
      body: {
        username: 'Herouser1',
        userInRoleId: '7002',
        title: 'Mr',
        firstNames: 'Hero',
        lastName: 'User',
        mnemonic: 'HH',
        emisPassword: 'second-login',
        apiPassword: null,
        autoLogin: false,
        allowLogin: false,
        passwordExpired: false,
      },
    },
  );
  t.match(await control('PATCH', '/partner-users/Herouser1', { apiPassword: 'x', allowLogin: true }), {
    status: 200,
    body: { username: 'Herouser1', apiPassword: 'x', allowLogin: true, autoLogin: false },
  });
  t.match(await control('PATCH', '/partner-users/Herouser1', { userInRoleId: '1' }), { status: 400 });
  t.match(await control('PATCH', '/partner-users/Nobody', { allowLogin: true }), {
    status: 400,
    body: { issue: { diagnostics: 'No partner user Nobody' } },
  });
  t.same(
    (await control('GET', '/setup')).body.partnerUsers.map((u: { username: string }) => u.username),
    ['Herouser', 'Herouser1'],
  );
  t.equal((await control('DELETE', '/partner-users/Herouser1')).status, 204);
  t.equal((await control('GET', '/setup')).body.partnerUsers.length, 1);

  const unregistered = {
    id: '14',
    description: 'Hero unregistered patient',
    display: 'Unreg',
    bookable: true,
    emisAccess: false,
  };
  t.same(await control('POST', '/slot-types', unregistered), { status: 201, body: unregistered });
  t.same(await control('PATCH', '/slot-types/14', { emisAccess: true }), {
    status: 200,
    body: { ...unregistered, emisAccess: true },
  });
  t.match(await control('POST', '/slot-types', unregistered), {
    status: 400,
    body: { issue: { diagnostics: 'Slot type 14 already exists' } },
  });
  t.match(await control('DELETE', '/slot-types/11'), {
    status: 400,
    body: { issue: { diagnostics: 'Slot type 11 is in use by slots' } },
  });
  t.equal((await control('DELETE', '/slot-types/14')).status, 204);
  t.match(await control('PATCH', '/slot-types/14', { bookable: false }), {
    status: 400,
    body: { issue: { details: { coding: { code: 'SLOT_TYPE_NOT_FOUND' } } } },
  });

  t.equal(
    (await control('POST', '/faults', { operation: 'GetAppointmentSessions', kind: 'error', status: 503 }))
      .status,
    204,
  );
  const call = await partnerApi(sandbox);
  t.match(await call('GET', SESSIONS, { startDate: '02/02/2026', endDate: '02/02/2026' }), {
    status: 503,
    body: { issue: { code: 'transient', details: { coding: { code: 'SERVICE_UNAVAILABLE' } } } },
  });
  t.equal(
    (await call('GET', SESSIONS, { startDate: '02/02/2026', endDate: '02/02/2026' })).status,
    200,
    'used up',
  );
  t.same(await control('GET', '/calls'), {
    status: 200,
    body: {
      calls: [
        { operation: 'Token', statusCode: 200, fault: null },
        { operation: 'GetAppointmentSessions', statusCode: 503, fault: 'error' },
        { operation: 'GetAppointmentSessions', statusCode: 200, fault: null },
      ],
    },
  });

  t.equal((await control('DELETE', '/sessions/1001')).status, 204);
  t.same((await control('GET', '/diary?date=2026-02-02')).body.sessions, []);
  t.equal((await control('POST', '/seed-demo', { days: 7, from: '2026-02-02' })).status, 204);
  t.equal(
    (await control('GET', '/diary?date=2026-02-02')).body.sessions.length,
    4,
    'a Monday of the demo practice',
  );
  t.equal(
    (await control('GET', '/diary?date=2026-02-07')).body.sessions.length,
    0,
    'no sessions on Saturdays',
  );
  t.equal((await control('POST', '/reset')).status, 204);
  t.same((await control('GET', '/calls')).body, { calls: [] });
});

t.test('the demo diary is the same for the same options', async (t) => {
  const first = await startSandbox(t, { demo: { days: 14, from: '2026-03-23', seed: 7 } });
  const second = await startSandbox(t, { demo: { days: 14, from: '2026-03-23', seed: 7 } });
  const days = ['2026-03-23', '2026-03-25', '2026-04-03'];
  t.same(
    days.map((d) => second.diary.day(d)),
    days.map((d) => first.diary.day(d)),
  );
  const statuses = new Set(first.diary.day('2026-03-25').flatMap((s) => s.slots.map((slot) => slot.status)));
  t.ok(statuses.has('Booked') && statuses.has('Slot Available'), 'some slots booked, some free');
  const types = new Set(first.diary.day('2026-03-25').flatMap((s) => s.slots.map((slot) => slot.slotTypeId)));
  t.same([...types].sort(), ['11', '12', '13', '15'], 'a Wednesday has the baby clinic');
});

t.test('a lost answer: BookAppointment is carried out, then its connection is dropped', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const booking = { slotId: '100001', patientNumber: '9001', reason: 'Sore knee', bookedBy: '7001' };
  const control = await fetch(`${sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation: 'BookAppointment', kind: 'lost-answer', after: 'drop' }),
  });
  t.equal(control.status, 204);
  await t.rejects(call('GET', '/api/v1/appointments/BookAppointment', booking), 'no answer arrives');
  t.match(sandbox.diary.slot(100001), { status: 'Booked', patientNumber: 9001 }, 'yet the write landed');
  t.same(sandbox.diary.appointmentsBooked, [{ slotId: 100001, patientNumber: 9001 }]);
  t.match(sandbox.calls.at(-1), { operation: 'BookAppointment', fault: 'lost-answer' });
});

t.test('chaos: a seeded share of calls fails, the same calls for the same seed', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const call = await partnerApi(sandbox);
  const run = async () => {
    sandbox.calls.length = 0;
    const chaos = await fetch(`${sandbox.url}/_sandbox/chaos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rate: 0.5,
        seed: 7,
        faults: [{ kind: 'error', status: 503 }],
        operations: ['GetAppointmentSessions'],
      }),
    });
    t.equal(chaos.status, 204);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await call('GET', SESSIONS, { startDate: '02/02/2026', endDate: '02/02/2026' })).status);
    }
    return statuses;
  };
  const first = await run();
  const failed = first.filter((s) => s === 503).length;
  t.ok(failed > 5 && failed < 35, `${failed} of 40 failed`);
  t.same(
    first.filter((s) => s !== 503 && s !== 200),
    [],
    'the others answered',
  );
  t.same(await run(), first, 'the same seed fails the same calls');
  sandbox.faults.clear();
  t.equal((await call('GET', SESSIONS, { startDate: '02/02/2026', endDate: '02/02/2026' })).status, 200);
});
