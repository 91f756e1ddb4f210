/**
 * The audit log over the API: who changed what, newest first, page by page, never a secret.
 */
import t from 'tap';
import { createPractice } from './helpers/practice.ts';
import { bearer, testApp } from './helpers/test-app.ts';

t.test('the audit lists the changes with the key that made them, newest first, never a secret', async (t) => {
  const { app, slotbridge, partner, adminKey, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const partnerKeyId = (await slotbridge.apiKeys.authenticate(a.key))!.apiKeyId;
  const adminKeyId = (await slotbridge.apiKeys.authenticate(adminKey))!.apiKeyId;
  const { id } = await createPractice(app, a.key, { connect: true });
  await app.inject({
    method: 'PUT',
    url: `/v1/practices/${id}/connection?force=true`,
    headers: bearer(a.key),
    payload: { practiceCode: 'T2', secret: 'a-new-secret-value' },
  });
  const nurse = (
    await app.inject({
      method: 'POST',
      url: `/v1/practices/${id}/appointment-types`,
      headers: bearer(a.key),
      payload: { name: 'Nurse', durationMinutes: 15 },
    })
  ).json();
  await app.inject({
    method: 'PATCH',
    url: `/v1/practices/${id}/appointment-types/${nurse.id}`,
    headers: bearer(adminKey),
    payload: { name: 'Nurse clinic' },
  });

  const res = await app.inject({ url: `/v1/practices/${id}/audit`, headers: bearer(a.key) });
  t.equal(res.statusCode, 200);
  const events = res.json().data;
  const at = (i: number) => ({ id: events[i].id, createdAt: events[i].createdAt });
  t.same(events, [
    {
      ...at(0),
      action: 'appointment_type.updated',
      apiKeyId: adminKeyId,
      apiKeyLabel: 'test admin',
      details: { id: nurse.id, changed: { name: { from: 'Nurse', to: 'Nurse clinic' } } },
    },
    {
      ...at(1),
      action: 'appointment_type.created',
      apiKeyId: partnerKeyId,
      apiKeyLabel: 'test',
      details: { id: nurse.id, name: 'Nurse', durationMinutes: 15 },
    },
    {
      ...at(2),
      action: 'connection.saved',
      apiKeyId: partnerKeyId,
      apiKeyLabel: 'test',
      details: { ehr: 'memory', changedFields: ['practiceCode', 'secret'], forced: true, status: 'failing' },
    },
    {
      ...at(3),
      action: 'connection.saved',
      apiKeyId: partnerKeyId,
      apiKeyLabel: 'test',
      details: { ehr: 'memory', changedFields: ['practiceCode', 'secret'], forced: false, status: 'healthy' },
    },
    {
      ...at(4),
      action: 'practice.created',
      apiKeyId: partnerKeyId,
      apiKeyLabel: 'test',
      details: { name: 'Riverside Surgery', ehr: 'memory' },
    },
  ]);
  const createdAts = events.map((e: { createdAt: string }) => e.createdAt);
  t.same(createdAts, [...createdAts].sort().reverse(), 'newest first');
  t.notMatch(res.body, /a-new-secret-value|"right"/, 'no connection secret');
  t.notMatch(res.body, new RegExp(`${a.key}|${adminKey}`), 'no API key');
});

t.test('pages follow "before", an event id; limits and unknown ids are checked', async (t) => {
  const { app, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const { id } = await createPractice(app, a.key);
  for (const name of ['One', 'Two', 'Three', 'Four']) {
    await app.inject({
      method: 'POST',
      url: `/v1/practices/${id}/locations`,
      headers: bearer(a.key),
      payload: { name },
    });
  }
  const page = async (query: string) =>
    (await app.inject({ url: `/v1/practices/${id}/audit${query}`, headers: bearer(a.key) })).json().data;
  const all = await page('');
  t.same(
    all.map((e: { action: string; details: { name: string } }) => `${e.action} ${e.details.name}`),
    [
      'location.created Four',
      'location.created Three',
      'location.created Two',
      'location.created One',
      'practice.created Riverside Surgery',
    ],
  );
  const first = await page('?limit=2');
  t.same(first, all.slice(0, 2));
  const second = await page(`?limit=2&before=${first[1].id}`);
  t.same(second, all.slice(2, 4));
  const last = await page(`?limit=2&before=${second[1].id}`);
  t.same(last, all.slice(4));
  t.same(await page(`?before=${last[0].id}`), [], 'nothing before the first event');

  const other = await createPractice(app, a.key, { name: 'Other' });
  const foreignEvent = (
    await app.inject({ url: `/v1/practices/${other.id}/audit`, headers: bearer(a.key) })
  ).json().data[0];
  const unknown = await app.inject({
    url: `/v1/practices/${id}/audit?before=${foreignEvent.id}`,
    headers: bearer(a.key),
  });
  t.same(unknown.json(), {
    type: 'https://slotbridge.dev/errors#SB_ERR_AUDIT_EVENT_NOT_FOUND',
    title: 'Audit event not found',
    status: 404,
    code: 'SB_ERR_AUDIT_EVENT_NOT_FOUND',
    detail: `No audit event ${foreignEvent.id} at this practice`,
    fix: 'Pass as "before" the id of the last event of the previous page.',
    instance: `/v1/practices/${id}/audit`,
  });
  for (const query of ['?limit=0', '?limit=201', '?before=yesterday']) {
    const bad = await app.inject({ url: `/v1/practices/${id}/audit${query}`, headers: bearer(a.key) });
    t.match(bad.json(), { status: 400, code: 'SB_ERR_VALIDATION', errors: [{ in: 'querystring' }] }, query);
  }
  const otherPartner = await app.inject({ url: `/v1/practices/${id}/audit`, headers: bearer(b.key) });
  t.equal(otherPartner.statusCode, 404);
  t.equal(otherPartner.json().code, 'SB_ERR_PRACTICE_NOT_FOUND');
});

t.test('the OpenAPI document has the route with a summary, a description and its schema', async (t) => {
  const { app, close } = await testApp();
  t.teardown(close);
  const openapi = (await app.inject('/openapi.json')).json();
  t.ok(openapi.components.schemas.AuditEvent);
  const operation = openapi.paths['/v1/practices/{practiceId}/audit'].get;
  t.ok(operation.summary);
  t.ok(operation.description);
  t.match(operation.responses['200'].content['application/json'].schema, {
    type: 'object',
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } },
      next: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['data', 'next'],
  });
  t.ok(
    operation.parameters.some((p: { name: string; in: string }) => p.name === 'cursor' && p.in === 'query'),
    'the cursor is documented',
  );
});
