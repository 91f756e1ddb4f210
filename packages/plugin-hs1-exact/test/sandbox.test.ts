/**
 * The sandbox over raw HTTP: the modelled cloud API (slug + key, relaying to a practice server
 * that can be offline, the schedule window, appointments Pending → Confirmed, idempotent by
 * externalRef) and the control surface (reception, Web Setup, Online Booking Configuration,
 * account, clock, faults, call log, demo).
 */
import t from 'tap';
import { SMALL_PRACTICE, startSandbox } from './fixtures.ts';

async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; apiKey?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

const KEY = 'hs1-sandbox-api-key';
const PRACTICE = '/v1/practices/harbourside-dental';

const BOOKING = {
  providerId: 'DR01',
  reasonId: 'R01',
  date: '2026-02-02',
  startTime: '10:00',
  patient: { firstName: 'Mia', lastName: 'Nguyen', dateOfBirth: '1995-01-30' },
  note: 'Online booking',
  externalRef: 'booking-1',
};

t.test('authentication: the slug names the practice, the key must be its key', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_PRACTICE);
  const base = sandbox.url;
  t.same(await call(base, 'GET', '/v1/practices/nowhere', { apiKey: KEY }), {
    status: 404,
    body: { error: { code: 'PRACTICE_NOT_FOUND', message: 'No practice has the slug "nowhere"' } },
  });
  t.same(await call(base, 'GET', PRACTICE), {
    status: 401,
    body: { error: { code: 'API_KEY_MISSING', message: 'The x-api-key header is required' } },
  });
  t.same(await call(base, 'GET', `${PRACTICE}/online-booking/setup`, { apiKey: 'nope' }), {
    status: 401,
    body: { error: { code: 'API_KEY_INVALID', message: 'The API key is not valid for this practice' } },
  });
  t.same(await call(base, 'GET', PRACTICE, { apiKey: KEY }), {
    status: 200,
    body: {
      slug: 'harbourside-dental',
      practiceId: '1001',
      name: 'Harbourside Dental',
      practiceServer: { status: 'online' },
    },
  });
});

t.test('the practice server offline: relayed calls answer 502, the cloud itself still answers', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_PRACTICE);
  const patch = await call(sandbox.url, 'PATCH', '/_sandbox/account', {
    body: { practiceServerOnline: false },
  });
  t.same(patch.body, { slug: 'harbourside-dental', apiKey: KEY, practiceServerOnline: false });
  t.same(await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, { apiKey: KEY, body: BOOKING }), {
    status: 502,
    body: {
      error: {
        code: 'PRACTICE_SERVER_OFFLINE',
        message: "The practice's Exact server is offline: the cloud could not relay the request",
      },
    },
  });
  t.match(await call(sandbox.url, 'GET', PRACTICE, { apiKey: KEY }), {
    status: 200,
    body: { practiceServer: { status: 'offline' } },
  });
  t.same(
    sandbox.practiceServer.appointments().filter((a) => a.source === 'online'),
    [],
  );
});

t.test('the set-up and the schedule, at most 31 days at a time', async (t) => {
  const sandbox = await startSandbox(t, { now: new Date('2026-02-01T20:00:00Z') });
  sandbox.seed(SMALL_PRACTICE);
  const setup = await call(sandbox.url, 'GET', `${PRACTICE}/online-booking/setup`, { apiKey: KEY });
  t.match(setup, {
    status: 200,
    body: {
      serverTime: '2026-02-02T07:00:00',
      practice: { id: '1001', name: 'Harbourside Dental' },
      appointmentStacking: false,
      providers: [
        { id: 'DR01', role: 'Dentist' },
        { id: 'HY01', role: 'Hygienist' },
      ],
    },
  });
  t.notOk(
    'workingHours' in (setup.body as { providers: object[] }).providers[0]!,
    'working hours come with the schedule',
  );

  const schedule = await call(sandbox.url, 'GET', `${PRACTICE}/schedule?from=2026-02-02&to=2026-02-03`, {
    apiKey: KEY,
  });
  t.match(schedule, {
    status: 200,
    body: {
      from: '2026-02-02',
      to: '2026-02-03',
      workingDays: [
        {
          providerId: 'DR01',
          date: '2026-02-02',
          start: '08:00',
          end: '17:00',
          breaks: [{ start: '12:00', end: '13:00' }],
        },
        { providerId: 'HY01', date: '2026-02-02' },
        { providerId: 'DR01', date: '2026-02-03' },
      ],
      clinics: [{ providerId: 'HY01', name: 'Online hygiene' }],
    },
  });
  t.same((schedule.body as { appointments: object[] }).appointments[2], {
    id: 'AP50003',
    providerId: 'DR01',
    date: '2026-02-02',
    startTime: '14:00',
    durationMinutes: 60,
    reasonId: 'R02',
    status: 'Cancelled',
  });
  t.same(
    await call(sandbox.url, 'GET', `${PRACTICE}/schedule?from=2026-02-01&to=2026-03-04`, { apiKey: KEY }),
    {
      status: 400,
      body: {
        error: {
          code: 'DATE_RANGE_TOO_LONG',
          message: 'The schedule is read at most 31 days at a time; 32 were asked for',
        },
      },
    },
  );
});

t.test(
  'an online booking: Pending, then Confirmed; the same externalRef answers the same appointment',
  async (t) => {
    const sandbox = await startSandbox(t);
    sandbox.seed(SMALL_PRACTICE);
    const created = await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, {
      apiKey: KEY,
      body: BOOKING,
    });
    const appointment = {
      id: 'AP50006',
      providerId: 'DR01',
      date: '2026-02-02',
      startTime: '10:00',
      durationMinutes: 30,
      reasonId: 'R01',
      status: 'Pending',
      externalRef: 'booking-1',
      patientId: 'PT7001',
    };
    t.same(created, { status: 201, body: appointment });
    t.same(await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, { apiKey: KEY, body: BOOKING }), {
      status: 200,
      body: appointment,
    });
    t.same(await call(sandbox.url, 'POST', `${PRACTICE}/appointments/AP50006/confirm`, { apiKey: KEY }), {
      status: 200,
      body: { ...appointment, status: 'Confirmed' },
    });
    t.match(await call(sandbox.url, 'GET', '/_sandbox/appointments/AP50006'), {
      status: 200,
      body: { statusHistory: ['Pending', 'Confirmed'], source: 'online', note: 'Online booking' },
    });

    t.same(
      await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, {
        apiKey: KEY,
        body: { ...BOOKING, externalRef: 'booking-2', startTime: '10:15' },
      }),
      {
        status: 409,
        body: {
          error: {
            code: 'TIME_NOT_AVAILABLE',
            message: '2026-02-02 10:15 for 30 minutes is not free for online booking',
          },
        },
      },
    );
    t.match(
      await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, {
        apiKey: KEY,
        body: { ...BOOKING, externalRef: 'booking-3', providerId: 'HY01', startTime: '11:00' },
      }),
      { status: 409, body: { error: { code: 'TIME_NOT_AVAILABLE' } } },
      "outside Ms Nair's online clinic",
    );
    t.match(
      await call(sandbox.url, 'POST', `${PRACTICE}/appointments`, {
        apiKey: KEY,
        body: { ...BOOKING, startTime: '9am' },
      }),
      { status: 400, body: { error: { code: 'INVALID_PARAMETER' } } },
    );

    await call(sandbox.url, 'POST', '/_sandbox/appointments/AP50006/status', {
      body: { status: 'Cancelled' },
    });
    t.same(await call(sandbox.url, 'POST', `${PRACTICE}/appointments/AP50006/confirm`, { apiKey: KEY }), {
      status: 409,
      body: {
        error: { code: 'APPOINTMENT_CANCELLED', message: 'Appointment AP50006 was cancelled in Exact' },
      },
    });
  },
);

t.test('control surface: reception, Web Setup, reasons, Online Booking Configuration, clock', async (t) => {
  const sandbox = await startSandbox(t, { now: new Date('2026-02-01T20:00:00Z') });
  const base = sandbox.url;
  t.equal((await call(base, 'POST', '/_sandbox/seed', { body: SMALL_PRACTICE })).status, 204);

  const booked = await call(base, 'POST', '/_sandbox/reception/book', {
    body: {
      providerId: 'DR01',
      date: '2026-02-02',
      startTime: '10:00',
      durationMinutes: 30,
      reasonId: 'R01',
    },
  });
  t.same(booked, { status: 201, body: { appointmentId: 'AP50006' } });
  t.match(
    await call(base, 'POST', '/_sandbox/reception/book', {
      body: { providerId: 'DR01', date: '2026-02-02', startTime: '10:15', durationMinutes: 30 },
    }),
    { status: 409, body: { error: { code: 'TIME_NOT_AVAILABLE' } } },
  );
  const day = await call(base, 'GET', '/_sandbox/diary?date=2026-02-02');
  t.match(day.body, {
    date: '2026-02-02',
    appointments: [
      { startTime: '08:00' },
      { startTime: '09:15' },
      { startTime: '10:00', source: 'reception' },
    ],
  });

  t.match(await call(base, 'PATCH', '/_sandbox/web-setup', { body: { appointmentStacking: true } }), {
    status: 200,
    body: { appointmentStacking: true },
  });
  t.equal(
    (
      await call(base, 'PUT', '/_sandbox/booking-reasons/R09', {
        body: {
          name: 'Emergency',
          marketing: false,
          providers: [{ providerId: 'DR01', durationMinutes: 30 }],
        },
      })
    ).status,
    204,
  );
  t.equal((await call(base, 'DELETE', '/_sandbox/booking-reasons/R03')).status, 204);
  t.equal(
    (
      await call(base, 'PUT', '/_sandbox/online-booking-configuration/HY01', {
        body: {
          durationMinutes: 45,
          intervalMinutes: 15,
          bookableTime: { kind: 'unbookedNonClinic' },
          daysAhead: 7,
        },
      })
    ).status,
    204,
  );
  const setup = sandbox.practiceServer.setup('');
  t.same(
    setup.bookingReasons.map((r) => r.id),
    ['R01', 'R02', 'R09'],
  );
  t.same(setup.onlineBookingConfiguration[1], {
    providerId: 'HY01',
    durationMinutes: 45,
    intervalMinutes: 15,
    bookableTime: { kind: 'unbookedNonClinic' },
    daysAhead: 7,
  });
  t.equal((await call(base, 'DELETE', '/_sandbox/online-booking-configuration/HY01')).status, 204);
  t.same(
    sandbox.practiceServer.setup('').onlineBookingConfiguration.map((o) => o.providerId),
    ['DR01'],
  );

  t.same(await call(base, 'PUT', '/_sandbox/clock', { body: { now: '2026-10-04T23:30:00Z' } }), {
    status: 200,
    body: { serverTime: '2026-10-05T10:30:00' },
  });
  t.match(await call(base, 'PUT', '/_sandbox/clock', { body: { now: null } }), { status: 200 });
});

t.test('faults, the call log and reset', async (t) => {
  const sandbox = await startSandbox(t);
  const base = sandbox.url;
  t.equal(
    (await call(base, 'POST', '/_sandbox/seed-demo', { body: { days: 3, from: '2026-02-02' } })).status,
    204,
  );
  t.equal(
    (
      await call(base, 'POST', '/_sandbox/faults', {
        body: { operation: 'GetSchedule', kind: 'error', status: 504, times: 2 },
      })
    ).status,
    204,
  );
  const path = `${PRACTICE}/schedule?from=2026-02-02&to=2026-02-04`;
  t.match(await call(base, 'GET', path, { apiKey: KEY }), {
    status: 504,
    body: { error: { code: 'PRACTICE_SERVER_TIMEOUT' } },
  });
  t.match(await call(base, 'GET', path, { apiKey: KEY }), { status: 504 });
  t.match(await call(base, 'GET', path, { apiKey: KEY }), { status: 200 });
  t.same(await call(base, 'GET', '/_sandbox/calls'), {
    status: 200,
    body: {
      calls: [
        { operation: 'GetSchedule', method: 'GET', statusCode: 504, fault: 'error' },
        { operation: 'GetSchedule', method: 'GET', statusCode: 504, fault: 'error' },
        { operation: 'GetSchedule', method: 'GET', statusCode: 200, fault: null },
      ],
    },
  });
  t.match(
    await call(base, 'POST', '/_sandbox/faults', { body: { operation: '*', kind: 'error', status: 418 } }),
    {
      status: 400,
      body: { error: { code: 'INVALID_PARAMETER' } },
    },
  );
  t.equal((await call(base, 'POST', '/_sandbox/reset')).status, 204);
  t.same(sandbox.calls, []);
  t.same(sandbox.practiceServer.appointments(), []);
  t.same(await call(base, 'GET', '/nowhere'), {
    status: 404,
    body: { error: { code: 'ROUTE_NOT_FOUND', message: 'No operation GET /nowhere' } },
  });
});

t.test(
  'the demo practice: two dentists and a hygienist, the usual reasons, stacking off, a third booked',
  async (t) => {
    const sandbox = await startSandbox(t, { demo: { days: 14, from: '2026-02-02' } });
    const setup = sandbox.practiceServer.setup('');
    t.same(
      setup.providers.map((p) => `${p.title} ${p.firstName} ${p.lastName} (${p.role})`),
      ['Dr Olivia Chen (Dentist)', 'Dr Marcus Webb (Dentist)', 'Ms Priya Nair (Hygienist)'],
    );
    t.same(
      setup.bookingReasons.map((r) => `${r.name}${r.marketing ? ' (marketing)' : ''}`),
      ['Healthengine', 'Check-up & Clean', 'Emergency', 'New Patient Special (marketing)'],
    );
    t.equal(setup.appointmentStacking, false);
    const appointments = sandbox.practiceServer.appointments();
    t.ok(appointments.length > 60 && appointments.length < 200, `${appointments.length} appointments`);
    const again = await startSandbox(t, { demo: { days: 14, from: '2026-02-02' } });
    t.same(again.practiceServer.appointments(), appointments, 'the same options build the same diary');
  },
);

t.test('a lost answer: CreateAppointment is carried out, then its connection is dropped', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_PRACTICE);
  const base = sandbox.url;
  t.equal(
    (
      await call(base, 'POST', '/_sandbox/faults', {
        body: { operation: 'CreateAppointment', kind: 'lost-answer', after: 'drop' },
      })
    ).status,
    204,
  );
  await t.rejects(
    call(base, 'POST', `${PRACTICE}/appointments`, { apiKey: KEY, body: BOOKING }),
    'no answer arrives',
  );
  t.match(sandbox.calls.at(-1), { operation: 'CreateAppointment', fault: 'lost-answer' });
  const logged = {
    appointmentId: 'AP50006',
    providerId: 'DR01',
    date: '2026-02-02',
    startTime: '10:00',
    externalRef: 'booking-1',
  };
  t.same(sandbox.practiceServer.appointmentsCreated, [logged], 'yet the write landed');
  t.match(sandbox.practiceServer.appointment('AP50006'), { status: 'Pending', externalRef: 'booking-1' });
  t.match(
    await call(base, 'POST', `${PRACTICE}/appointments`, { apiKey: KEY, body: BOOKING }),
    { status: 200, body: { id: 'AP50006' } },
    'the retry with the same externalRef answers the appointment the lost call made',
  );
  t.same(
    await call(base, 'GET', '/_sandbox/appointments-created'),
    { status: 200, body: { appointmentsCreated: [logged] } },
    'a replay is not logged as a second write',
  );
  t.equal((await call(base, 'POST', '/_sandbox/reset')).status, 204);
  t.same(sandbox.practiceServer.appointmentsCreated, [], 'reset empties the log');
});

t.test('chaos: a seeded share of calls fails, the same calls for the same seed', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.seed(SMALL_PRACTICE);
  const base = sandbox.url;
  const path = `${PRACTICE}/schedule?from=2026-02-02&to=2026-02-04`;
  const run = async () => {
    sandbox.calls.length = 0;
    const chaos = await call(base, 'POST', '/_sandbox/chaos', {
      body: { rate: 0.5, seed: 7, faults: [{ kind: 'error', status: 503 }], operations: ['GetSchedule'] },
    });
    t.equal(chaos.status, 204);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call(base, 'GET', path, { apiKey: KEY })).status);
    t.equal((await call(base, 'GET', PRACTICE, { apiKey: KEY })).status, 200, 'other operations spared');
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
  t.match(
    await call(base, 'POST', '/_sandbox/chaos', {
      body: { rate: 0.2, seed: 1, faults: [{ kind: 'error', status: 418 }] },
    }),
    { status: 400 },
    'an unknown status is refused',
  );
  sandbox.faults.clear();
  t.equal((await call(base, 'GET', path, { apiKey: KEY })).status, 200, 'clear stops chaos');
});
