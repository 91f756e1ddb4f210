/**
 * A partner's SMART Scheduling Links feed (docs/publishing.md): the `$bulk-publish` manifest and
 * its NDJSON files, built at each read from what GET …/slots offers (the same Availability read,
 * so the same offer rules), for the partner's practices that opted in.
 *
 * `_since`: each practice's Location, Schedules and Slots are hashed when served; a hash that
 * differs from the last one stored is a change, dated then (`published_files`). With `_since`,
 * the manifest lists a Location or Schedule file (itself filtered by `_since`) only when a
 * practice's changed after it, and a practice's Slot file only when its slots changed after it.
 * A Slot file is always the practice's whole set, so a slot booked or withdrawn since is seen
 * gone by its absence.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Availability } from '../availability.ts';
import type { Database, Practice } from '../db/schema.ts';
import { InputError, NotFoundError } from '../errors.ts';
import type { AnswerCache } from '../offers/answer-cache.ts';
import { locationResource, type PublishedAppointmentType, scheduleResource, slotResource } from './fhir.ts';
import { manifestPath, PublishingErrorCode, type PublishingSettings } from './settings.ts';
import { type PublishedKind, type PublishingDb, publishingDb } from './tables.ts';

/** One file of a manifest: its type and its path (with `_since` where it is filtered by it). */
export interface ManifestOutput {
  type: PublishedKind;
  path: string;
}

export interface Manifest {
  /** When this read began; a client passes it as the next `_since`. */
  transactionTime: Date;
  output: ManifestOutput[];
  /** A weak entity tag of what the manifest lists (not of its transactionTime). */
  etag: string;
}

/** An NDJSON file, with its entity tag. */
export interface NdjsonFile {
  body: string;
  etag: string;
}

interface PublishedPractice {
  practice: Practice;
  settings: PublishingSettings;
}

/** The Slot file's key among a practice's kept answers (no query string of GET …/slots starts with a space). */
const SLOT_FILE_ANSWER = ' publish Slot.ndjson';

const hashOf = (text: string) => createHash('sha256').update(text).digest('base64url');
const etagOf = (text: string) => `W/"${hashOf(text).slice(0, 27)}"`;
const ndjson = (resources: unknown[]) => resources.map((r) => `${JSON.stringify(r)}\n`).join('');

export const slotFilePath = (practiceId: string) => `/publish/practices/${practiceId}/Slot.ndjson`;
export const partnerFilePath = (partnerId: string, kind: 'Location' | 'Schedule') =>
  `/publish/${partnerId}/${kind}.ndjson`;

/** Reads `_since`: a FHIR instant or dateTime with a time and an offset; refuses anything else. */
export function readSince(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const at = ok ? new Date(text) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw new InputError(
      PublishingErrorCode.SINCE_INVALID,
      `"_since" is not a timestamp with an offset: "${text}"`,
      {
        fix: "Pass the previous manifest's transactionTime unchanged, e.g. 2026-12-01T09:00:00.000Z.",
      },
    );
  }
  return at;
}

export class PublishingFeed {
  readonly #db: PublishingDb;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly availability: Availability,
    private readonly now: () => Date = () => new Date(),
    /**
     * Where GET …/slots keeps its answers: a practice's Slot file is kept there too, for the same
     * few seconds, and dropped by the same change notifications (none kept when absent).
     */
    private readonly answers?: AnswerCache,
  ) {
    this.#db = publishingDb(db);
  }

  /** The manifest of a partner's published practices; 404 when none is published. */
  async manifest(partnerId: string, since?: Date): Promise<Manifest> {
    const transactionTime = this.now();
    const published = await this.#published({ partnerId });
    const output: ManifestOutput[] = [];
    const query = since ? `?_since=${encodeURIComponent(since.toISOString())}` : '';
    const hashes: string[] = [];
    let locations = since === undefined;
    let schedules = since === undefined;
    const slots: string[] = [];
    for (const one of published) {
      const id = one.practice.id;
      if (since === undefined) {
        slots.push(id);
        continue;
      }
      const [location, schedule, slot] = await Promise.all([
        this.#observe(id, 'Location', ndjson([this.#location(one)]), transactionTime),
        this.#observe(id, 'Schedule', ndjson(await this.#schedules(one)), transactionTime),
        this.#observe(id, 'Slot', await this.#slotText(one), transactionTime),
      ]);
      locations ||= location.changedAt > since;
      schedules ||= schedule.changedAt > since;
      if (slot.changedAt > since) slots.push(id);
      hashes.push(location.hash, schedule.hash, slot.hash);
    }
    if (locations)
      output.push({ type: 'Location', path: `${partnerFilePath(partnerId, 'Location')}${query}` });
    if (schedules)
      output.push({ type: 'Schedule', path: `${partnerFilePath(partnerId, 'Schedule')}${query}` });
    for (const id of slots) output.push({ type: 'Slot', path: slotFilePath(id) });
    return { transactionTime, output, etag: etagOf(JSON.stringify([output, hashes])) };
  }

  /** The Locations of a partner's published practices (only those changed after `since`, if given). */
  async locationFile(partnerId: string, since?: Date): Promise<NdjsonFile> {
    const at = this.now();
    const lines: string[] = [];
    for (const one of await this.#published({ partnerId })) {
      const text = ndjson([this.#location(one)]);
      const { changedAt } = await this.#observe(one.practice.id, 'Location', text, at);
      if (since === undefined || changedAt > since) lines.push(text);
    }
    return this.#file(lines.join(''));
  }

  /** The Schedules of a partner's published practices (only those of practices changed after `since`). */
  async scheduleFile(partnerId: string, since?: Date): Promise<NdjsonFile> {
    const at = this.now();
    const lines: string[] = [];
    for (const one of await this.#published({ partnerId })) {
      const text = ndjson(await this.#schedules(one));
      const { changedAt } = await this.#observe(one.practice.id, 'Schedule', text, at);
      if (since === undefined || changedAt > since) lines.push(text);
    }
    return this.#file(lines.join(''));
  }

  /** Every slot a published practice offers now, as free Slots; 404 when it does not publish. */
  async slotFile(practiceId: string): Promise<NdjsonFile> {
    const [one] = await this.#published({ practiceId });
    if (!one) throw this.#notPublished(`No published practice ${practiceId}`);
    const text = await this.#slotText(one);
    await this.#observe(practiceId, 'Slot', text, this.now());
    return this.#file(text);
  }

  /** The practice's Slot file: kept a few seconds while nothing changes, else built now. */
  async #slotText(one: PublishedPractice): Promise<string> {
    const kept = this.answers?.get(one.practice.id, SLOT_FILE_ANSWER, { partnerId: null, practiceId: null });
    if (kept !== undefined) return kept.toString('utf8');
    const version = this.answers?.version(one.practice.id) ?? 0;
    const text = ndjson(await this.#slots(one));
    this.answers?.set(one.practice, SLOT_FILE_ANSWER, version, Buffer.from(text));
    return text;
  }

  #file(body: string): NdjsonFile {
    return { body, etag: etagOf(body) };
  }

  #notPublished(message: string): NotFoundError {
    return new NotFoundError(PublishingErrorCode.NOT_PUBLISHED, message, {
      fix: 'Check the URL: a practice is published once PUT /v1/practices/{practiceId}/publishing sets "enabled": true; its manifest is the "manifestPath" that answer gives.',
    });
  }

  /** The opted-in practices of a partner, or the one practice; a partner with none is 404. */
  async #published(where: { partnerId: string } | { practiceId: string }): Promise<PublishedPractice[]> {
    let query = this.#db
      .selectFrom('practices')
      .innerJoin('practice_publishing as pp', 'pp.practice_id', 'practices.id')
      .selectAll('practices')
      .select([
        'pp.booking_link_template',
        'pp.booking_phone',
        'pp.phone',
        'pp.website',
        'pp.address',
        'pp.service_type',
      ])
      .where('pp.enabled', '=', true);
    query =
      'partnerId' in where
        ? query.where('practices.partner_id', '=', where.partnerId)
        : query.where('practices.id', '=', where.practiceId);
    const rows = await query.orderBy('practices.created_at').orderBy('practices.id').execute();
    if (rows.length === 0 && 'partnerId' in where) {
      throw this.#notPublished(`No published practice for partner ${where.partnerId}`);
    }
    return rows.map(
      ({ booking_link_template, booking_phone, phone, website, address, service_type, ...practice }) => ({
        practice,
        settings: {
          enabled: true,
          bookingLinkTemplate: booking_link_template,
          bookingPhone: booking_phone,
          phone,
          website,
          address,
          serviceType: service_type,
        },
      }),
    );
  }

  #location(one: PublishedPractice): unknown {
    return locationResource(one.practice, one.settings);
  }

  /** One Schedule per appointment type a bookable slot type of the practice is mapped to. */
  async #schedules(one: PublishedPractice): Promise<unknown[]> {
    const types: PublishedAppointmentType[] = await this.db
      .selectFrom('appointment_types as at')
      .select(['at.id', 'at.name', 'at.duration_minutes as durationMinutes'])
      .where('at.practice_id', '=', one.practice.id)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('slot_type_mappings as m')
            .select('m.ehr_slot_type_id')
            .whereRef('m.appointment_type_id', '=', 'at.id')
            .where('m.practice_id', '=', one.practice.id)
            .where('m.feature', '=', 'bookable')
            .where('m.disabled', '=', false),
        ),
      )
      .orderBy('at.name')
      .orderBy('at.id')
      .execute();
    return types.map((type) => scheduleResource(one.practice, one.settings, type));
  }

  /** What GET …/slots offers now, every page, as Slots. */
  async #slots(one: PublishedPractice): Promise<unknown[]> {
    const offered = await this.availability.offered(this.db, one.practice);
    return offered.map((slot) => slotResource(one.practice, one.settings, slot));
  }

  /** Stores the hash of what is served; a new hash is a change dated `at`. Answers the last change. */
  async #observe(
    practiceId: string,
    kind: PublishedKind,
    text: string,
    at: Date,
  ): Promise<{ hash: string; changedAt: Date }> {
    const hash = hashOf(text);
    const changed = await this.#db
      .insertInto('published_files')
      .values({ practice_id: practiceId, kind, hash, changed_at: at })
      .onConflict((oc) =>
        oc
          .columns(['practice_id', 'kind'])
          .doUpdateSet({ hash, changed_at: at })
          .where('published_files.hash', '<>', hash),
      )
      .returning('changed_at')
      .executeTakeFirst();
    if (changed) return { hash, changedAt: changed.changed_at };
    const stored = await this.#db
      .selectFrom('published_files')
      .select('changed_at')
      .where('practice_id', '=', practiceId)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return { hash, changedAt: stored.changed_at };
  }
}

export { manifestPath };
