import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BOOKING_STATES,
  type Booking,
  type BookingView,
  BookingViewSchema,
  bookingETag,
  bookingView,
  listBookings,
  PAGE_DEFAULT,
  PAGE_MAX,
  readTimeBound,
} from '@slotbridge/core';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { examples } from '../openapi-examples.ts';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const BookingParams = Type.Object({
  practiceId: Type.String({ format: 'uuid' }),
  bookingId: Type.String({ format: 'uuid' }),
});

const Patient = Type.Object(
  {
    firstName: Type.String({ minLength: 1, maxLength: 100 }),
    lastName: Type.String({ minLength: 1, maxLength: 100 }),
    dateOfBirth: Type.String({ format: 'date', description: 'YYYY-MM-DD' }),
    nhsNumber: Type.Optional(Type.String({ pattern: '^[0-9]{10}$', description: '10 digits, no spaces' })),
    ehrPatientId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "The EHR's own patient id, when known" }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Stored encrypted, used only to write the booking; never returned or logged.',
  },
);

/**
 * A booking answered with its version as `ETag` (docs/gp-connect.md, "Versions"). In the OpenAPI
 * document the header is listed with each answer that carries it.
 */
const BookingWithETag = {
  ...ref(BookingViewSchema),
  headers: {
    etag: Type.String({
      description:
        'The booking\'s version, W/"<version>"; send it as If-Match with a cancel or a move to change only the booking you saw',
    }),
  },
};

const IfMatch = Type.Optional(
  Type.String({
    description:
      'The booking\'s ETag as last read (W/"3"; "*" for any version): the change is made only while the booking is at that version, otherwise 412 SB_ERR_BOOKING_VERSION_MISMATCH and nothing changes. Without it, no condition.',
  }),
);

/** Sets the status and the ETag; the handler returns the view, so the compiler checks it against the schema. */
function sendBooking(reply: FastifyReply, booking: Booking, timeZone: string, status = 200): BookingView {
  reply.code(status).header('etag', bookingETag(booking));
  return bookingView(booking, timeZone);
}

export const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, bookings } = app.slotbridge;

  app.post(
    '/v1/practices/:practiceId/bookings',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'createBooking',
        'x-request-examples': examples.createBooking.request,
        'x-response-examples': examples.createBooking.responses,
        summary: 'Book a slot',
        description:
          'Answered at once with the booking in state "pending"; it is written to the EHR in the background (with retries) and becomes "confirmed", or "failed" with a reason. Poll GET …/bookings/{bookingId}. A slot already held by another booking answers 409; a slot that has started answers 422 SB_ERR_SLOT_IN_PAST. The Idempotency-Key header makes retries safe: the same key and body return the same booking (201 for the request that made it, 200 for every other, however many arrive at once); the same key with another body is 422. Beyond the booking limit of its API key (SLOTBRIDGE_BOOKINGS_PER_MINUTE) a request is refused with 429 and Retry-After.',
        params: PracticeParams,
        headers: Type.Object({
          'idempotency-key': Type.String({
            minLength: 8,
            maxLength: 200,
            description: 'A unique key per booking request, e.g. a UUID',
          }),
        }),
        body: Type.Object(
          {
            slotId: Type.String({ format: 'uuid' }),
            appointmentTypeId: Type.Optional(Type.String({ format: 'uuid' })),
            patient: Patient,
            reason: Type.Optional(
              Type.String({ minLength: 1, maxLength: 100, description: 'Reason for the visit' }),
            ),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: BookingWithETag,
          201: BookingWithETag,
          ...problemResponses(400, 401, 404, 409, 422, 429),
        },
      },
      // Counts towards the key's booking limit (limits.ts): 429 past it.
      config: { limit: 'bookings' },
    },
    async (request, reply) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { booking, created } = await bookings.create(
        request.caller,
        practice,
        request.headers['idempotency-key'],
        request.body,
      );
      reply.header('location', `/v1/practices/${practice.id}/bookings/${booking.id}`);
      return sendBooking(reply, booking, practice.time_zone, created ? 201 : 200);
    },
  );

  app.get(
    '/v1/practices/:practiceId/bookings',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'listBookings',
        summary: "List the practice's bookings",
        description: `Bookings made through this API, by their slot's start then id, in pages (default ${PAGE_DEFAULT}, at most ${PAGE_MAX}): next is the URL of the next page. Filters: state (repeat it for several: state=pending&state=confirmed), and from / to on the slot's start ([from, to); a date is the practice's local day, as for …/slots; past bookings included). Patient details are never answered, and no filter reads them. "to" not after "from" is 422 SB_ERR_WINDOW_REVERSED.`,
        params: PracticeParams,
        querystring: Type.Object(
          {
            state: Type.Optional(
              Type.Array(Type.Union(BOOKING_STATES.map((state) => Type.Literal(state))), {
                description: 'Only bookings in these states; repeat the field for several',
                maxItems: BOOKING_STATES.length,
              }),
            ),
            from: Type.Optional(
              Type.String({
                description:
                  "Only bookings whose slot starts at or after it: a date (YYYY-MM-DD, the practice's local day) or a date-time with offset",
                examples: ['2026-11-24', '2026-11-24T09:00:00Z'],
              }),
            ),
            to: Type.Optional(
              Type.String({
                description:
                  'Only bookings whose slot starts before it (exclusive): a date or a date-time with offset',
                examples: ['2026-11-25'],
              }),
            ),
            ...pageQuery(),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOfRef(BookingViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const zone = practice.time_zone;
      const { state, limit = PAGE_DEFAULT, cursor } = request.query;
      const from = readTimeBound('from', request.query.from, zone);
      const to = readTimeBound('to', request.query.to, zone);
      const page = await listBookings(
        app.slotbridge.db,
        practice,
        { ...(state && { states: state }), ...(from && { from }), ...(to && { to }) },
        { limit, cursor },
      );
      return pageAnswer(request, page, (view) => view);
    },
  );

  app.get(
    '/v1/practices/:practiceId/bookings/:bookingId',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'getBooking',
        summary: 'Get a booking and its state',
        description: 'With its version as ETag (W/"<version>"): any change of the booking changes it.',
        params: BookingParams,
        response: { 200: BookingWithETag, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      return sendBooking(reply, await bookings.get(practice, request.params.bookingId), practice.time_zone);
    },
  );

  app.post(
    '/v1/practices/:practiceId/bookings/:bookingId/cancel',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'cancelBooking',
        'x-request-examples': examples.cancelBooking.request,
        'x-response-examples': examples.cancelBooking.responses,
        summary: 'Cancel a booking',
        description:
          'Answered at once with state "cancelling"; the cancellation is written to the EHR in the background and the booking becomes "cancelled". Plugins whose EHR has no online cancellation answer 409. An appointment that has started cannot be cancelled (422 SB_ERR_BOOKING_IN_PAST). With If-Match, only the version named is cancelled (412 otherwise); cancelling a booking already cancelled answers it, whatever its If-Match.',
        params: BookingParams,
        headers: Type.Object({ 'if-match': IfMatch }),
        body: Type.Object(
          { reason: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false, description: 'Optional: a bare POST cancels without a reason' },
        ),
        // As the preValidation below: no body at all is a cancel without a reason (openapi.ts).
        'x-body-optional': true,
        response: { 200: BookingWithETag, ...problemResponses(400, 401, 404, 409, 412, 422) },
      },
      // The body is optional: a bare POST (no body at all) cancels without a reason.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const booking = await bookings.cancel(
        request.caller,
        practice,
        request.params.bookingId,
        request.body.reason ?? null,
        request.headers['if-match'],
      );
      return sendBooking(reply, booking, practice.time_zone);
    },
  );

  app.post(
    '/v1/practices/:practiceId/bookings/:bookingId/reschedule',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'rescheduleBooking',
        summary: 'Move a booking to another slot',
        description:
          'The new slot is booked first, as a new booking (answered at once, "pending", with replacesBookingId); the old booking is released only once the new one is confirmed in the EHR. If the new write fails, the old booking stands. Plugins whose EHR has no online cancellation answer 409 and nothing is written. An appointment that has started cannot be moved (422 SB_ERR_BOOKING_IN_PAST), nor moved to a slot that has (422 SB_ERR_SLOT_IN_PAST). With If-Match, the old booking must be at the version named (412 otherwise). The answer\'s ETag is the new booking\'s.',
        params: BookingParams,
        headers: Type.Object({
          'idempotency-key': Type.String({
            minLength: 8,
            maxLength: 200,
            description: 'A unique key per request',
          }),
          'if-match': IfMatch,
        }),
        body: Type.Object({ slotId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: {
          200: BookingWithETag,
          201: BookingWithETag,
          ...problemResponses(400, 401, 404, 409, 412, 422, 429),
        },
      },
      // A move books the new slot: it counts towards the same limit as POST …/bookings.
      config: { limit: 'bookings' },
    },
    async (request, reply) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { booking, created } = await bookings.reschedule(
        request.caller,
        practice,
        request.params.bookingId,
        request.headers['idempotency-key'],
        request.body,
        request.headers['if-match'],
      );
      reply.header('location', `/v1/practices/${practice.id}/bookings/${booking.id}`);
      return sendBooking(reply, booking, practice.time_zone, created ? 201 : 200);
    },
  );
};
