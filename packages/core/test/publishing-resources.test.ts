/**
 * The SMART Scheduling Links resources and settings on their own (no database): the booking deep
 * link template, the setting's rules, `_since`, and Slot times in a practice's offset on both
 * sides of the clocks changing.
 */
import t from 'tap';
import type { Practice } from '../src/db/schema.ts';
import type { SlotbridgeError } from '../src/errors.ts';
import type { OfferedSlot } from '../src/offers/offers.ts';
import { readSince } from '../src/publishing/feed.ts';
import { locationResource, slotResource } from '../src/publishing/fhir.ts';
import { bookingLink, checkPublishingSettings, type PublishingSettings } from '../src/publishing/settings.ts';

const practice = (timeZone: string): Practice => ({
  id: '11111111-1111-4111-8111-111111111111',
  partner_id: '22222222-2222-4222-8222-222222222222',
  name: 'Elm Street Surgery',
  ods_code: null,
  ehr: 'memory',
  time_zone: timeZone,
  publishing_horizon_days: null,
  ehr_calls_per_minute: null,
  created_at: new Date(),
  updated_at: new Date(),
});

const settings = (overrides: Partial<PublishingSettings> = {}): PublishingSettings => ({
  enabled: true,
  bookingLinkTemplate: 'https://book.example.com/{slotId}?at={start}',
  bookingPhone: '0113 496 0000',
  phone: null,
  website: null,
  address: null,
  serviceType: null,
  ...overrides,
});

const slot = (startIso: string, minutes = 10): OfferedSlot => {
  const startAt = new Date(startIso);
  return {
    id: '33333333-3333-4333-8333-333333333333',
    ehrSlotId: 'e1',
    ehrSessionId: null,
    ehrPractitionerId: 'p1',
    ehrLocationId: 'l1',
    ehrSlotTypeId: 'st1',
    startAt,
    endAt: new Date(startAt.getTime() + minutes * 60_000),
    appointmentType: { id: '44444444-4444-4444-8444-444444444444', name: 'GP appointment' },
    practitioner: { id: '55555555-5555-4555-8555-555555555555', name: 'Dr Secret' },
    location: { id: '66666666-6666-4666-8666-666666666666', name: 'Branch' },
  };
};

t.test('Slot times carry the practice offset, across the clock changes', async (t) => {
  const london = practice('Europe/London');
  const cases: [string, string, string][] = [
    ['2027-01-15T09:00:00Z', '2027-01-15T09:00:00+00:00', '2027-01-15T09:10:00+00:00'],
    ['2027-07-15T08:00:00Z', '2027-07-15T09:00:00+01:00', '2027-07-15T09:10:00+01:00'],
    // The last slot before the clocks go back (01:50 BST) and the first after (01:00 GMT, again).
    ['2027-10-31T00:50:00Z', '2027-10-31T01:50:00+01:00', '2027-10-31T01:00:00+00:00'],
  ];
  for (const [instant, start, end] of cases) {
    const resource = slotResource(london, settings(), slot(instant));
    t.same([resource.start, resource.end], [start, end], `${instant} in London`);
  }
  const sydney = slotResource(practice('Australia/Sydney'), settings(), slot('2027-01-15T00:00:00Z'));
  t.equal(sydney.start, '2027-01-15T11:00:00+11:00', 'another zone, its own offset');
  const resource = slotResource(london, settings(), slot('2027-01-15T09:00:00Z'));
  t.notMatch(JSON.stringify(resource), /Dr Secret|Branch|p1|l1|st1|e1/, 'no practitioner, site or EHR id');
});

t.test('the booking deep link: each placeholder percent-encoded', async (t) => {
  t.equal(
    bookingLink('https://b.example/p/{practiceId}/s/{slotId}?at={start}&t={appointmentTypeId}', {
      slotId: 'a b',
      practiceId: 'p/1',
      appointmentTypeId: 't&1',
      start: '2027-07-15T09:00:00+01:00',
    }),
    'https://b.example/p/p%2F1/s/a%20b?at=2027-07-15T09%3A00%3A00%2B01%3A00&t=t%261',
  );
  const without = slotResource(
    practice('Europe/London'),
    settings({ bookingLinkTemplate: null }),
    slot('2027-01-15T09:00:00Z'),
  );
  t.same(
    without.extension,
    [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone',
        valueString: '0113 496 0000',
      },
    ],
    'no template: the booking phone only',
  );
});

t.test('the setting: a way to book, a contact point, usable URLs', async (t) => {
  const refused = (s: PublishingSettings) => {
    try {
      checkPublishingSettings(s);
      return null;
    } catch (error) {
      return (error as SlotbridgeError).code;
    }
  };
  t.equal(refused(settings()), null, 'a template and a phone: accepted');
  t.equal(
    refused(settings({ enabled: false, bookingLinkTemplate: null, bookingPhone: null })),
    null,
    'off: nothing needed',
  );
  t.equal(
    refused(settings({ bookingLinkTemplate: null, bookingPhone: null, website: 'https://x.example' })),
    'SB_ERR_PUBLISHING_NO_BOOKING_ROUTE',
  );
  t.equal(refused(settings({ bookingPhone: null })), 'SB_ERR_PUBLISHING_NO_CONTACT');
  t.equal(
    refused(settings({ bookingPhone: null, website: 'https://x.example' })),
    null,
    'a website is a contact point',
  );
  t.equal(
    refused(settings({ bookingLinkTemplate: 'https://b.example/{slotid}' })),
    'SB_ERR_PUBLISHING_INVALID',
    'placeholders are case-sensitive',
  );
  t.equal(
    refused(settings({ bookingLinkTemplate: 'https://b.example/book?practice={practiceId}' })),
    'SB_ERR_PUBLISHING_INVALID',
    'must name the slot',
  );
  t.equal(
    refused(settings({ bookingLinkTemplate: 'javascript:alert({slotId})' })),
    'SB_ERR_PUBLISHING_INVALID',
    'http(s) only',
  );
  t.equal(
    refused(settings({ bookingLinkTemplate: 'https://b.example/at/{start}' })),
    null,
    '{start} names the slot too',
  );
  t.equal(
    refused(settings({ enabled: false, website: 'ftp://x.example' })),
    'SB_ERR_PUBLISHING_INVALID',
    'URLs are checked even when off',
  );
});

t.test('the Location: what the setting gives, nothing more', async (t) => {
  const bare = locationResource(practice('Europe/London'), settings());
  t.same(
    bare.telecom,
    [{ system: 'phone', value: '0113 496 0000' }],
    'the booking phone stands for the front desk',
  );
  t.notOk('address' in bare, 'no address when none is set');
  const full = locationResource(
    { ...practice('Europe/London'), ods_code: 'A81001' },
    settings({
      phone: '0113 496 0001',
      address: { line: ['1 Elm Street'], city: 'Leeds', postalCode: 'LS1 1AA' },
    }),
  );
  t.same(full.telecom, [{ system: 'phone', value: '0113 496 0001' }], 'the front desk when given');
  t.match(full, {
    identifier: [{ value: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, { value: 'A81001' }],
    address: { line: ['1 Elm Street'], city: 'Leeds', postalCode: 'LS1 1AA' },
  });
});

t.test('_since: a timestamp with an offset, or 400', async (t) => {
  t.equal(readSince(undefined), undefined);
  t.equal(readSince('2027-01-15T09:00:00.123Z')?.toISOString(), '2027-01-15T09:00:00.123Z');
  t.equal(readSince('2027-07-15T10:00:00+01:00')?.toISOString(), '2027-07-15T09:00:00.000Z');
  for (const text of ['2027-01-15', '2027-01-15T09:00:00', 'yesterday', '2027-13-45T09:00:00Z', '']) {
    t.throws(() => readSince(text), { code: 'SB_ERR_SINCE_INVALID' }, `"${text}" is refused`);
  }
});
