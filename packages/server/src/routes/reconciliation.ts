import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  afterKey,
  BookingViewSchema,
  bookingETag,
  bookingView,
  type CursorPart,
  decodeCursor,
  exactInstant,
  instantToLocalIso,
  PAGE_DEFAULT,
  pageFrom,
} from '@slotbridge/core';
import { type Static, Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const ORDER: readonly CursorPart[] = ['instant', 'uuid'];

/** A booking awaiting reconciliation as the list answers it; only this route builds it. */
const ReconciliationItemSchema = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    since: Type.String({ format: 'date-time', description: 'When the slot was held' }),
    slot: Type.Object({
      ehrSlotId: Type.String({ description: "The held slot's id in the EHR" }),
      start: Type.String({ format: 'date-time' }),
      end: Type.String({ format: 'date-time' }),
    }),
    practitioner: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
    location: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  },
  { $id: 'ReconciliationItem' },
);
type ReconciliationItem = Static<typeof ReconciliationItemSchema>;

export const reconciliationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, bookings, db } = app.slotbridge;
  app.addSchema(ReconciliationItemSchema);

  app.get(
    '/v1/practices/:practiceId/reconciliation',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'listReconciliations',
        summary: 'Bookings awaiting reconciliation in the EHR',
        description:
          "Bookings whose patient the EHR could not match: the slot is held there with the unregistered-patient slot type and a note for reception. When the practice books the patient into that slot in the EHR, the next sync confirms the booking; if it releases the slot, the booking becomes cancelled_in_ehr. Patient details are in the EHR's slot note, never here. By the slot's start, in pages.",
        params: PracticeParams,
        querystring: Type.Object(pageQuery(), { additionalProperties: false }),
        response: { 200: pageOfRef(ReconciliationItemSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { limit = PAGE_DEFAULT, cursor } = request.query;
      const after = cursor === undefined ? null : decodeCursor('reconciliation', cursor, ORDER);
      let query = db
        .selectFrom('bookings as b')
        .leftJoin('practitioner_mappings as pm', (j) =>
          j
            .onRef('pm.practice_id', '=', 'b.practice_id')
            .onRef('pm.ehr_practitioner_id', '=', 'b.ehr_practitioner_id'),
        )
        .leftJoin('practitioners as p', 'p.id', 'pm.practitioner_id')
        .leftJoin('location_mappings as lm', (j) =>
          j
            .onRef('lm.practice_id', '=', 'b.practice_id')
            .onRef('lm.ehr_location_id', '=', 'b.ehr_location_id'),
        )
        .leftJoin('locations as l', 'l.id', 'lm.location_id')
        .select([
          'b.id',
          'b.updated_at',
          'b.ehr_slot_id',
          'b.start_at',
          'b.end_at',
          'p.id as practitioner_id',
          'p.name as practitioner_name',
          'l.id as location_id',
          'l.name as location_name',
        ])
        .select(exactInstant('b.start_at').as('cursor_start'))
        .where('b.practice_id', '=', practice.id)
        .where('b.state', '=', 'needs_reconciliation');
      if (after) query = query.where(afterKey(['b.start_at', 'b.id'], ORDER, after));
      const rows = await query
        .orderBy('b.start_at')
        .orderBy('b.id')
        .limit(limit + 1)
        .execute();
      const zone = practice.time_zone;
      const page = pageFrom(rows, limit, 'reconciliation', (r) => [r.cursor_start, r.id]);
      return pageAnswer(
        request,
        page,
        (r): ReconciliationItem => ({
          bookingId: r.id,
          since: r.updated_at.toISOString(),
          slot: {
            ehrSlotId: r.ehr_slot_id,
            start: instantToLocalIso(r.start_at, zone),
            end: instantToLocalIso(r.end_at, zone),
          },
          practitioner: r.practitioner_id ? { id: r.practitioner_id, name: r.practitioner_name! } : null,
          location: r.location_id ? { id: r.location_id, name: r.location_name! } : null,
        }),
      );
    },
  );

  app.post(
    '/v1/practices/:practiceId/reconciliation/:bookingId/resolve',
    {
      schema: {
        tags: ['bookings'],
        operationId: 'resolveReconciliation',
        summary: 'Mark a held booking as reconciled',
        description:
          'For EHRs whose diary cannot show it (SystmOne lists free slots only): the practice has booked the patient into the held slot, so the booking is confirmed. Where the EHR shows it (EMIS), the next sync does this by itself. Releasing the hold instead is a cancel.',
        params: Type.Object({
          practiceId: Type.String({ format: 'uuid' }),
          bookingId: Type.String({ format: 'uuid' }),
        }),
        response: { 200: ref(BookingViewSchema), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const booking = await bookings.resolveReconciliation(
        request.caller,
        practice,
        request.params.bookingId,
      );
      reply.header('etag', bookingETag(booking));
      return bookingView(booking, practice.time_zone);
    },
  );
};
