import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  addLocalDays,
  CoreErrorCode,
  InputError,
  localDateOf,
  readTimeBound,
  startOfLocalDay,
} from '@slotbridge/core';
import { Type } from 'typebox';
import { PracticeParams, problemResponses } from '../schemas.ts';

const Named = Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]);
const Entry = Type.Object({
  source: Type.Union([Type.Literal('slotbridge'), Type.Literal('ehr')], {
    description: 'slotbridge: booked through this API; ehr: booked by the practice in its EHR',
  }),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  ehrSlotId: Type.String(),
  bookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  state: Type.Union([Type.String(), Type.Null()]),
  appointmentType: Named,
  practitioner: Named,
  location: Named,
  ehr: Type.Object({
    practitionerId: Type.Union([Type.String(), Type.Null()]),
    locationId: Type.Union([Type.String(), Type.Null()]),
    slotTypeId: Type.String(),
    slotTypeName: Type.Union([Type.String(), Type.Null()]),
  }),
});

const MAX_DAYS = 93;

export const appointmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, diary, db } = app.slotbridge;

  app.get(
    '/v1/practices/:practiceId/appointments',
    {
      schema: {
        tags: ['diary'],
        operationId: 'listAppointments',
        summary: 'The diary: appointments booked through us and in the EHR',
        description:
          'EHR bookings show as the appointment type their slot type is mapped to; those of a --DISABLED-- slot type are left out (their time stays unavailable). Patient details are never shown. Default window: today and the next 6 days; at most 93 days.',
        params: PracticeParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ description: 'YYYY-MM-DD or a date-time with offset' })),
            to: Type.Optional(
              Type.String({ description: 'exclusive; YYYY-MM-DD or a date-time with offset' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(Entry) }), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const zone = practice.time_zone;
      const from =
        readTimeBound('from', request.query.from, zone) ??
        startOfLocalDay(localDateOf(new Date(), zone), zone);
      const to = readTimeBound('to', request.query.to, zone) ?? addLocalDays(from, 7, zone);
      if (from >= to || to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) {
        throw new InputError(
          CoreErrorCode.WINDOW_INVALID,
          `The window must run forwards and span at most ${MAX_DAYS} days`,
          {
            fix: 'Ask for a shorter window, e.g. a week.',
          },
        );
      }
      return { data: await diary.appointments(db, practice, from, to) };
    },
  );
};
