/**
 * The EHR side's catalogue of a practice: discover it through the plugin, then read it for the
 * mapping tables' dropdowns.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CatalogueKind } from '@slotbridge/core';
import { DiscoverySchema, EhrCatalogueEntryViewSchema, PAGE_DEFAULT } from '@slotbridge/core';
import { Type } from 'typebox';
import { pageAnswer, pageOfRef, pageQuery } from '../pages.ts';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const LISTS: { kind: CatalogueKind; path: string; plural: string; operationId: string }[] = [
  {
    kind: 'practitioner',
    path: 'practitioners',
    plural: 'practitioners (session holders, clinicians)',
    operationId: 'listEhrPractitioners',
  },
  { kind: 'location', path: 'locations', plural: 'sites (branches)', operationId: 'listEhrLocations' },
  { kind: 'slot_type', path: 'slot-types', plural: 'slot types', operationId: 'listEhrSlotTypes' },
];

export const ehrCatalogueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, ehrCatalogue } = app.slotbridge;

  app.post(
    '/v1/practices/:practiceId/discover',
    {
      schema: {
        tags: ['EHR catalogue'],
        operationId: 'discoverEhrCatalogue',
        summary: "Read the EHR's practitioners, sites and slot types now",
        description:
          "Runs the plugin's discover hook and stores what the EHR lists. Entities the EHR no longer lists are marked gone, not deleted; the mapping rows still pointing at them are listed in mappingsPointingAtGone and kept until the practice changes them. When the EHR fails, nothing changes and the answer is the plugin's error: 503 when it is unreachable or refuses the credentials (retry later, or fix the connection), with the plugin's own code and fix.",
        params: PracticeParams,
        response: { 200: ref(DiscoverySchema), ...problemResponses(400, 401, 404, 409, 422, 503) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      return ehrCatalogue.discover(request.caller, practice);
    },
  );

  for (const { kind, path, plural, operationId } of LISTS) {
    app.get(
      `/v1/practices/:practiceId/ehr/${path}`,
      {
        schema: {
          tags: ['EHR catalogue'],
          operationId,
          summary: `The EHR's ${plural}, as last discovered`,
          description:
            'Sorted by name, then EHR id, in pages. Only what the EHR lists now, unless includeGone=true: then the gone ones too, with gone: true and goneAt. Empty until POST …/discover has run.',
          params: PracticeParams,
          querystring: Type.Object({
            includeGone: Type.Optional(
              Type.Boolean({ default: false, description: 'Also list entities the EHR no longer lists' }),
            ),
            ...pageQuery(),
          }),
          response: { 200: pageOfRef(EhrCatalogueEntryViewSchema), ...problemResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const practice = await practices.get(request.caller, request.params.practiceId);
        const { includeGone, limit = PAGE_DEFAULT, cursor } = request.query;
        const page = await ehrCatalogue.listPage(
          practice,
          kind,
          { includeGone: includeGone === true },
          { limit, cursor },
        );
        return pageAnswer(request, page, (entry) => entry);
      },
    );
  }
};
