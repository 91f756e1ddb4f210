/**
 * SMART Scheduling Links publishing (docs/publishing.md): a practice's opt-in (with an API key),
 * and the partner's public `$bulk-publish` feed (no key, as the specification intends: the data
 * are free slots, meant to be found by any booking front-end).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type Manifest,
  type NdjsonFile,
  PublishedAddressSchema,
  PublishedServiceTypeSchema,
  Publishing,
  PublishingFeed,
  PublishingSettingsViewSchema,
  readSince,
} from '@slotbridge/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PracticeParams, problemResponses, ref } from '../schemas.ts';

const TAGS = ['publishing'];
/** How long a client should wait before polling again (the spec's Cache-Control hint), seconds. */
const MAX_AGE_SECONDS = 60;

const Phone = Type.String({
  pattern: '^\\+?[0-9][0-9 ()-]{2,29}$',
  description: 'A phone number: digits, spaces, brackets and dashes, optionally starting with +',
  examples: ['+44 20 7946 0000'],
});
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const SettingsFields = {
  enabled: Type.Boolean({ description: "Publish this practice's free slots in the partner's public feed" }),
  bookingLinkTemplate: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          "Each Slot's booking deep link: an absolute http(s) URL with {slotId} (or {start}); {practiceId}, {appointmentTypeId} and {start} may be used too, each replaced by the slot's value, percent-encoded",
        examples: ['https://book.example.com/practices/{practiceId}/slots/{slotId}'],
      }),
    ),
  ),
  bookingPhone: Type.Optional(Nullable(Phone)),
  phone: Type.Optional(Nullable(Phone)),
  website: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 500, examples: ['https://surgery.example.com'] })),
  ),
  address: Type.Optional(Nullable(PublishedAddressSchema)),
  serviceType: Type.Optional(Nullable(PublishedServiceTypeSchema)),
};

export const publishingSettingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { practices, db, availability } = app.slotbridge;
  const publishing = new Publishing(db, availability.now);

  app.get(
    '/v1/practices/:practiceId/publishing',
    {
      schema: {
        tags: TAGS,
        operationId: 'getPublishingSettings',
        summary: "The practice's SMART Scheduling Links publishing setting",
        description:
          "Whether the practice is in its partner's public $bulk-publish feed, and what its Location, Schedules and Slots carry. A practice never set up answers enabled: false.",
        params: PracticeParams,
        response: { 200: ref(PublishingSettingsViewSchema), ...problemResponses(404) },
      },
    },
    async (request) => publishing.settings(await practices.get(request.caller, request.params.practiceId)),
  );

  app.put(
    '/v1/practices/:practiceId/publishing',
    {
      schema: {
        tags: TAGS,
        operationId: 'setPublishingSettings',
        summary: 'Opt the practice in or out of SMART Scheduling Links publishing',
        description:
          "Replaces the whole setting (a field left out is cleared). With enabled: true the practice's free slots are in its partner's public feed (GET /publish/{partnerId}/$bulk-publish) at the next read, and a slot needs a way to be booked: bookingLinkTemplate or bookingPhone (422 SB_ERR_PUBLISHING_NO_BOOKING_ROUTE); its Location a contact point: phone, bookingPhone or website (422 SB_ERR_PUBLISHING_NO_CONTACT). enabled: false takes it out at the next read. Audited.",
        params: PracticeParams,
        body: Type.Object(SettingsFields, { additionalProperties: false }),
        response: { 200: ref(PublishingSettingsViewSchema), ...problemResponses(404, 422) },
      },
    },
    async (request) => {
      const practice = await practices.get(request.caller, request.params.practiceId);
      return publishing.put(request.caller, practice, request.body);
    },
  );
};

const Since = Type.Object(
  {
    _since: Type.Optional(
      Type.String({
        description:
          "Only what changed after this instant (a timestamp with an offset): pass the previous manifest's transactionTime",
        examples: ['2026-12-01T09:00:00.000Z'],
      }),
    ),
  },
  { additionalProperties: false },
);
const PartnerParams = Type.Object({ partnerId: Type.String({ format: 'uuid' }) });

const ndjsonAnswer = (what: string) => ({
  description: `${what}: FHIR R4 resources, one minified JSON object a line`,
  content: { 'application/fhir+ndjson': { schema: Type.String() } },
});
const notModified = { description: 'Not modified: If-None-Match names the current ETag', type: 'null' };

const ManifestSchema = Type.Object(
  {
    transactionTime: Type.String({
      format: 'date-time',
      description: 'When this read began: the `_since` of the next incremental read',
    }),
    request: Type.String({ description: 'The full URL of this manifest, as asked' }),
    output: Type.Array(
      Type.Object({
        type: Type.Union([Type.Literal('Location'), Type.Literal('Schedule'), Type.Literal('Slot')]),
        url: Type.String({ description: 'The full URL of an NDJSON file' }),
      }),
    ),
    error: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { description: 'A SMART Scheduling Links bulk publication manifest' },
);

/** The server's own URL as the client reached it. */
const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

/** 304 when If-None-Match names `etag`; otherwise sets the caching headers. */
function notModifiedSince(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag).header('cache-control', `public, max-age=${MAX_AGE_SECONDS}`);
  const asked = request.headers['if-none-match'];
  if (asked === undefined) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return asked.trim() === '*' || asked.split(',').some((tag) => weak(tag) === weak(etag));
}

export const publicationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, availability, answers } = app.slotbridge;
  const feed = new PublishingFeed(db, availability, availability.now, answers);

  const sendFile = (request: FastifyRequest, reply: FastifyReply, file: NdjsonFile) => {
    if (notModifiedSince(request, reply, file.etag)) return reply.code(304).send();
    return reply.type('application/fhir+ndjson').send(Buffer.from(file.body) as never);
  };
  const manifestBody = (request: FastifyRequest, manifest: Manifest) => ({
    transactionTime: manifest.transactionTime.toISOString(),
    request: `${baseUrl(request)}${request.url}`,
    output: manifest.output.map((o) => ({ type: o.type, url: `${baseUrl(request)}${o.path}` })),
    error: [],
  });

  app.get(
    '/publish/:partnerId/$bulk-publish',
    {
      schema: {
        tags: TAGS,
        operationId: 'getBulkPublishManifest',
        summary: "The partner's SMART Scheduling Links manifest",
        description:
          "Public, no API key (SMART Scheduling Links: publishers serve open endpoints). Lists the Location and Schedule files of the partner's practices that opted in (PUT …/publishing) and one Slot file per practice. With _since, only the files with changes after it: the Location and Schedule files (filtered by the same _since) when a practice's changed, and the Slot file of each practice whose offered slots changed (a Slot file is always the practice's whole set). 404 when the partner publishes no practice. ETag and If-None-Match; Cache-Control max-age is the polling interval we suggest.",
        security: [],
        params: PartnerParams,
        querystring: Since,
        response: { 200: ManifestSchema, 304: notModified, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const manifest = await feed.manifest(request.params.partnerId, readSince(request.query._since));
      if (notModifiedSince(request, reply, manifest.etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(manifestBody(request, manifest));
    },
  );

  app.get(
    '/publish/:partnerId/Location.ndjson',
    {
      schema: {
        tags: TAGS,
        operationId: 'getPublishedLocations',
        summary: "The Locations of the partner's published practices",
        description:
          'Public. One FHIR R4 Location per practice that opted in: its name, ODS code and time zone, and the address and contact points of its publishing setting. With _since, only those changed after it. 404 when the partner publishes no practice.',
        security: [],
        params: PartnerParams,
        querystring: Since,
        response: { 200: ndjsonAnswer('Locations'), 304: notModified, ...problemResponses(404) },
      },
    },
    async (request, reply) =>
      sendFile(
        request,
        reply,
        await feed.locationFile(request.params.partnerId, readSince(request.query._since)),
      ),
  );

  app.get(
    '/publish/:partnerId/Schedule.ndjson',
    {
      schema: {
        tags: TAGS,
        operationId: 'getPublishedSchedules',
        summary: "The Schedules of the partner's published practices",
        description:
          "Public. One FHIR R4 Schedule per appointment type a practice offers (a bookable slot type is mapped to it), its id the appointment type's, its actor the practice's Location. With _since, only the Schedules of practices whose Schedules changed after it. 404 when the partner publishes no practice.",
        security: [],
        params: PartnerParams,
        querystring: Since,
        response: { 200: ndjsonAnswer('Schedules'), 304: notModified, ...problemResponses(404) },
      },
    },
    async (request, reply) =>
      sendFile(
        request,
        reply,
        await feed.scheduleFile(request.params.partnerId, readSince(request.query._since)),
      ),
  );

  app.get(
    '/publish/practices/:practiceId/Slot.ndjson',
    {
      schema: {
        tags: TAGS,
        operationId: 'getPublishedSlots',
        summary: 'The free Slots of a published practice',
        description:
          "Public. Every slot GET …/slots offers now (the same offer rules: never a booked, held or past slot, nothing when the practice's sync is stale), as FHIR R4 Slots with status free, start and end in the practice's offset, the Schedule of its appointment type, and the booking deep link and booking phone extensions. Always the whole set. 404 when the practice does not publish.",
        security: [],
        params: PracticeParams,
        response: { 200: ndjsonAnswer('Slots'), 304: notModified, ...problemResponses(404) },
      },
    },
    async (request, reply) => sendFile(request, reply, await feed.slotFile(request.params.practiceId)),
  );
};
