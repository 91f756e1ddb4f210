import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CoreErrorCode, InputError, readTimeBound, slotView } from '@slotbridge/core';
import { Type } from 'typebox';
import { listOf, PracticeParams, problemResponses } from '../schemas.ts';

const Bound = (what: string) =>
  Type.Optional(
    Type.String({
      description: `${what}: a date (YYYY-MM-DD, in the practice's time zone) or a date-time with offset`,
      examples: ['2026-11-24', '2026-11-24T09:00:00Z'],
    }),
  );

export const slotRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, availability, db } = app.slotbridge;

  app.get(
    '/v1/practices/:practiceId/slots',
    {
      schema: {
        tags: ['availability'],
        summary: 'Slots offered for booking now',
        description:
          'Read from our database only, never from the EHR. A slot is offered when it is free in the EHR, its slot type is active, bookable and mapped to an appointment type, its practitioner and location are mapped, it is in the future and inside the publishing horizon, no booking of ours holds it, and the last good sync is recent (SLOTBRIDGE_STALE_AFTER_SECONDS). Times are in the practice time zone.',
        params: PracticeParams,
        querystring: Type.Object(
          {
            from: Bound('Start of the window (default: now)'),
            to: Bound('End of the window, exclusive (default: the end of the publishing horizon)'),
            appointmentTypeId: Type.Optional(Type.String({ format: 'uuid' })),
            practitionerId: Type.Optional(Type.String({ format: 'uuid' })),
            locationId: Type.Optional(Type.String({ format: 'uuid' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf('Slot'), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { from, to, ...filters } = request.query;
      const fromDate = readTimeBound('from', from, practice.time_zone);
      const toDate = readTimeBound('to', to, practice.time_zone);
      if (fromDate && toDate && fromDate >= toDate) {
        throw new InputError(CoreErrorCode.WINDOW_INVALID, '"from" must be before "to"', {
          fix: 'Swap the two values, or widen the window.',
        });
      }
      const slots = await availability.offered(db, practice, { ...filters, from: fromDate, to: toDate });
      return { data: slots.map((s) => slotView(s, practice.time_zone)) };
    },
  );
};
