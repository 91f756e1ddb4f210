/**
 * The booking side's catalogue: practitioners, locations and appointment types of a practice.
 * The three resources share one shape of routes: create, list, get, change, delete.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BookingEntityChanges, BookingEntityInput, BookingEntityKind } from '@slotbridge/core';
import {
  AppointmentTypeViewSchema,
  LocationViewSchema,
  PAGE_DEFAULT,
  PractitionerViewSchema,
} from '@slotbridge/core';
import { type TObject, Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const DurationMinutes = Type.Integer({ minimum: 1, maximum: 600, description: 'Length of the appointment' });

interface CatalogueResource {
  kind: BookingEntityKind;
  /** The path segment and the plural in words. */
  path: string;
  plural: string;
  noun: string;
  /** The noun with its article ("an appointment type"), for the summaries. */
  aNoun: string;
  idParam: string;
  /** Its view's schema (core), answered by every route but delete. */
  schema: typeof PractitionerViewSchema | typeof LocationViewSchema | typeof AppointmentTypeViewSchema;
  /** Its component name, also the resource of its operationIds (createPractitioner, listPractitioners…). */
  schemaId: string;
  /** The plural of schemaId, for listX. */
  schemaPlural: string;
  createBody: TObject;
  changeBody: TObject;
  /** What a delete takes with it, for the route's description. */
  onDelete: string;
}

const KEPT_BOOKINGS = 'Bookings are never deleted: they keep the slot they were made for.';

const RESOURCES: CatalogueResource[] = [
  {
    kind: 'practitioner',
    path: 'practitioners',
    plural: 'practitioners',
    noun: 'practitioner',
    aNoun: 'a practitioner',
    idParam: 'practitionerId',
    schema: PractitionerViewSchema,
    schemaId: 'Practitioner',
    schemaPlural: 'Practitioners',
    createBody: Type.Object({ name: Name }, { additionalProperties: false }),
    changeBody: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false, minProperties: 1 }),
    onDelete: `Its practitioner mapping row (stage 1) goes with it, so its EHR session holder's slots are no longer offered. ${KEPT_BOOKINGS}`,
  },
  {
    kind: 'location',
    path: 'locations',
    plural: 'locations',
    noun: 'location',
    aNoun: 'a location',
    idParam: 'locationId',
    schema: LocationViewSchema,
    schemaId: 'Location',
    schemaPlural: 'Locations',
    createBody: Type.Object({ name: Name }, { additionalProperties: false }),
    changeBody: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false, minProperties: 1 }),
    onDelete: `Its location mapping row (stage 2) goes with it, so the slots at its EHR site are no longer offered. ${KEPT_BOOKINGS}`,
  },
  {
    kind: 'appointment_type',
    path: 'appointment-types',
    plural: 'appointment types',
    noun: 'appointment type',
    aNoun: 'an appointment type',
    idParam: 'appointmentTypeId',
    schema: AppointmentTypeViewSchema,
    schemaId: 'AppointmentType',
    schemaPlural: 'AppointmentTypes',
    createBody: Type.Object(
      { name: Name, durationMinutes: DurationMinutes },
      { additionalProperties: false },
    ),
    changeBody: Type.Object(
      { name: Type.Optional(Name), durationMinutes: Type.Optional(DurationMinutes) },
      { additionalProperties: false, minProperties: 1 },
    ),
    onDelete: `Its booking feature row (stage 4) goes with it, and the slot type features (stage 3) that offered it are left without an appointment type. ${KEPT_BOOKINGS} Its bookings keep everything but their appointmentTypeId, which becomes null.`,
  },
];

export const bookingCatalogueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, catalogue } = app.slotbridge;

  for (const resource of RESOURCES) {
    const { kind, path, plural, noun, aNoun, idParam, schema, schemaId, schemaPlural } = resource;
    const collection = `/v1/practices/:practiceId/${path}`;
    const item = `${collection}/:${idParam}`;
    const ItemParams = Type.Object({
      practiceId: Type.String({ format: 'uuid' }),
      [idParam]: Type.String({ format: 'uuid' }),
    });
    const tags = ['booking catalogue'];
    // The schema guarantees both: the index signature of a computed key does not say so.
    const ids = (params: Record<string, string>) => ({
      practiceId: params.practiceId!,
      id: params[idParam]!,
    });

    app.post(
      collection,
      {
        schema: {
          tags,
          operationId: `create${schemaId}`,
          summary: `Create ${aNoun}`,
          description: `Adds ${aNoun} to the practice's booking-side catalogue. Map it to the EHR with the mapping tables. Audited as ${kind}.created.`,
          params: PracticeParams,
          body: resource.createBody,
          response: { 201: ref(schema), ...problemResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const practice = await practices.get(request.caller, request.params.practiceId);
        const created = await catalogue.create(
          request.caller,
          practice,
          kind,
          request.body as BookingEntityInput<typeof kind>,
        );
        reply.code(201).header('location', `/v1/practices/${practice.id}/${path}/${created.id}`);
        return created;
      },
    );

    app.get(
      collection,
      {
        schema: {
          tags,
          operationId: `list${schemaPlural}`,
          summary: `List the practice's ${plural}`,
          description: `Every ${noun} of the practice's booking-side catalogue, oldest first, in pages.`,
          params: PracticeParams,
          querystring: Type.Object(pageQuery(), { additionalProperties: false }),
          response: { 200: pageOfRef(schema), ...problemResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const practice = await practices.get(request.caller, request.params.practiceId);
        const { limit = PAGE_DEFAULT, cursor } = request.query;
        return pageAnswer(request, await catalogue.listPage(practice, kind, { limit, cursor }), (e) => e);
      },
    );

    app.get(
      item,
      {
        schema: {
          tags,
          operationId: `get${schemaId}`,
          summary: `Get ${aNoun}`,
          description: `An id of another practice answers 404, like an unknown one.`,
          params: ItemParams,
          response: { 200: ref(schema), ...problemResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const { practiceId, id } = ids(request.params);
        const practice = await practices.get(request.caller, practiceId);
        return catalogue.get(practice, kind, id);
      },
    );

    app.patch(
      item,
      {
        schema: {
          tags,
          operationId: `update${schemaId}`,
          summary: `Change ${aNoun}`,
          description: `Changes the fields sent; the others stay. Audited as ${kind}.updated with each change as { from, to }.`,
          params: ItemParams,
          body: resource.changeBody,
          response: { 200: ref(schema), ...problemResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const { practiceId, id } = ids(request.params);
        const practice = await practices.get(request.caller, practiceId);
        return catalogue.update(
          request.caller,
          practice,
          kind,
          id,
          request.body as BookingEntityChanges<typeof kind>,
        );
      },
    );

    app.delete(
      item,
      {
        schema: {
          tags,
          operationId: `delete${schemaId}`,
          summary: `Delete ${aNoun}`,
          description: `${resource.onDelete} Audited as ${kind}.deleted, naming the mapping rows that went with it.`,
          params: ItemParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { practiceId, id } = ids(request.params);
        const practice = await practices.get(request.caller, practiceId);
        await catalogue.delete(request.caller, practice, kind, id);
        return reply.code(204).send(null);
      },
    );
  }
};
