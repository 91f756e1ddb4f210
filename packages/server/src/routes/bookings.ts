import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bookingView } from '@slotbridge/core';
import { Type } from 'typebox';
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

export const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, bookings } = app.slotbridge;

  app.post(
    '/v1/practices/:practiceId/bookings',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Book a slot',
        description:
          'Answered at once with the booking in state "pending"; it is written to the EHR in the background (with retries) and becomes "confirmed", or "failed" with a reason. Poll GET …/bookings/{bookingId}. A slot already held by another booking answers 409. The Idempotency-Key header makes retries safe: the same key and body return the same booking. Beyond the booking limit of its API key (SLOTBRIDGE_BOOKINGS_PER_MINUTE) a request is refused with 429 and Retry-After.',
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
          200: ref('Booking'),
          201: ref('Booking'),
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
      return reply
        .code(created ? 201 : 200)
        .header('location', `/v1/practices/${practice.id}/bookings/${booking.id}`)
        .send(bookingView(booking, practice.time_zone));
    },
  );

  app.get(
    '/v1/practices/:practiceId/bookings/:bookingId',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Get a booking and its state',
        params: BookingParams,
        response: { 200: ref('Booking'), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      return bookingView(await bookings.get(practice, request.params.bookingId), practice.time_zone);
    },
  );

  app.post(
    '/v1/practices/:practiceId/bookings/:bookingId/cancel',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Cancel a booking',
        description:
          'Answered at once with state "cancelling"; the cancellation is written to the EHR in the background and the booking becomes "cancelled". Plugins whose EHR has no online cancellation answer 409.',
        params: BookingParams,
        body: Type.Object(
          { reason: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false, description: 'Optional: a bare POST cancels without a reason' },
        ),
        response: { 200: ref('Booking'), ...problemResponses(400, 401, 404, 409) },
      },
      // The body is optional: a bare POST (no body at all) cancels without a reason.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const booking = await bookings.cancel(
        request.caller,
        practice,
        request.params.bookingId,
        request.body.reason ?? null,
      );
      return bookingView(booking, practice.time_zone);
    },
  );

  app.post(
    '/v1/practices/:practiceId/bookings/:bookingId/reschedule',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Move a booking to another slot',
        description:
          'The new slot is booked first, as a new booking (answered at once, "pending", with replacesBookingId); the old booking is released only once the new one is confirmed in the EHR. If the new write fails, the old booking stands. Plugins whose EHR has no online cancellation answer 409 and nothing is written.',
        params: BookingParams,
        headers: Type.Object({
          'idempotency-key': Type.String({
            minLength: 8,
            maxLength: 200,
            description: 'A unique key per request',
          }),
        }),
        body: Type.Object({ slotId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: {
          200: ref('Booking'),
          201: ref('Booking'),
          ...problemResponses(400, 401, 404, 409, 422, 429),
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
      );
      return reply
        .code(created ? 201 : 200)
        .header('location', `/v1/practices/${practice.id}/bookings/${booking.id}`)
        .send(bookingView(booking, practice.time_zone));
    },
  );
};
