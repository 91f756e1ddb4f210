/**
 * Shared schemas: one TypeBox source for validation, serialisation and the OpenAPI components
 * (each `$id` becomes a component of the same name). Each view the API answers is declared once,
 * beside the code that builds it — in core (Booking, Slot, Practice, SyncRun, AuditEvent,
 * EhrCatalogueEntry, IssuedApiKey, ApiKey, SetupCheck, Connection, Practitioner, Location,
 * AppointmentType, MappingPointingAtGone, Discovery, the four mapping rows, ActiveSlotTypes,
 * WebhookEndpoint, WebhookDeliveryAttempt, PublishingSettings, DiaryEntry, AvailabilityDiagnosis:
 * registered here), or in the route file when only the route builds it (Partner and
 * RotatedApiKey in routes/partners.ts, Plugin in routes/plugins.ts, ReconciliationItem in
 * routes/reconciliation.ts: registered by their route) —
 * its type derived from the schema. Routes name a component with `ref(schema)` /
 * `pageOfRef(schema)` (never by a string), typed as the schema, so the compiler checks each answer.
 */
import {
  ActiveSlotTypesViewSchema,
  ApiKeyViewSchema,
  AppointmentTypeViewSchema,
  AuditEventViewSchema,
  AvailabilityDiagnosisSchema,
  BookingFeatureViewSchema,
  BookingViewSchema,
  ConnectionViewSchema,
  DiaryEntrySchema,
  DiscoverySchema,
  EhrCatalogueEntryViewSchema,
  IssuedKeySchema,
  LocationMappingViewSchema,
  LocationViewSchema,
  MappingPointingAtGoneSchema,
  PracticeViewSchema,
  PractitionerMappingViewSchema,
  PractitionerViewSchema,
  PublishingSettingsViewSchema,
  SetupCheckSchema,
  SlotTypeFeatureViewSchema,
  SlotViewSchema,
  SyncRunViewSchema,
  WebhookAttemptViewSchema,
  WebhookEndpointViewSchema,
} from '@slotbridge/core';
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the error code' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What went wrong, in words' }),
    code: Type.String({ description: 'Stable error code, listed in docs/errors.md' }),
    fix: Type.Optional(Type.String({ description: 'What to do about it' })),
    instance: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const sharedSchemas = [
  ProblemSchema,
  IssuedKeySchema,
  ApiKeyViewSchema,
  PracticeViewSchema,
  SetupCheckSchema,
  ConnectionViewSchema,
  SyncRunViewSchema,
  SlotViewSchema,
  BookingViewSchema,
  PractitionerViewSchema,
  LocationViewSchema,
  AppointmentTypeViewSchema,
  EhrCatalogueEntryViewSchema,
  MappingPointingAtGoneSchema,
  DiscoverySchema,
  AuditEventViewSchema,
  DiaryEntrySchema,
  AvailabilityDiagnosisSchema,
  PractitionerMappingViewSchema,
  LocationMappingViewSchema,
  SlotTypeFeatureViewSchema,
  BookingFeatureViewSchema,
  ActiveSlotTypesViewSchema,
  WebhookEndpointViewSchema,
  WebhookAttemptViewSchema,
  PublishingSettingsViewSchema,
];

/**
 * A reference to a shared schema (`{ $ref: '<$id>' }`, so the document names it as a component),
 * typed as the schema itself: the compiler checks what a route answers against it.
 */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>(Type.Ref(schemaId(schema)));
}

/** The `$id` of a shared schema; one without is a mistake of ours. */
export function schemaId(schema: TSchema): string {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('A shared schema has an $id');
  return id;
}

/** What each error status means in this API: the description of its OpenAPI response. */
const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid: a field (SB_ERR_VALIDATION, listed in `errors`), the JSON, the URL or the HTTP itself',
  401: 'No API key, or one not valid or revoked (SB_ERR_UNAUTHENTICATED)',
  403: 'This key may not do this (SB_ERR_ADMIN_ONLY: the admin key only)',
  404: 'Not found: the practice, or what the path names, is unknown to this key (an id of another partner answers the same)',
  409: 'In conflict with the current state (the code says which: a slot taken, a capability the EHR lacks, …)',
  412: 'The If-Match precondition failed: the booking changed since it was read (SB_ERR_BOOKING_VERSION_MISMATCH)',
  413: 'The body is too large (SB_ERR_BODY_TOO_LARGE)',
  414: 'A part of the path is longer than any id (SB_ERR_URL_TOO_LONG)',
  415: 'The body is not JSON (SB_ERR_MEDIA_TYPE_UNSUPPORTED)',
  422: 'Well-formed, but breaks a rule (the code and `fix` say which)',
  429: 'Too many requests: failed authentications from this address, or bookings from this key; retry after Retry-After',
  500: 'Something went wrong on our side; it is logged (SB_ERR_INTERNAL)',
  503: 'Unavailable for now: the EHR, the server shutting down or too slow to answer; retry after Retry-After',
};

/**
 * One error answer for the OpenAPI document and the serialiser: application/problem+json with
 * the shared Problem schema (problem.ts sends every error so).
 */
export const problemResponse = (status: number) => ({
  description: PROBLEM_DESCRIPTIONS[status] ?? 'An error',
  content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
});

/**
 * The errors a route answers itself (its domain's), for `response: { 200: …, ...problemResponses(404, 409) }`.
 * The ones every route of its kind can answer (400, 500, 503; 401 and 429 with an API key; 403
 * on admin routes; 413/415 with a body; 414 with a path id) are added by openapi.ts.
 */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemResponse(s)]));

export const PracticeParams = Type.Object({ practiceId: Type.String({ format: 'uuid' }) });
