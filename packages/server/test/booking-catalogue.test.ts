/**
 * The booking side's catalogue over the API: practitioners, locations, appointment types.
 */
import t from 'tap';
import { createPractice } from './helpers/practice.ts';
import { bearer, testApp } from './helpers/test-app.ts';

const resources = [
  {
    path: 'practitioners',
    code: 'SB_ERR_PRACTITIONER_NOT_FOUND',
    title: 'Practitioner not found',
    create: { name: 'Ms Test Blake' },
    change: { name: 'Ms T Blake' },
  },
  {
    path: 'locations',
    code: 'SB_ERR_LOCATION_NOT_FOUND',
    title: 'Location not found',
    create: { name: 'Riverside' },
    change: { name: 'Riverside Surgery' },
  },
  {
    path: 'appointment-types',
    code: 'SB_ERR_APPOINTMENT_TYPE_NOT_FOUND',
    title: 'Appointment type not found',
    create: { name: 'Routine', durationMinutes: 10 },
    change: { durationMinutes: 15 },
  },
];

t.test('create, list, get, change and delete each kind, with whole bodies', async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const practice = await createPractice(app, a.key);
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
    app.inject({
      method,
      url: `/v1/practices/${practice.id}/${path}`,
      headers: bearer(a.key),
      ...(payload && { payload }),
    });

  for (const { path, code, title, create, change } of resources) {
    const created = await call('POST', path, create);
    t.equal(created.statusCode, 201, path);
    const entry = created.json();
    t.same(entry, { id: entry.id, ...create, createdAt: entry.createdAt, updatedAt: entry.createdAt }, path);
    t.equal(created.headers.location, `/v1/practices/${practice.id}/${path}/${entry.id}`);

    t.same((await call('GET', path)).json(), { data: [entry], next: null });
    t.same((await call('GET', `${path}/${entry.id}`)).json(), entry);

    const changed = await call('PATCH', `${path}/${entry.id}`, change);
    t.equal(changed.statusCode, 200);
    t.same(changed.json(), { ...entry, ...change, updatedAt: changed.json().updatedAt });

    const deleted = await call('DELETE', `${path}/${entry.id}`);
    t.equal(deleted.statusCode, 204);
    t.equal(deleted.body, '');
    const gone = await call('GET', `${path}/${entry.id}`);
    t.equal(gone.statusCode, 404);
    t.match(gone.headers['content-type'], /^application\/problem\+json/);
    t.same(gone.json(), {
      type: `https://slotbridge.dev/errors#${code}`,
      title,
      status: 404,
      code,
      detail: `No ${path.replace(/-/g, ' ').replace(/s$/, '')} ${entry.id} at this practice`,
      fix: `Check the id; GET /v1/practices/{practiceId}/${path} lists this practice's ${path.replace(/-/g, ' ')}.`,
      instance: `/v1/practices/${practice.id}/${path}/${entry.id}`,
    });
    t.same((await call('GET', path)).json(), { data: [], next: null });
  }
});

t.test('bad bodies and ids are answered 400 problem+json naming the field', async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const practice = await createPractice(app, a.key);
  const base = `/v1/practices/${practice.id}`;
  const send = (method: 'POST' | 'PATCH', url: string, payload: object) =>
    app.inject({ method, url: base + url, headers: bearer(a.key), payload });

  const unknownField = await send('POST', '/practitioners', { name: 'Dr A', colour: 'red' });
  t.equal(unknownField.statusCode, 400);
  t.match(unknownField.headers['content-type'], /^application\/problem\+json/);
  t.same(unknownField.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_VALIDATION',
    title: 'Invalid request',
    status: 400,
    code: 'SB_ERR_VALIDATION',
    detail: 'The body is not valid: body must NOT have additional properties',
    fix: 'Correct the fields listed in "errors"; the OpenAPI document at /openapi.json describes every field.',
    errors: [{ in: 'body', field: '/', message: 'must NOT have additional properties' }],
    instance: `${base}/practitioners`,
  });

  const cases: [string, 'POST' | 'PATCH', string, object, string][] = [
    ['empty name', 'POST', '/locations', { name: '' }, '/name'],
    ['name too long', 'POST', '/locations', { name: 'x'.repeat(201) }, '/name'],
    ['no duration', 'POST', '/appointment-types', { name: 'Routine' }, 'durationMinutes'],
    ['duration 0', 'POST', '/appointment-types', { name: 'Routine', durationMinutes: 0 }, '/durationMinutes'],
    [
      'duration 601',
      'POST',
      '/appointment-types',
      { name: 'Routine', durationMinutes: 601 },
      '/durationMinutes',
    ],
    [
      'duration 7.5',
      'POST',
      '/appointment-types',
      { name: 'Routine', durationMinutes: 7.5 },
      '/durationMinutes',
    ],
  ];
  for (const [what, method, url, payload, field] of cases) {
    const res = await send(method, url, payload);
    t.equal(res.statusCode, 400, what);
    t.match(res.json(), { code: 'SB_ERR_VALIDATION', errors: [{ in: 'body', field }] }, what);
  }
  t.same((await app.inject({ url: `${base}/locations`, headers: bearer(a.key) })).json(), {
    data: [],
    next: null,
  });

  const type = (await send('POST', '/appointment-types', { name: 'Routine', durationMinutes: 10 })).json();
  for (const [what, payload] of [
    ['nothing to change', {}],
    ['unknown field', { colour: 'red' }],
    ['duration 601', { durationMinutes: 601 }],
    ['empty name', { name: '' }],
  ] as const) {
    const res = await send('PATCH', `/appointment-types/${type.id}`, payload);
    t.equal(res.statusCode, 400, what);
    t.equal(res.json().code, 'SB_ERR_VALIDATION', what);
  }
  const badId = await app.inject({ url: `${base}/appointment-types/42`, headers: bearer(a.key) });
  t.match(badId.json(), { status: 400, code: 'SB_ERR_VALIDATION', errors: [{ in: 'params' }] });
  t.same(
    (await app.inject({ url: `${base}/appointment-types/${type.id}`, headers: bearer(a.key) })).json(),
    type,
  );
});

t.test("another practice's ids and another partner's key answer 404, and change nothing", async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const mine = await createPractice(app, a.key, { name: 'Mine' });
  const myOther = await createPractice(app, a.key, { name: 'My other' });
  const blake = (
    await app.inject({
      method: 'POST',
      url: `/v1/practices/${mine.id}/practitioners`,
      headers: bearer(a.key),
      payload: { name: 'Ms Test Blake' },
    })
  ).json();

  for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
    const url = `/v1/practices/${myOther.id}/practitioners/${blake.id}`;
    const res = await app.inject({
      method,
      url,
      headers: bearer(a.key),
      ...(method === 'PATCH' && { payload: { name: 'moved' } }),
    });
    t.equal(res.statusCode, 404, method);
    t.same(
      res.json(),
      {
        type: 'https://slotbridge.dev/errors#SB_ERR_PRACTITIONER_NOT_FOUND',
        title: 'Practitioner not found',
        status: 404,
        code: 'SB_ERR_PRACTITIONER_NOT_FOUND',
        detail: `No practitioner ${blake.id} at this practice`,
        fix: "Check the id; GET /v1/practices/{practiceId}/practitioners lists this practice's practitioners.",
        instance: url,
      },
      method,
    );
  }

  const url = `/v1/practices/${mine.id}/practitioners`;
  for (const [method, path, payload] of [
    ['GET', '', undefined],
    ['POST', '', { name: 'Dr Intruder' }],
    ['GET', `/${blake.id}`, undefined],
    ['PATCH', `/${blake.id}`, { name: 'taken over' }],
    ['DELETE', `/${blake.id}`, undefined],
  ] as const) {
    const res = await app.inject({
      method,
      url: url + path,
      headers: bearer(b.key),
      ...(payload && { payload }),
    });
    t.equal(res.statusCode, 404, `${method} ${path}`);
    t.equal(res.json().code, 'SB_ERR_PRACTICE_NOT_FOUND', `${method} ${path}`);
  }
  t.same(
    (await app.inject({ url, headers: bearer(a.key) })).json(),
    { data: [blake], next: null },
    'unchanged',
  );
});

t.test('deleting a practitioner deletes its mapping row and the audit names it', async (t) => {
  const { app, slotbridge, memory, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const { id } = await createPractice(app, a.key, { connect: true });
  memory.catalogue = {
    practitioners: [{ ehrId: '101', name: 'Ms Test Blake' }],
    locations: [],
    slotTypes: [],
  };
  await app.inject({ method: 'POST', url: `/v1/practices/${id}/discover`, headers: bearer(a.key) });
  const blake = (
    await app.inject({
      method: 'POST',
      url: `/v1/practices/${id}/practitioners`,
      headers: bearer(a.key),
      payload: { name: 'Blake' },
    })
  ).json();
  const practice = await slotbridge.practices.get({ apiKeyId: '', partnerId: null, practiceId: null }, id);
  await slotbridge.mappings.putPractitioners(null, practice, [
    { practitionerId: blake.id, ehrPractitionerId: '101' },
  ]);
  const mappingRows = () =>
    slotbridge.db.selectFrom('practitioner_mappings').select('ehr_practitioner_id').execute();
  t.same(await mappingRows(), [{ ehr_practitioner_id: '101' }]);

  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/practices/${id}/practitioners/${blake.id}`,
    headers: bearer(a.key),
  });
  t.equal(deleted.statusCode, 204);
  t.same(await mappingRows(), [], 'the mapping row went with it');
  const [event] = (
    await app.inject({ url: `/v1/practices/${id}/audit?limit=1`, headers: bearer(a.key) })
  ).json().data;
  t.match(event, {
    action: 'practitioner.deleted',
    apiKeyLabel: 'test',
    details: { id: blake.id, name: 'Blake', mappingRemoved: { ehrPractitionerId: '101' } },
  });
});

t.test('the OpenAPI document has every route with a summary, a description and its schemas', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  const openapi = (await app.inject('/openapi.json')).json();
  for (const name of ['Practitioner', 'Location', 'AppointmentType']) {
    t.ok(openapi.components.schemas[name], `component ${name}`);
  }
  const routes: [string, string[]][] = [
    ['/v1/practices/{practiceId}/practitioners', ['get', 'post']],
    ['/v1/practices/{practiceId}/practitioners/{practitionerId}', ['get', 'patch', 'delete']],
    ['/v1/practices/{practiceId}/locations', ['get', 'post']],
    ['/v1/practices/{practiceId}/locations/{locationId}', ['get', 'patch', 'delete']],
    ['/v1/practices/{practiceId}/appointment-types', ['get', 'post']],
    ['/v1/practices/{practiceId}/appointment-types/{appointmentTypeId}', ['get', 'patch', 'delete']],
  ];
  for (const [path, methods] of routes) {
    for (const method of methods) {
      const operation = openapi.paths[path]?.[method];
      t.ok(operation?.summary, `${method} ${path} has a summary`);
      t.ok(operation?.description, `${method} ${path} has a description`);
    }
  }
  t.same(
    openapi.paths['/v1/practices/{practiceId}/appointment-types'].post.responses['201'].content[
      'application/json'
    ].schema,
    { $ref: '#/components/schemas/AppointmentType' },
  );
});
