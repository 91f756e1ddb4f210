/** The sandbox: the control surface over HTTP, local times with the right offset across DST, the demo. */
import t from 'tap';
import { startDemoSandbox } from '../src/sandbox/index.ts';
import { startSandbox } from './helpers.ts';

t.test('reception over HTTP: book, block, cancel, the diary', async (t) => {
  const { sandbox } = await startSandbox(5);
  t.teardown(() => sandbox.close());
  const date = [...sandbox.diary.slots.values()].find(
    (s) => s.status === 'free' && s.start.getTime() > Date.now(),
  )!;
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(date.start);
  const post = (path: string, body: unknown) =>
    fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const booked = await post('/_sandbox/reception/book', { slotId: date.id });
  t.equal(booked.status, 200);
  t.equal(sandbox.diary.slot(date.id).status, 'busy');
  t.equal((await post('/_sandbox/reception/cancel', { slotId: date.id })).status, 204);
  t.equal(sandbox.diary.slot(date.id).status, 'free');
  t.equal((await post('/_sandbox/reception/block', { slotId: date.id })).status, 204);
  const diary = (await (await fetch(`${sandbox.url}/_sandbox/diary?date=${day}`)).json()) as {
    slots: { id: string; status: string }[];
  };
  t.equal(diary.slots.find((s) => s.id === date.id)?.status, 'blocked');
  const patch = await fetch(`${sandbox.url}/_sandbox/setup`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ capabilityWithoutBook: true }),
  });
  t.equal(patch.status, 204);
  t.equal(sandbox.setup.capabilityWithoutBook, true);
  t.equal(
    (await post('/_sandbox/faults', { operation: 'SearchFreeSlots', kind: 'error', status: 503 })).status,
    204,
  );
});

t.test('an API call without the Spine headers is refused with an OperationOutcome', async (t) => {
  const { sandbox } = await startSandbox(1);
  t.teardown(() => sandbox.close());
  const answer = await fetch(`${sandbox.url}/metadata`);
  t.equal(answer.status, 400);
  t.match(answer.headers.get('content-type'), /application\/fhir\+json/);
  t.match(await answer.json(), {
    resourceType: 'OperationOutcome',
    issue: [{ details: { coding: [{ code: 'BAD_REQUEST' }] } }],
  });
});

t.test('slots are written in local time with the offset of the day (GMT and BST)', async (t) => {
  const { sandbox } = await startSandbox(0);
  t.teardown(() => sandbox.close());
  sandbox.seedDemoDiary({ days: 0 });
  const winter = sandbox.placeSlot({ date: '2027-03-27', time: '09:00', minutes: 10 });
  const summer = sandbox.placeSlot({ date: '2027-03-29', time: '09:00', minutes: 10 });
  const days = [...sandbox.day('2027-03-27'), ...sandbox.day('2027-03-29')];
  t.equal(days.find((s) => s.id === winter.id)?.start, '2027-03-27T09:00:00+00:00');
  t.equal(days.find((s) => s.id === summer.id)?.start, '2027-03-29T09:00:00+01:00');
});

t.test('the demo practice', async (t) => {
  const demo = await startDemoSandbox();
  t.teardown(() => demo.close());
  t.equal(demo.practiceName, 'Demo Surgery (GP Connect)');
  t.equal(demo.timeZone, 'Europe/London');
  t.equal(demo.odsCode, 'A81001');
  t.match(demo.connection, { baseUrl: demo.sandboxUrl, odsCode: 'A81001' });
  t.match(demo.patient, { firstName: 'Alice', nhsNumber: /^999\d{7}$/ });
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
  const answer = await fetch(`${demo.sandboxUrl}/_sandbox/diary?date=${today}`);
  t.equal(answer.status, 200);
});
