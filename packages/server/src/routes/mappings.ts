/**
 * The four mapping tables of seed 000 and the active slot types of seed 001. Each is read and
 * written as a whole table; a PUT that breaks a rule answers 422 naming every row at fault, and
 * nothing is saved.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ActiveSlotTypesViewSchema,
  BookingFeatureViewSchema,
  LocationMappingViewSchema,
  PractitionerMappingViewSchema,
  SlotFeatureSchema,
  SlotTypeFeatureViewSchema,
} from '@slotbridge/core';
import { type TSchema, Type } from 'typebox';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const Uuid = Type.String({ format: 'uuid' });
const EhrId = Type.String({ minLength: 1, maxLength: 200 });
const AppointmentTypeChoice = Type.Union([Uuid, Type.Null(), Type.Literal('disabled')], {
  description:
    'An appointment type id; null: none; "disabled": --DISABLED-- (hidden from our diary, the time stays unavailable)',
});
/** A whole mapping table as answered: its rows, each the named view. */
const table = <T extends TSchema>(row: T) => Type.Object({ rows: Type.Array(ref(row)) });
const put = <T extends ReturnType<typeof Type.Object>>(row: T) =>
  Type.Object({ rows: Type.Array(row, { maxItems: 2000 }) }, { additionalProperties: false });

export const mappingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, mappings } = app.slotbridge;
  const base = '/v1/practices/:practiceId/mappings';

  const PractitionerRow = Type.Object(
    { practitionerId: Uuid, ehrPractitionerId: Type.Union([EhrId, Type.Null()]) },
    { additionalProperties: false },
  );
  app.get(
    `${base}/practitioners`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'listPractitionerMappings',
        summary: 'Stage 1: our practitioners and the EHR practitioner each is mapped to',
        description:
          'Every practitioner of the booking catalogue, with the EHR practitioner it is mapped to (null: not mapped) and whether the EHR still lists it.',
        params: PracticeParams,
        response: { 200: table(PractitionerMappingViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => ({
      rows: await mappings.practitioners(await practices.get(request.caller, request.params.practiceId)),
    }),
  );
  app.put(
    `${base}/practitioners`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'putPractitionerMappings',
        summary: 'Stage 1: replace the practitioner mapping',
        description:
          'Strictly 1:1: one EHR practitioner chosen for two of ours answers 422 naming every conflicting row, and nothing is saved. null: booking-side only, not synced. Practitioners left out of the table are unmapped.',
        params: PracticeParams,
        body: put(PractitionerRow),
        response: { 200: table(PractitionerMappingViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => ({
      rows: await mappings.putPractitioners(
        request.caller,
        await practices.get(request.caller, request.params.practiceId),
        request.body.rows,
      ),
    }),
  );

  const LocationRow = Type.Object(
    { locationId: Uuid, ehrLocationId: Type.Union([EhrId, Type.Null()]) },
    { additionalProperties: false },
  );
  app.get(
    `${base}/locations`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'listLocationMappings',
        summary: 'Stage 2: our locations and the EHR site each is mapped to',
        description:
          'Every location of the booking catalogue, with the EHR site it is mapped to (null: not mapped) and whether the EHR still lists it.',
        params: PracticeParams,
        response: { 200: table(LocationMappingViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => ({
      rows: await mappings.locations(await practices.get(request.caller, request.params.practiceId)),
    }),
  );
  app.put(
    `${base}/locations`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'putLocationMappings',
        summary: 'Stage 2: replace the location mapping',
        description: 'Same rules as the practitioner mapping: 1:1, null for booking-side only.',
        params: PracticeParams,
        body: put(LocationRow),
        response: { 200: table(LocationMappingViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => ({
      rows: await mappings.putLocations(
        request.caller,
        await practices.get(request.caller, request.params.practiceId),
        request.body.rows,
      ),
    }),
  );

  const SlotTypeRow = Type.Object(
    { ehrSlotTypeId: EhrId, feature: SlotFeatureSchema, appointmentTypeId: AppointmentTypeChoice },
    { additionalProperties: false },
  );
  app.get(
    `${base}/slot-types`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'listSlotTypeMappings',
        summary: 'Stage 3: slot type features — every EHR slot type, its feature and appointment type',
        description:
          'Every slot type the EHR lists or a row names, with its feature and appointment type; configured: false for one never set (not bookable).',
        params: PracticeParams,
        response: { 200: table(SlotTypeFeatureViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => ({
      rows: await mappings.slotTypeFeatures(await practices.get(request.caller, request.params.practiceId)),
    }),
  );
  app.put(
    `${base}/slot-types`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'putSlotTypeMappings',
        summary: 'Stage 3: replace the slot type features',
        description:
          'bookable: patients may book it, as the appointment type chosen; not_bookable: booked only in the EHR; unregistered_patient: at most one slot type, used for nothing else (no appointment type, no booking feature), which holds the time of a patient the EHR cannot match.',
        params: PracticeParams,
        body: put(SlotTypeRow),
        response: { 200: table(SlotTypeFeatureViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => ({
      rows: await mappings.putSlotTypeFeatures(
        request.caller,
        await practices.get(request.caller, request.params.practiceId),
        request.body.rows,
      ),
    }),
  );

  const BookingRow = Type.Object(
    { appointmentTypeId: Uuid, ehrSlotTypeId: Type.Union([EhrId, Type.Null()]) },
    { additionalProperties: false },
  );
  app.get(
    `${base}/appointment-types`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'listAppointmentTypeMappings',
        summary: 'Stage 4: booking features — the EHR slot type each appointment type is booked as',
        description:
          'Every appointment type of the booking catalogue, with the EHR slot type a booking of it is written as.',
        params: PracticeParams,
        response: { 200: table(BookingFeatureViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => ({
      rows: await mappings.bookingFeatures(await practices.get(request.caller, request.params.practiceId)),
    }),
  );
  app.put(
    `${base}/appointment-types`,
    {
      schema: {
        tags: ['mappings'],
        operationId: 'putAppointmentTypeMappings',
        summary: 'Stage 4: replace the booking features',
        description:
          "null: a booking is still written back, but the EHR slot's type is left unchanged. The unregistered-patient slot type cannot be chosen.",
        params: PracticeParams,
        body: put(BookingRow),
        response: { 200: table(BookingFeatureViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => ({
      rows: await mappings.putBookingFeatures(
        request.caller,
        await practices.get(request.caller, request.params.practiceId),
        request.body.rows,
      ),
    }),
  );

  app.get(
    '/v1/practices/:practiceId/active-slot-types',
    {
      schema: {
        tags: ['mappings'],
        operationId: 'getActiveSlotTypes',
        summary: 'The slot types the sync reads (seed 001); every other slot type is ignored',
        description: 'The ids and, as last discovered, the EHR slot types themselves.',
        params: PracticeParams,
        response: { 200: ref(ActiveSlotTypesViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) =>
      mappings.activeSlotTypes(await practices.get(request.caller, request.params.practiceId)),
  );
  app.put(
    '/v1/practices/:practiceId/active-slot-types',
    {
      schema: {
        tags: ['mappings'],
        operationId: 'putActiveSlotTypes',
        summary: 'Replace the active slot types',
        description:
          'Only these slot types are synced. One taken off the list leaves availability at the next sync; one not on it is ignored even if the EHR diary has it.',
        params: PracticeParams,
        body: Type.Object(
          { ehrSlotTypeIds: Type.Array(EhrId, { maxItems: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: ref(ActiveSlotTypesViewSchema), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) =>
      mappings.putActiveSlotTypes(
        request.caller,
        await practices.get(request.caller, request.params.practiceId),
        request.body.ehrSlotTypeIds,
      ),
  );
};
