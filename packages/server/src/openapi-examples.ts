/**
 * Examples of the main flows for the OpenAPI document: create a practice, save its connection,
 * read slots, book, cancel. Routes attach them with `'x-request-examples'` and
 * `'x-response-examples'` (openapi.ts); redocly lint checks each against its schema
 * (no-invalid-media-type-examples).
 */
const practiceId = '5b0c2a4e-8a3f-4d6e-9c1b-2f7d8e9a0b1c';
const partnerId = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const slotId = '7d3e1f20-4b5c-4a6d-8e9f-0a1b2c3d4e5f';
const bookingId = 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5';
const appointmentTypeId = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d';

const practice = {
  id: practiceId,
  partnerId,
  name: 'Riverside Surgery',
  odsCode: 'A81001',
  ehr: 'emis',
  timeZone: 'Europe/London',
  publishingHorizonDays: 28,
  ehrCallsPerMinute: 300,
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
};

const slot = {
  id: slotId,
  start: '2026-12-02T09:00:00+00:00',
  end: '2026-12-02T09:10:00+00:00',
  durationMinutes: 10,
  appointmentType: { id: appointmentTypeId, name: 'GP appointment' },
  practitioner: { id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', name: 'Dr Amelia Hart' },
  location: { id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b', name: 'Riverside Surgery' },
};

const booking = (state: string, version: number, extra: Record<string, unknown> = {}) => ({
  id: bookingId,
  practiceId,
  state,
  slot: { id: slotId, ehrSlotId: 'slot-20261202-0900-hart', start: slot.start, end: slot.end },
  appointmentTypeId,
  failure: null,
  replacesBookingId: null,
  version,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  confirmedAt: null,
  cancelledAt: null,
  ...extra,
});

export const examples = {
  createPractice: {
    request: {
      emis: {
        summary: 'A practice on EMIS Web',
        value: { name: 'Riverside Surgery', odsCode: 'A81001', ehr: 'emis', timeZone: 'Europe/London' },
      },
    },
    responses: { 201: { created: { summary: 'The practice', value: practice } } },
  },
  /** Keyed by the plugin's connection component: used only when that plugin is loaded. */
  putConnection: {
    EmisConnection: {
      summary: 'EMIS Web, through the EMIS Partner API',
      value: {
        baseUrl: 'https://partner-api.example.emishealth.com',
        applicationId: 'slotbridge-partner-app',
        cdbNumber: '50001',
        username: 'Herouser',
        apiPassword: 'the API password from EMAS Manager',
      },
    },
  } as Record<string, { summary: string; value: unknown }>,
  listSlots: {
    responses: {
      200: {
        page: {
          summary: 'One slot, the last page',
          value: { data: [slot], next: null },
        },
      },
    },
  },
  createBooking: {
    request: {
      booking: {
        summary: 'Book a slot for a patient',
        value: {
          slotId,
          appointmentTypeId,
          patient: {
            firstName: 'Alice',
            lastName: 'Jones',
            dateOfBirth: '1984-02-29',
            nhsNumber: '9990000018',
          },
          reason: 'Persistent cough',
        },
      },
    },
    responses: { 201: { pending: { summary: 'Being written to the EHR', value: booking('pending', 1) } } },
  },
  cancelBooking: {
    request: {
      reason: { summary: 'With a reason', value: { reason: 'The patient is feeling better' } },
      none: { summary: 'Without a reason (or send no body at all)', value: {} },
    },
    responses: {
      200: {
        cancelling: {
          summary: 'Being cancelled in the EHR',
          value: booking('cancelling', 3, { confirmedAt: '2026-12-01T10:00:02.000Z' }),
        },
      },
    },
  },
};
