/**
 * A practice's opt-in to SMART Scheduling Links publishing (docs/publishing.md) and what its
 * published resources carry. Changed with PUT …/publishing (the whole setting at once), audited.
 */
import type { Kysely } from 'kysely';
import { type Static, type TSchema, Type } from 'typebox';
import { recordAudit } from '../audit.ts';
import type { Caller } from '../caller.ts';
import type { Database, Practice } from '../db/schema.ts';
import { ErrorCode, UnprocessableError } from '../errors.ts';
import { offersChanged } from '../offers/answer-cache.ts';
import { type PublishingDb, publishingDb } from './tables.ts';

export const PublishingErrorCode = {
  /** A setting breaks a rule (the booking link template, a URL). */
  INVALID: ErrorCode.PUBLISHING_INVALID,
  /** Publishing asked for with neither a booking link template nor a booking phone. */
  NO_BOOKING_ROUTE: ErrorCode.PUBLISHING_NO_BOOKING_ROUTE,
  /** Publishing asked for with no contact point for the Location (phone, booking phone or website). */
  NO_CONTACT: ErrorCode.PUBLISHING_NO_CONTACT,
  /** No published practice here: unknown, or not opted in. */
  NOT_PUBLISHED: ErrorCode.NOT_PUBLISHED,
  /** `_since` is not a timestamp with an offset. */
  SINCE_INVALID: ErrorCode.SINCE_INVALID,
} as const;

/** The placeholders a booking link template may use, each replaced by the slot's value, percent-encoded. */
export const BOOKING_LINK_PLACEHOLDERS = ['slotId', 'practiceId', 'appointmentTypeId', 'start'] as const;
export type BookingLinkValues = Record<(typeof BOOKING_LINK_PLACEHOLDERS)[number], string>;

/** A postal address as the practice gives it (FHIR Address), read and answered as is. */
export const PublishedAddressSchema = Type.Object(
  {
    line: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 4 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    district: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 60, examples: ['GB'] })),
  },
  { additionalProperties: false, description: "The practice's postal address, as its Location shows it" },
);

/** A coding of the service a practice's Schedules offer (FHIR Coding), read and answered as is. */
export const PublishedServiceTypeSchema = Type.Object(
  {
    system: Type.String({
      minLength: 1,
      maxLength: 300,
      examples: ['http://terminology.hl7.org/CodeSystem/service-type'],
    }),
    code: Type.String({ minLength: 1, maxLength: 100, examples: ['124'] }),
    display: Type.Optional(Type.String({ minLength: 1, maxLength: 200, examples: ['General Practice'] })),
  },
  {
    additionalProperties: false,
    description: "A coding every Schedule of the practice carries beside its appointment type's name",
  },
);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A practice's publishing setting as the API answers it (Publishing.settings). */
export const PublishingSettingsViewSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    bookingLinkTemplate: Nullable(Type.String()),
    bookingPhone: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    website: Nullable(Type.String()),
    address: Nullable(PublishedAddressSchema),
    serviceType: Nullable(PublishedServiceTypeSchema),
    manifestPath: Type.String({
      description:
        "The path of the partner's public $bulk-publish manifest (on this server), which lists the practice while enabled",
      examples: ['/publish/5b0c2f9e-8d1e-4c1a-9a51-1f1e8c1b2a3d/$bulk-publish'],
    }),
    updatedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'PublishingSettings' },
);
export type PublishingSettingsView = Static<typeof PublishingSettingsViewSchema>;

/**
 * The setting itself: enabled; the booking link template (e.g.
 * https://book.example.com/slots/{slotId}?practice={practiceId}); the booking phone; the
 * practice's front desk (the Location's phone; the booking phone when null); the website, address
 * and the service type every Schedule carries beside its appointment type's name.
 */
export type PublishingSettings = Omit<PublishingSettingsView, 'manifestPath' | 'updatedAt'>;

export type PublishingSettingsInput = Partial<PublishingSettings> & { enabled: boolean };

const NOT_SET: PublishingSettings = {
  enabled: false,
  bookingLinkTemplate: null,
  bookingPhone: null,
  phone: null,
  website: null,
  address: null,
  serviceType: null,
};

/** The path of a partner's `$bulk-publish` manifest (relative to the server's own URL). */
export const manifestPath = (partnerId: string) => `/publish/${partnerId}/$bulk-publish`;

/** The booking deep link of one slot: the template with each placeholder replaced, percent-encoded. */
export function bookingLink(template: string, values: BookingLinkValues): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? encodeURIComponent(values[name as keyof BookingLinkValues]) : whole,
  );
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Refuses settings that would publish something unusable; names the rule and the fix. */
export function checkPublishingSettings(settings: PublishingSettings): void {
  const template = settings.bookingLinkTemplate;
  if (template !== null) {
    const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
    const unknown = names.filter((n) => !(BOOKING_LINK_PLACEHOLDERS as readonly string[]).includes(n));
    if (unknown.length > 0) {
      throw new UnprocessableError(
        PublishingErrorCode.INVALID,
        `The booking link template has placeholders we do not know: ${unknown.map((n) => `{${n}}`).join(', ')}`,
        {
          fix: `Use only ${BOOKING_LINK_PLACEHOLDERS.map((n) => `{${n}}`).join(', ')}.`,
          details: { field: 'bookingLinkTemplate' },
        },
      );
    }
    if (!names.includes('slotId') && !names.includes('start')) {
      throw new UnprocessableError(
        PublishingErrorCode.INVALID,
        'The booking link template names no slot: a deep link must open the booking of that slot',
        {
          fix: 'Put {slotId} (or {start}) where your booking page expects the slot, e.g. https://book.example.com/slots/{slotId}',
          details: { field: 'bookingLinkTemplate' },
        },
      );
    }
    const sample = bookingLink(template, {
      slotId: '00000000-0000-4000-8000-000000000000',
      practiceId: '00000000-0000-4000-8000-000000000000',
      appointmentTypeId: '00000000-0000-4000-8000-000000000000',
      start: '2026-06-01T09:00:00+01:00',
    });
    if (!isHttpUrl(sample)) {
      throw new UnprocessableError(
        PublishingErrorCode.INVALID,
        `The booking link template does not make an absolute http(s) URL: ${sample}`,
        {
          fix: 'Start it with https:// and your booking page’s host.',
          details: { field: 'bookingLinkTemplate' },
        },
      );
    }
  }
  if (settings.website !== null && !isHttpUrl(settings.website)) {
    throw new UnprocessableError(
      PublishingErrorCode.INVALID,
      `"website" is not an absolute http(s) URL: ${settings.website}`,
      { fix: 'Give the full address, starting with https://', details: { field: 'website' } },
    );
  }
  if (!settings.enabled) return;
  if (settings.bookingLinkTemplate === null && settings.bookingPhone === null) {
    throw new UnprocessableError(
      PublishingErrorCode.NO_BOOKING_ROUTE,
      'A published slot must say how to book it: give a booking link template, a booking phone, or both',
      { fix: 'Add "bookingLinkTemplate" (a URL with {slotId}) or "bookingPhone".' },
    );
  }
  if (settings.phone === null && settings.bookingPhone === null && settings.website === null) {
    throw new UnprocessableError(
      PublishingErrorCode.NO_CONTACT,
      'A published Location needs at least one contact point (SMART Scheduling Links): a phone or a website',
      { fix: 'Add "phone" (the front desk), "bookingPhone" or "website".' },
    );
  }
}

export class Publishing {
  readonly #db: PublishingDb;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#db = publishingDb(db);
  }

  /** The practice's setting (not opted in until a PUT says so). */
  async settings(practice: Practice): Promise<PublishingSettingsView> {
    const row = await this.#db
      .selectFrom('practice_publishing')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .executeTakeFirst();
    const settings: PublishingSettings = row
      ? {
          enabled: row.enabled,
          bookingLinkTemplate: row.booking_link_template,
          bookingPhone: row.booking_phone,
          phone: row.phone,
          website: row.website,
          address: row.address,
          serviceType: row.service_type,
        }
      : NOT_SET;
    return {
      ...settings,
      manifestPath: manifestPath(practice.partner_id),
      updatedAt: row ? row.updated_at.toISOString() : null,
    };
  }

  /** Replaces the practice's setting with `input` (fields left out are cleared). */
  async put(
    caller: Caller,
    practice: Practice,
    input: PublishingSettingsInput,
  ): Promise<PublishingSettingsView> {
    const settings: PublishingSettings = { ...NOT_SET, ...input };
    checkPublishingSettings(settings);
    const values = {
      enabled: settings.enabled,
      booking_link_template: settings.bookingLinkTemplate,
      booking_phone: settings.bookingPhone,
      phone: settings.phone,
      website: settings.website,
      address: settings.address === null ? null : JSON.stringify(settings.address),
      service_type: settings.serviceType === null ? null : JSON.stringify(settings.serviceType),
      updated_at: this.now(),
    };
    await this.#db
      .insertInto('practice_publishing')
      .values({ practice_id: practice.id, ...values })
      .onConflict((oc) => oc.column('practice_id').doUpdateSet(values))
      .execute();
    // Every process drops the Slot file it keeps of this practice (its deep links may have changed).
    await offersChanged(this.db, practice.id);
    await recordAudit(this.db, caller, practice.id, 'practice.publishing_updated', {
      enabled: settings.enabled,
      changed: Object.keys(input),
    });
    return this.settings(practice);
  }
}
