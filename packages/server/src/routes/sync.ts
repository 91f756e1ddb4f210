import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  pageFrom,
  SyncRunViewSchema,
  syncRunView,
} from '@slotbridge/core';
import { Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const RUN_ORDER: readonly CursorPart[] = ['instant', 'uuid'];

export const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, connections, sync, db } = app.slotbridge;

  app.post(
    '/v1/practices/:practiceId/sync',
    {
      schema: {
        tags: ['sync'],
        operationId: 'syncPractice',
        summary: 'Sync the practice now and return the run',
        description:
          'Reads the active slot types over the publishing horizon from the EHR, and writes only what changed. A failed run is answered 200 with status "failed" and the error: the run itself is recorded. In the background the near window (today + 48 h) is read every SLOTBRIDGE_NEAR_SYNC_SECONDS and the rest of the horizon every SLOTBRIDGE_FAR_SYNC_SECONDS anyway.',
        params: PracticeParams,
        response: { 200: ref(SyncRunViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      await connections.view(practice); // 404 with the fix when there is no connection yet
      return syncRunView(await sync.run(practice, 'manual'));
    },
  );

  app.get(
    '/v1/practices/:practiceId/sync-runs',
    {
      schema: {
        tags: ['sync'],
        operationId: 'listSyncRuns',
        summary: 'The latest sync runs of the practice, newest first',
        description:
          'At most `limit` runs (default 20), manual and background, each with its window, counts and error.',
        params: PracticeParams,
        querystring: Type.Object(pageQuery({ default: 20, max: 200 }), { additionalProperties: false }),
        response: { 200: pageOfRef(SyncRunViewSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      const { limit = 20, cursor } = request.query;
      const after = cursor === undefined ? null : decodeCursor('sync-runs', cursor, RUN_ORDER);
      let query = db
        .selectFrom('sync_runs')
        .selectAll()
        .select(exactInstant('started_at').as('cursor_started'))
        .where('practice_id', '=', practice.id);
      if (after) query = query.where(afterKey(['started_at', 'id'], RUN_ORDER, after, 'desc'));
      const runs = await query
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = pageFrom(runs, limit, 'sync-runs', (r) => [r.cursor_started, r.id]);
      return pageAnswer(request, page, ({ cursor_started: _, ...run }) => syncRunView(run));
    },
  );
};
