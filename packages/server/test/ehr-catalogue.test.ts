/**
 * The EHR side's catalogue over the API: discover, the three lists, gone entities and the
 * mappings still pointing at them, and what an EHR failure answers.
 */
import t, { type Test } from 'tap';
import { createPractice } from './helpers/practice.ts';
import { bearer, testApp } from './helpers/test-app.ts';

const catalogue = {
  practitioners: [
    { ehrId: '101', name: 'Ms Test Blake' },
    { ehrId: '102', name: 'Dr Test Singh' },
  ],
  locations: [{ ehrId: '201', name: 'Riverside Surgery', attributes: { odsCode: 'A81001' } }],
  slotTypes: [
    { ehrId: '11', name: 'Routine GP', attributes: { bookable: true } },
    { ehrId: '14', name: 'Hero unregistered patient', attributes: { bookable: true } },
  ],
};

async function connectedPractice(t: Test) {
  const setup = await testApp();
  t.teardown(setup.close);
  const a = await setup.partner('A');
  const { id } = await createPractice(setup.app, a.key, { connect: true });
  setup.memory.catalogue = structuredClone(catalogue);
  const call = (method: 'GET' | 'POST', path: string) =>
    setup.app.inject({ method, url: `/v1/practices/${id}${path}`, headers: bearer(a.key) });
  return { ...setup, a, practiceId: id, call };
}

t.test('discover answers what it found; the lists show the catalogue by name', async (t) => {
  const { call } = await connectedPractice(t);
  const discovered = await call('POST', '/discover');
  t.equal(discovered.statusCode, 200);
  t.same(discovered.json(), {
    practitioners: 2,
    locations: 1,
    slotTypes: 2,
    gone: [],
    mappingsPointingAtGone: [],
  });

  const practitioners = (await call('GET', '/ehr/practitioners')).json().data;
  const seen = { firstSeenAt: practitioners[0].firstSeenAt, lastSeenAt: practitioners[0].firstSeenAt };
  t.same(practitioners, [
    { ehrId: '102', name: 'Dr Test Singh', attributes: {}, gone: false, ...seen, goneAt: null },
    { ehrId: '101', name: 'Ms Test Blake', attributes: {}, gone: false, ...seen, goneAt: null },
  ]);
  t.same((await call('GET', '/ehr/locations')).json(), {
    data: [
      {
        ehrId: '201',
        name: 'Riverside Surgery',
        attributes: { odsCode: 'A81001' },
        gone: false,
        ...seen,
        goneAt: null,
      },
    ],
    next: null,
  });
  t.same(
    (await call('GET', '/ehr/slot-types')).json().data.map((e: { ehrId: string }) => e.ehrId),
    ['14', '11'],
  );
});

t.test('an EHR practitioner that goes is marked gone; the mapping pointing at it is reported', async (t) => {
  const { slotbridge, memory, practiceId, call } = await connectedPractice(t);
  await call('POST', '/discover');
  const practice = await slotbridge.practices.get(
    { apiKeyId: '', partnerId: null, practiceId: null },
    practiceId,
  );
  const blakeId = await slotbridge.catalogue.addPractitioner(practice, 'Blake');
  await slotbridge.mappings.putPractitioners(null, practice, [
    { practitionerId: blakeId, ehrPractitionerId: '101' },
  ]);

  memory.catalogue.practitioners = [{ ehrId: '102', name: 'Dr Test Singh' }];
  const discovered = (await call('POST', '/discover')).json();
  const goneAt = discovered.gone[0]?.goneAt;
  t.match(goneAt, /^\d{4}-\d{2}-\d{2}T/);
  t.same(discovered, {
    practitioners: 1,
    locations: 1,
    slotTypes: 2,
    gone: [{ kind: 'practitioner', ehrId: '101', name: 'Ms Test Blake', goneAt }],
    mappingsPointingAtGone: [
      {
        table: 'practitioner_mappings',
        row: { practitionerId: blakeId, practitionerName: 'Blake', ehrPractitionerId: '101' },
      },
    ],
  });
  t.same(
    await slotbridge.db
      .selectFrom('practitioner_mappings')
      .select(['practitioner_id', 'ehr_practitioner_id'])
      .execute(),
    [{ practitioner_id: blakeId, ehr_practitioner_id: '101' }],
    'the mapping is kept until the practice changes it',
  );

  const present = (await call('GET', '/ehr/practitioners')).json().data;
  t.same(
    present.map((e: { ehrId: string }) => e.ehrId),
    ['102'],
    'gone entities are left out by default',
  );
  const all = (await call('GET', '/ehr/practitioners?includeGone=true')).json().data;
  t.match(all, [
    { ehrId: '102', gone: false, goneAt: null },
    { ehrId: '101', name: 'Ms Test Blake', gone: true, goneAt },
  ]);
  t.equal(all.length, 2);
});

t.test('an EHR failure answers problem+json with the plugin code and fix; nothing changes', async (t) => {
  const { memory, practiceId, call } = await connectedPractice(t);
  await call('POST', '/discover');
  const before = (await call('GET', '/ehr/practitioners')).json();
  memory.catalogue = { practitioners: [], locations: [], slotTypes: [] };

  const fix = 'Nothing to fix: the in-memory EHR failed on purpose (failNext); the next call succeeds.';
  for (const [kind, status, title] of [
    ['transient', 503, 'Service Unavailable'],
    ['auth_failed', 503, 'Service Unavailable'],
    ['rejected', 422, 'Unprocessable Content'],
  ] as const) {
    memory.failNext('discover', kind);
    const failed = await call('POST', '/discover');
    t.equal(failed.statusCode, status, kind);
    t.match(failed.headers['content-type'], /^application\/problem\+json/);
    t.same(
      failed.json(),
      {
        type: `https://slotbridge.dev/errors#MEM_ERR_${kind.toUpperCase()}`,
        title,
        status,
        code: `MEM_ERR_${kind.toUpperCase()}`,
        detail: `injected ${kind}`,
        fix,
        instance: `/v1/practices/${practiceId}/discover`,
      },
      kind,
    );
  }
  t.same((await call('GET', '/ehr/practitioners')).json(), before, 'the catalogue is as it was');
});

t.test('no connection: 404 with the fix; another partner: 404', async (t) => {
  const { app, partner, call, practiceId } = await connectedPractice(t);
  const a = await partner('A2');
  const unconnected = await createPractice(app, a.key);
  const res = await app.inject({
    method: 'POST',
    url: `/v1/practices/${unconnected.id}/discover`,
    headers: bearer(a.key),
  });
  t.same(res.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_CONNECTION_MISSING',
    title: 'No EHR connection',
    status: 404,
    code: 'SB_ERR_CONNECTION_MISSING',
    detail: 'This practice has no EHR connection yet',
    fix: 'PUT /v1/practices/{practiceId}/connection with the EHR credentials first.',
    instance: `/v1/practices/${unconnected.id}/discover`,
  });

  await call('POST', '/discover');
  for (const [method, path] of [
    ['POST', '/discover'],
    ['GET', '/ehr/practitioners'],
    ['GET', '/ehr/locations'],
    ['GET', '/ehr/slot-types'],
  ] as const) {
    const other = await app.inject({
      method,
      url: `/v1/practices/${practiceId}${path}`,
      headers: bearer(a.key),
    });
    t.equal(other.statusCode, 404, path);
    t.equal(other.json().code, 'SB_ERR_PRACTICE_NOT_FOUND', path);
  }
  t.equal((await call('GET', '/ehr/slot-types?includeGone=maybe')).statusCode, 400);
});

t.test('the OpenAPI document has the routes with a summary, a description and their schemas', async (t) => {
  const { app } = await connectedPractice(t);
  const openapi = (await app.inject('/openapi.json')).json();
  for (const name of ['EhrCatalogueEntry', 'MappingPointingAtGone', 'Discovery']) {
    t.ok(openapi.components.schemas[name], `component ${name}`);
  }
  for (const [path, method] of [
    ['/v1/practices/{practiceId}/discover', 'post'],
    ['/v1/practices/{practiceId}/ehr/practitioners', 'get'],
    ['/v1/practices/{practiceId}/ehr/locations', 'get'],
    ['/v1/practices/{practiceId}/ehr/slot-types', 'get'],
  ] as const) {
    const operation = openapi.paths[path]?.[method];
    t.ok(operation?.summary, `${method} ${path} has a summary`);
    t.ok(operation?.description, `${method} ${path} has a description`);
  }
  t.same(
    openapi.paths['/v1/practices/{practiceId}/discover'].post.responses['503'].content[
      'application/problem+json'
    ].schema,
    { $ref: '#/components/schemas/Problem' },
  );
});
