import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SLOTS_PAGE_DEFAULT, SLOTS_PAGE_MAX, SlotViewSchema } from '@slotbridge/core';
import { Type } from 'typebox';
import { examples } from '../openapi-examples.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const Bound = (what: string) =>
  Type.Optional(
    Type.String({
      description: `${what}: a date (YYYY-MM-DD, in the practice's time zone) or a date-time with offset`,
      examples: ['2026-11-24', '2026-11-24T09:00:00Z'],
    }),
  );

export const slotRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, availability, answers, db } = app.slotbridge;

  app.get(
    '/v1/practices/:practiceId/slots',
    {
      schema: {
        tags: ['availability'],
        operationId: 'listSlots',
        'x-response-examples': examples.listSlots.responses,
        summary: 'Slots offered for booking now',
        description:
          'Read from our database only, never from the EHR. A slot is offered when it passes every offer rule: its slot type is active, Bookable and mapped to an appointment type, its practitioner and location are mapped, it is free in the EHR, no booking of ours holds it (or overlaps it for the same practitioner), it is in the future and inside the publishing horizon, and the last good sync is recent (SLOTBRIDGE_STALE_AFTER_SECONDS). GET …/diagnostics/availability explains, with the same rules, why a slot is not offered. Times are in the practice time zone. Only slots wholly inside the window [from, to) are answered: a slot that starts before `from` or ends after `to` is not. The window is checked, never cut short silently (docs/gp-connect.md): `to` must be after `from` (422 SB_ERR_WINDOW_REVERSED); `from` no earlier than the start of yesterday (422 SB_ERR_WINDOW_IN_PAST); `to` no later than the end of the local day on which the publishing horizon ends (422 SB_ERR_WINDOW_BEYOND_HORIZON, whose `max` is the latest `to` accepted). Answers come in pages in start order: at most `limit` slots (default 500, at most 1000), and `next`, the URL of the next page (the same query with `cursor`), or null on the last page.',
        params: PracticeParams,
        querystring: Type.Object(
          {
            from: Bound('Start of the window (default: now; at the earliest the start of yesterday)'),
            to: Bound(
              'End of the window, exclusive: only slots that end by it (default: the end of the publishing horizon; at the latest the end of the day on which the horizon ends)',
            ),
            appointmentTypeId: Type.Optional(Type.String({ format: 'uuid' })),
            practitionerId: Type.Optional(Type.String({ format: 'uuid' })),
            locationId: Type.Optional(Type.String({ format: 'uuid' })),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: SLOTS_PAGE_MAX,
                default: SLOTS_PAGE_DEFAULT,
                description: 'The most slots in one page',
              }),
            ),
            cursor: Type.Optional(
              Type.String({
                description: "Where the page starts: the previous page's `next` gives it; opaque",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(ref(SlotViewSchema)),
            next: Type.Union([Type.String(), Type.Null()], {
              description: 'The URL of the next page (this query with `cursor`); null on the last page',
            }),
          }),
          ...problemResponses(400, 401, 404, 422),
        },
      },
    },
    async (request, reply) => {
      // The same query of the same practice, answered a moment ago and nothing changed since
      // (kept answers remember whose practice it is, so no lookup is needed to serve one).
      const { practiceId } = request.params;
      const asked = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      const kept = answers.get(practiceId, asked, request.caller);
      if (kept !== undefined) return reply.type('application/json; charset=utf-8').send(kept as never);
      const version = answers.version(practiceId);
      const practice = await practices.get(request.caller, practiceId);
      const { from, to, limit = SLOTS_PAGE_DEFAULT, cursor, ...filters } = request.query;
      const window = await availability.searchWindow(practice, { from, to });
      const page = await availability.answerPage(
        db,
        practice,
        { ...filters, ...window },
        { limit, ...(cursor !== undefined && { cursor }) },
      );
      let next: string | null = null;
      if (page.next) {
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(request.query)) {
          if (name !== 'cursor' && value !== undefined) query.set(name, String(value));
        }
        query.set('cursor', page.next);
        next = `/v1/practices/${practice.id}/slots?${query}`;
      }
      // Each slot's JSON was written when the offers were refreshed: the answer is joined, not
      // serialised again (the response schema above documents it).
      const body = Buffer.from(`{"data":[${page.slots.join(',')}],"next":${JSON.stringify(next)}}`);
      answers.set(practice, asked, version, body);
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );
};
