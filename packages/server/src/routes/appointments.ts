import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  addLocalDays,
  CoreErrorCode,
  cursorError,
  type DiaryEntry,
  DiaryEntrySchema,
  decodeCursor,
  encodeCursor,
  InputError,
  localDateOf,
  PAGE_DEFAULT,
  readTimeBound,
  startOfLocalDay,
} from '@slotbridge/core';
import { Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses } from '../schemas.ts';

const MAX_DAYS = 93;

/**
 * The diary's order (start, EHR slot id, then booking id: unique, as an EHR slot holds at most one
 * live booking of ours) as a key, and whether an entry comes after a cursor's key.
 */
const diaryKey = (e: DiaryEntry): [string, string, string] => [e.start, e.ehrSlotId, e.bookingId ?? ''];

function comesAfter(e: DiaryEntry, key: string[]): boolean {
  const [start, ehrSlotId, bookingId] = diaryKey(e);
  const byStart = Date.parse(start) - Date.parse(key[0]!);
  if (byStart !== 0) return byStart > 0;
  const bySlot = ehrSlotId.localeCompare(key[1]!);
  if (bySlot !== 0) return bySlot > 0;
  return bookingId > key[2]!;
}

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
          'EHR bookings show as the appointment type their slot type is mapped to; those of a --DISABLED-- slot type are left out (their time stays unavailable). Patient details are never shown. Default window: today and the next 6 days; at most 93 days. By start, in pages (the window is read whole, then cut into pages).',
        params: PracticeParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ description: 'YYYY-MM-DD or a date-time with offset' })),
            to: Type.Optional(
              Type.String({ description: 'exclusive; YYYY-MM-DD or a date-time with offset' }),
            ),
            ...pageQuery(),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOfRef(DiaryEntrySchema), ...problemResponses(400, 401, 404) },
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
      const { limit = PAGE_DEFAULT, cursor } = request.query;
      const after =
        cursor === undefined ? null : decodeCursor('appointments', cursor, ['text', 'text', 'text']);
      if (after && Number.isNaN(Date.parse(after[0]!))) throw cursorError(cursor!);
      const entries = await diary.appointments(db, practice, from, to);
      const rest = after ? entries.filter((e) => comesAfter(e, after)) : entries;
      const items = rest.slice(0, limit);
      const next = rest.length > limit ? encodeCursor('appointments', diaryKey(items.at(-1)!)) : null;
      return pageAnswer(request, { items, next }, (entry) => entry);
    },
  );
};
