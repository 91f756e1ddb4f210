import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AvailabilityDiagnosisSchema } from '@slotbridge/core';
import { Type } from 'typebox';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

export const diagnosticsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, diagnostics } = app.slotbridge;

  app.get(
    '/v1/practices/:practiceId/diagnostics/availability',
    {
      schema: {
        tags: ['diagnostics'],
        operationId: 'diagnoseAvailability',
        summary: '"Why isn\'t this slot offered?"',
        description:
          "Seed 001's four checks in order — the session exists in the EHR diary on that date (asked of the EHR now), the slot type is active, the change may be newer than the last sync (with the last sync and the next one due), the connection is healthy — then every availability rule over that day's synced slots, then the plugin's own checks. Every failing check is reported, each with its evidence and fix.",
        params: PracticeParams,
        querystring: Type.Object(
          {
            date: Type.String({ description: "The day, YYYY-MM-DD, in the practice's time zone" }),
            ehrSlotTypeId: Type.Optional(Type.String({ minLength: 1 })),
            ehrPractitionerId: Type.Optional(Type.String({ minLength: 1 })),
            appointmentTypeId: Type.Optional(Type.String({ format: 'uuid' })),
            slotId: Type.Optional(Type.String({ format: 'uuid' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: ref(AvailabilityDiagnosisSchema),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) =>
      diagnostics.diagnose(await practices.get(request.caller, request.params.practiceId), request.query),
  );
};
