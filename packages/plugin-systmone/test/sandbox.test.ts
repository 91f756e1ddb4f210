/**
 * The sandbox over raw TCP, as the Client Integration API is described: one XML document per
 * request and per reply, each followed by `<EOF>`; several requests on one connection; every
 * function; the set-up refusals as ErrorMessages; a closed SystmOne that answers nothing; the
 * gateway offline; faults; the HTTP control surface.
 */
import { connect } from 'node:net';
import t from 'tap';
import { decodeDocument, encodeDocument, textOf, type XmlObject } from '../src/client-integration-api.ts';
import type { SystmOneSandbox } from '../src/sandbox/index.ts';
import { rawExchange, SMALL_DIARY, startSandbox } from './fixtures.ts';

function request(
  sandbox: SystmOneSandbox,
  fn: string,
  parameters: object | '',
  overrides: object = {},
): Buffer {
  const { apiKey, deviceId } = sandbox.setup;
  return encodeDocument('ClientIntegrationRequest', {
    RequestUID: `uid-${fn}`,
    APIKey: apiKey,
    DeviceID: deviceId,
    DeviceVersion: '1.0',
    Function: fn,
    FunctionVersion: '1.0',
    FunctionParameters: parameters,
    ...overrides,
  });
}

/** One request on its own connection; the reply's ClientIntegrationResponse content. */
async function ask(sandbox: SystmOneSandbox, bytes: Buffer): Promise<XmlObject> {
  const { documents } = await rawExchange(sandbox.port, bytes, 1);
  t.equal(documents.length, 1, 'one reply');
  const decoded = decodeDocument(documents[0]!);
  if ('invalid' in decoded || decoded.root !== 'ClientIntegrationResponse') throw new Error(documents[0]);
  return decoded.body as XmlObject;
}

const SLOTS_FEB_2_3 = { MinDateTime: '2026-02-02T00:00:00', MaxDateTime: '2026-02-03T23:59:59' };

t.test(
  'GetAppointmentSlots lists free slots of third-party-bookable types, by clinic, in wall-clock time',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seed(SMALL_DIARY);
    t.same(await ask(sandbox, request(sandbox, 'GetAppointmentSlots', SLOTS_FEB_2_3)), {
      RequestUID: 'uid-GetAppointmentSlots',
      Function: 'GetAppointmentSlots',
      Response: {
        Clinic: [
          {
            UserName: 'AHart',
            SiteName: 'Riverside Surgery',
            ClinicType: 'GP Clinic',
            Slot: [
              { SlotType: 'Routine GP', DateTimeStart: '2026-02-02T09:00:00', Duration: '10' },
              { SlotType: 'Telephone Consultation', DateTimeStart: '2026-02-02T09:40:00', Duration: '15' },
            ],
          },
          {
            UserName: 'AHart',
            SiteName: 'Hillview Branch Surgery',
            ClinicType: 'GP Clinic',
            Slot: [{ SlotType: 'Routine GP', DateTimeStart: '2026-02-03T14:00:00', Duration: '10' }],
          },
        ],
      },
    });
    const bothEnds = { MinDateTime: '2026-02-02T09:00:00', MaxDateTime: '2026-02-02T09:40:00' };
    const reply = await ask(sandbox, request(sandbox, 'GetAppointmentSlots', bothEnds));
    t.same(
      (reply.Response as { Clinic: { Slot: unknown[] }[] }).Clinic.map((c) => c.Slot.length),
      [2],
      'both ends included',
    );
    const none = { MinDateTime: '2026-03-01T00:00:00', MaxDateTime: '2026-03-01T23:59:59' };
    t.same(
      (await ask(sandbox, request(sandbox, 'GetAppointmentSlots', none))).Response,
      '',
      'an empty Response',
    );
    t.match(
      await ask(sandbox, request(sandbox, 'GetAppointmentSlots', { MinDateTime: '02/02/2026 00:00' })),
      { ErrorMessage: 'Invalid function parameters: MinDateTime is not yyyy-MM-ddTHH:mm:ss' },
    );
  },
);

t.test('GetOrganisation lists users, sites and slot types with their third-party flag', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  t.same((await ask(sandbox, request(sandbox, 'GetOrganisation', ''))).Response, {
    Organisation: {
      OrganisationName: 'Riverside Medical Practice',
      ODSCode: 'A81001',
      User: [
        { UserName: 'AHart', FullName: 'Dr Amelia Hart', Role: 'GP' },
        { UserName: 'HeroGateway', FullName: 'Hero Gateway', Role: 'Integration' },
      ],
      Site: [{ SiteName: 'Riverside Surgery' }, { SiteName: 'Hillview Branch Surgery' }],
      SlotType: [
        { Name: 'Routine GP', BookableByThirdParties: 'true' },
        { Name: 'Telephone Consultation', BookableByThirdParties: 'true' },
        { Name: 'Baby Clinic', BookableByThirdParties: 'false' },
      ],
    },
  });
});

t.test('PatientSearch needs two criteria and matches every one given', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  t.same(await ask(sandbox, request(sandbox, 'PatientSearch', { Surname: 'Jones' })), {
    RequestUID: 'uid-PatientSearch',
    Function: 'PatientSearch',
    ErrorMessage: 'PatientSearch needs at least two search criteria',
  });
  t.same(
    (await ask(sandbox, request(sandbox, 'PatientSearch', { Surname: 'JONES', DateOfBirth: '1984-02-29' })))
      .Response,
    {
      Patient: [
        {
          NHSNumber: '9990000018',
          Title: 'Mrs',
          FirstName: 'Alice',
          Surname: 'Jones',
          DateOfBirth: '1984-02-29',
        },
      ],
    },
  );
  t.same(
    (
      await ask(
        sandbox,
        request(sandbox, 'PatientSearch', { NHSNumber: '9990000018', DateOfBirth: '1999-01-01' }),
      )
    ).Response,
    '',
  );
  t.match(await ask(sandbox, request(sandbox, 'PatientSearch', { Postcode: 'AB1 2CD', Surname: 'Jones' })), {
    ErrorMessage: 'Invalid function parameters: Postcode is not a PatientSearch criterion',
  });
});

t.test('UpdatePatientRecord books a slot by NHS number and cancels by AppointmentUID', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const appointment = (slot: object) => ({
    NHSNumber: '9990000018',
    NonClinical: {
      Appointment: {
        Comments: 'Sore knee',
        Clinic: { UserName: 'AHart', SiteName: 'Riverside Surgery', ClinicType: 'GP Clinic', Slot: slot },
      },
    },
  });
  const nineOClock = { SlotType: 'Routine GP', DateTimeStart: '2026-02-02T09:00:00', Duration: '10' };
  const booked = await ask(sandbox, request(sandbox, 'UpdatePatientRecord', appointment(nineOClock)));
  const uid = '5e1a0000-0000-4000-8000-000000000002'; // 1 is the seeded reception booking
  t.same(booked, {
    RequestUID: 'uid-UpdatePatientRecord',
    Function: 'UpdatePatientRecord',
    Response: { AppointmentUID: uid },
  });
  t.same(sandbox.diary.appointment(uid), {
    appointmentUid: uid,
    nhsNumber: '9990000018',
    slotRef: 1,
    status: 'Booked',
    comments: 'Sore knee',
    bookedBy: 'api',
  });
  t.match(sandbox.diary.slot(1), { state: 'booked', appointmentUid: uid, nhsNumber: '9990000018' });

  const again = request(sandbox, 'UpdatePatientRecord', appointment(nineOClock), { RequestUID: 'another' });
  t.match(await ask(sandbox, again), { ErrorMessage: 'The slot is not available' }, 'taken');
  t.same(
    await ask(sandbox, request(sandbox, 'UpdatePatientRecord', appointment(nineOClock))),
    booked,
    'a repeated RequestUID is answered as before',
  );
  t.equal(sandbox.diary.appointments().length, 2, 'and not booked twice');

  const refusals: [object, string][] = [
    [{ ...nineOClock, DateTimeStart: '2026-02-02T09:20:00' }, 'The slot is not available'], // blocked
    [{ ...nineOClock, DateTimeStart: '2026-02-02T09:10:00' }, 'The slot is not available'], // booked
    [{ ...nineOClock, Duration: '15' }, 'The slot is not available'], // no such slot
    [
      { ...nineOClock, SlotType: 'Baby Clinic', DateTimeStart: '2026-02-02T09:30:00' },
      'Slot type Baby Clinic cannot be booked by third parties',
    ],
  ];
  for (const [slot, message] of refusals) {
    const bytes = request(sandbox, 'UpdatePatientRecord', appointment(slot), {
      RequestUID: JSON.stringify(slot),
    });
    t.match(await ask(sandbox, bytes), { ErrorMessage: message }, message);
  }
  const unknownPatient = { ...appointment(nineOClock), NHSNumber: '9990000042' };
  t.match(await ask(sandbox, request(sandbox, 'UpdatePatientRecord', unknownPatient, { RequestUID: 'u' })), {
    ErrorMessage: 'No patient with that NHS number',
  });

  const cancel = (nhsNumber: string, requestUid: string) =>
    request(
      sandbox,
      'UpdatePatientRecord',
      {
        NHSNumber: nhsNumber,
        NonClinical: { AppointmentStatus: { AppointmentUID: uid, Status: 'Cancelled', Comments: '' } },
      },
      { RequestUID: requestUid },
    );
  t.match(await ask(sandbox, cancel('9990000026', 'c0')), {
    ErrorMessage: `Appointment ${uid} not found for this patient`,
  });
  t.same((await ask(sandbox, cancel('9990000018', 'c1'))).Response, {
    AppointmentUID: uid,
    Status: 'Cancelled',
  });
  t.match(sandbox.diary.slot(1), { state: 'free', appointmentUid: null });
  t.match(await ask(sandbox, cancel('9990000018', 'c2')), {
    ErrorMessage: `Appointment ${uid} is already cancelled`,
  });
});

t.test('several requests on one connection are answered in order, each with its own <EOF>', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'latency', latencyMs: 50 });
  const bytes = Buffer.concat([
    request(sandbox, 'GetOrganisation', ''),
    request(sandbox, 'GetAppointmentSlots', SLOTS_FEB_2_3),
    request(sandbox, 'PatientSearch', { Surname: 'Khan', DateOfBirth: '1957-11-03' }),
  ]);
  // Written a few bytes at a time, as a slow network would.
  const socket = connect({ host: '127.0.0.1', port: sandbox.port });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await new Promise((resolve) => socket.once('connect', resolve));
  for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
  await new Promise<void>((resolve) => {
    const check = () =>
      Buffer.concat(received).toString().split('<EOF>').length > 3 ? resolve() : setTimeout(check, 10);
    check();
  });
  socket.destroy();
  const replies = Buffer.concat(received).toString().split('<EOF>');
  t.same(replies.pop(), '', 'the stream ends with a terminator');
  t.same(
    replies.map((reply) => textOf((decodeDocument(reply) as { body: XmlObject }).body, 'Function')),
    ['GetOrganisation', 'GetAppointmentSlots', 'PatientSearch'],
  );
});

t.test(
  'the set-up is checked in order: envelope, API key, device ID, the logged-in user approval, function',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seed(SMALL_DIARY);
    const error = async (bytes: Buffer) => (await ask(sandbox, bytes)).ErrorMessage;
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '', { FunctionVersion: '' })),
      'The request is not a valid ClientIntegrationRequest: FunctionVersion is required',
    );
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '', { APIKey: 'nope' })),
      'The API key is not recognised',
    );
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '', { DeviceID: 'nope' })),
      'The device ID is not registered for this API key',
    );
    sandbox.setDeviceApproved('HeroGateway', false);
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '')),
      'The device SLOTBRIDGE-0001 has not been approved by HeroGateway',
    );
    sandbox.setDeviceApproved('HeroGateway', true);
    sandbox.updateSetup({ loggedInUser: 'Nobody' });
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '')),
      'The device SLOTBRIDGE-0001 has not been approved by Nobody',
      'a user the organisation does not have has approved nothing',
    );
    sandbox.updateSetup({ loggedInUser: 'AHart' });
    t.equal(await error(request(sandbox, 'GetOrganisation', '')), undefined, 'an approved user works');
    t.equal(
      await error(request(sandbox, 'BookAppointment', '')),
      'Function BookAppointment is not supported',
    );
    t.equal(
      await error(request(sandbox, 'GetOrganisation', '', { FunctionVersion: '2.0' })),
      'Function version 2.0 of GetOrganisation is not supported',
    );
    const { documents } = await rawExchange(sandbox.port, '<ClientIntegrationRequest><EOF>', 1);
    t.same(decodeDocument(documents[0]!), {
      root: 'ClientIntegrationResponse',
      body: {
        RequestUID: '',
        Function: '',
        ErrorMessage:
          "The request is not a valid ClientIntegrationRequest: Unclosed tag 'ClientIntegrationRequest'.",
      },
    });
  },
);

t.test('a closed or logged-out SystmOne accepts the connection and answers nothing', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  for (const state of ['closed', 'logged-out'] as const) {
    sandbox.setClientState(state);
    const { documents, closedByServer } = await rawExchange(
      sandbox.port,
      request(sandbox, 'GetOrganisation', ''),
      1,
      300,
    );
    t.same({ documents, closedByServer }, { documents: [], closedByServer: false }, state);
  }
  t.same(
    sandbox.calls.map((c) => c.outcome),
    ['no-answer', 'no-answer'],
  );
  sandbox.setClientState('running');
  t.match(await ask(sandbox, request(sandbox, 'GetOrganisation', '')), { Response: { Organisation: {} } });
});

t.test('the gateway offline refuses connections, and comes back on the same port', async (t) => {
  const sandbox = await startSandbox(t);
  const port = sandbox.port;
  await sandbox.setGatewayOnline(false);
  await t.rejects(rawExchange(port, request(sandbox, 'GetOrganisation', ''), 1), { code: 'ECONNREFUSED' });
  await sandbox.setGatewayOnline(true);
  t.equal(sandbox.port, port);
  t.match(await ask(sandbox, request(sandbox, 'GetOrganisation', '')), { Function: 'GetOrganisation' });
});

t.test('faults: error replies, drops, garbage, chunked answers, and the call log', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'error' });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'error', message: 'SystmOne is busy' });
  t.equal(
    (await ask(sandbox, request(sandbox, 'GetOrganisation', ''))).ErrorMessage,
    'An internal error occurred',
  );
  t.equal((await ask(sandbox, request(sandbox, 'GetOrganisation', ''))).ErrorMessage, 'SystmOne is busy');

  sandbox.faults.add({ function: '*', kind: 'drop' });
  t.same(await rawExchange(sandbox.port, request(sandbox, 'GetOrganisation', ''), 1), {
    documents: [],
    closedByServer: true,
  });
  sandbox.faults.add({ function: 'GetOrganisation', kind: 'garbage' });
  t.same((await rawExchange(sandbox.port, request(sandbox, 'GetOrganisation', ''), 1)).documents, [
    'not xml',
  ]);

  sandbox.faults.add({ function: 'GetAppointmentSlots', kind: 'chunked', chunkBytes: 16, gapMs: 2 });
  const chunks: Buffer[] = [];
  const socket = connect({ host: '127.0.0.1', port: sandbox.port });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(request(sandbox, 'GetAppointmentSlots', SLOTS_FEB_2_3));
  await new Promise((resolve) => setTimeout(resolve, 400));
  socket.destroy();
  // TCP may join two writes on the way; most arrive apart.
  t.ok(chunks.length > 10, `${chunks.length} chunks`);
  const whole = Buffer.concat(chunks).toString();
  t.match(decodeDocument(whole.slice(0, -'<EOF>'.length)), { body: { Response: { Clinic: [{}, {}] } } });

  t.same(
    sandbox.calls.map(({ function: fn, outcome, fault }) => [fn, outcome, fault]),
    [
      ['GetOrganisation', 'error', 'error'],
      ['GetOrganisation', 'error', 'error'],
      ['GetOrganisation', 'dropped', 'drop'],
      ['GetOrganisation', 'garbage', 'garbage'],
      ['GetAppointmentSlots', 'response', 'chunked'],
    ],
  );
  t.throws(() => sandbox.faults.add({ function: '*', kind: 'chunked', chunkBytes: 0 }), {
    code: 'INVALID_PARAMETERS',
  });
});

t.test('reception books, moves, blocks and cancels; the API sees it', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_DIARY);
  const freeStarts = async () => {
    const reply = await ask(sandbox, request(sandbox, 'GetAppointmentSlots', SLOTS_FEB_2_3));
    return (
      (reply.Response || { Clinic: [] }) as { Clinic: { Slot: { DateTimeStart: string }[] }[] }
    ).Clinic.flatMap((c) => c.Slot.map((s) => s.DateTimeStart));
  };
  t.same(await freeStarts(), ['2026-02-02T09:00:00', '2026-02-02T09:40:00', '2026-02-03T14:00:00']);
  const uid = sandbox.diary.receptionBook(1, '9990000018');
  sandbox.diary.setSlotBlocked(6, true);
  t.same(await freeStarts(), ['2026-02-02T09:40:00']);
  sandbox.diary.moveAppointment(uid, 5);
  sandbox.diary.setSlotBlocked(6, false);
  t.same(await freeStarts(), ['2026-02-02T09:00:00', '2026-02-03T14:00:00']);
  sandbox.diary.setAppointmentStatus(uid, 'Arrived');
  t.throws(() => sandbox.diary.receptionCancel(uid), {
    code: 'APPOINTMENT_IN_PROGRESS',
    message: `Appointment ${uid} cannot be cancelled: it is Arrived`,
  });
  sandbox.diary.setAppointmentStatus(uid, 'Booked');
  sandbox.diary.receptionCancel(uid);
  sandbox.setSlotTypeBookable('Baby Clinic', true);
  t.same(await freeStarts(), [
    '2026-02-02T09:00:00',
    '2026-02-02T09:30:00',
    '2026-02-02T09:40:00',
    '2026-02-03T14:00:00',
  ]);
  t.throws(() => sandbox.diary.receptionBook(3, '9990000018'), { code: 'SLOT_NOT_AVAILABLE' }, 'blocked');
  t.throws(() => sandbox.diary.receptionBook(99, '9990000018'), { code: 'SLOT_NOT_FOUND' });
});

t.test('the demo practice', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 7, from: '2026-02-02' } });
  const monday = sandbox.diary.day('2026-02-02');
  t.same(
    monday.map((c) => `${c.userName} ${c.clinicType} @ ${c.siteName}`),
    [
      'SBrown Phlebotomy Clinic @ Hillview Branch Surgery',
      'AHart GP Clinic @ Riverside Surgery',
      'RPatel GP Clinic @ Hillview Branch Surgery',
      'GOkafor Nurse Clinic @ Riverside Surgery',
      'AHart GP Clinic @ Riverside Surgery',
    ],
  );
  t.same(sandbox.diary.day('2026-02-07'), [], 'Saturday is empty');
  const slots = [2, 3, 4, 5, 6].flatMap((d) => sandbox.diary.day(`2026-02-0${d}`)).flatMap((c) => c.slots);
  const states = new Set(slots.map((s) => s.state));
  t.same([...states].sort(), ['blocked', 'booked', 'free']);
  t.ok(slots.some((s) => s.slotType === 'Unregistered Patient (Online)'));
  t.ok(slots.some((s) => s.slotType === 'Baby Clinic'));
  const again = await startSandbox(t, { demo: { days: 7, from: '2026-02-02' } });
  t.same(
    again.diary.day('2026-02-04'),
    sandbox.diary.day('2026-02-04'),
    'the same options build the same diary',
  );
});

t.test('the HTTP control surface', async (t) => {
  const sandbox = await startSandbox(t);
  const base = await sandbox.listenControl();
  const call = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  t.same(await call('POST', '/_sandbox/seed', SMALL_DIARY), { status: 204, body: undefined });
  t.same(await call('POST', '/_sandbox/reception/book', { slotRef: 1, nhsNumber: '9990000018' }), {
    status: 201,
    body: { appointmentUid: '5e1a0000-0000-4000-8000-000000000002' },
  });
  t.same(await call('POST', '/_sandbox/reception/book', { slotRef: 1, nhsNumber: '9990000018' }), {
    status: 409,
    body: { code: 'SLOT_NOT_AVAILABLE', message: 'The slot is not available' },
  });
  t.match(await call('GET', '/_sandbox/diary?date=2026-02-02'), {
    status: 200,
    body: { date: '2026-02-02', clinics: [{ clinicRef: 1, slots: [{ slotRef: 1, state: 'booked' }] }] },
  });
  t.same(await call('PATCH', '/_sandbox/setup', { clientState: 'closed' }), {
    status: 200,
    body: { ...sandbox.setup, clientState: 'closed' },
  });
  t.same(await call('POST', '/_sandbox/setup/device-approval', { userName: 'Nobody', approved: true }), {
    status: 404,
    body: { code: 'USER_NOT_FOUND', message: 'No user Nobody' },
  });
  t.same(
    await call('POST', '/_sandbox/setup/slot-type-bookable', { slotType: 'Baby Clinic', bookable: true }),
    {
      status: 204,
      body: undefined,
    },
  );
  t.same(await call('POST', '/_sandbox/faults', { function: '*', kind: 'hang', times: 'always' }), {
    status: 204,
    body: undefined,
  });
  t.match(await call('POST', '/_sandbox/faults', { function: '*', kind: 'explode' }), {
    status: 400,
    body: { code: 'INVALID_BODY' },
  });
  t.same(await call('POST', '/_sandbox/gateway', { online: false }), { status: 204, body: undefined });
  t.same(await call('POST', '/_sandbox/reset'), { status: 204, body: undefined });
  t.same(await call('GET', '/_sandbox/calls'), { status: 200, body: { calls: [] } });
  t.equal(sandbox.setup.clientState, 'running', 'reset restores the set-up');
  t.match(
    await ask(sandbox, request(sandbox, 'GetOrganisation', '')),
    { Function: 'GetOrganisation' },
    'and the gateway',
  );
});
