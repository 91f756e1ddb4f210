/** Practices: one tenant each, with one EHR plugin, a time zone and a publishing horizon. */

import { sql } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import { Channel } from './coordination.ts';
import type { Db } from './db/database.ts';
import type { Practice } from './db/schema.ts';
import type { EhrCapabilities } from './ehr-plugin.ts';
import type { EhrRegistry } from './ehr-registry.ts';
import {
  CoreErrorCode,
  ERRORS,
  InputError,
  NotFoundError,
  SlotbridgeError,
  UnprocessableError,
} from './errors.ts';
import { type OfferDeps, refreshOffers } from './offers/offers.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from './pages.ts';
import { assertTimeZone } from './time.ts';
import { DateTime } from './view-schemas.ts';

/** A practice as the API answers it (component `Practice`). */
export const PracticeViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    partnerId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    odsCode: Type.Union([Type.String(), Type.Null()]),
    ehr: Type.String({ description: 'The EHR plugin id' }),
    timeZone: Type.String({ description: 'IANA time zone of the diary' }),
    publishingHorizonDays: Type.Integer({
      description: "How far ahead slots are offered: the practice's setting or the plugin's default",
    }),
    ehrCallsPerMinute: Type.Integer({
      description:
        "The most EHR calls a minute this practice's connection may make: its own budget (PATCH, at most the plugin's callsPerMinute) or the plugin's",
    }),
    createdAt: DateTime('When it was created'),
    updatedAt: DateTime('When it last changed'),
  },
  { $id: 'Practice' },
);
export type PracticeView = Static<typeof PracticeViewSchema>;

export interface CreatePracticeInput {
  name: string;
  odsCode?: string | null;
  ehr: string;
  timeZone: string;
  publishingHorizonDays?: number | null;
  /** Required for the admin key; a partner key always creates in its own partner. */
  partnerId?: string;
}

export interface UpdatePracticeInput {
  name?: string;
  odsCode?: string | null;
  timeZone?: string;
  publishingHorizonDays?: number | null;
  /** A budget below the plugin's callsPerMinute; null: the plugin's. */
  ehrCallsPerMinute?: number | null;
}

/** The practice's EHR call budget a minute: its own, never above the plugin's. */
export function callsPerMinuteOf(practice: Practice, capabilities: EhrCapabilities): number {
  return Math.min(practice.ehr_calls_per_minute ?? capabilities.callsPerMinute, capabilities.callsPerMinute);
}

export class Practices {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    /** What refreshing the stored offers needs (a time zone change rewrites their times). */
    private readonly offers: () => OfferDeps,
  ) {}

  /**
   * The practice, if the caller may see it; otherwise 404 (never 403: ids of others stay secret).
   * A practice key sees its own practice only: another practice of its partner is 404 too.
   */
  async get(caller: Caller, practiceId: string): Promise<Practice> {
    if (caller.practiceId !== null && caller.practiceId !== practiceId) throw this.#notFound(practiceId);
    let query = this.db.selectFrom('practices').selectAll().where('id', '=', practiceId);
    if (caller.partnerId !== null) query = query.where('partner_id', '=', caller.partnerId);
    const practice = await query.executeTakeFirst();
    if (!practice) throw this.#notFound(practiceId);
    return practice;
  }

  #notFound(practiceId: string): NotFoundError {
    return new NotFoundError(CoreErrorCode.PRACTICE_NOT_FOUND, `No practice ${practiceId} for this API key`, {
      fix: 'Check the practice id; GET /v1/practices lists the practices this key can reach.',
    });
  }

  async list(caller: Caller): Promise<Practice[]> {
    let query = this.db.selectFrom('practices').selectAll().orderBy('created_at').orderBy('id');
    if (caller.partnerId !== null) query = query.where('partner_id', '=', caller.partnerId);
    if (caller.practiceId !== null) query = query.where('id', '=', caller.practiceId);
    return query.execute();
  }

  /** The practices the caller reaches, oldest first, in pages (keyset on created_at, id). */
  async listPage(caller: Caller, page: PageRequest): Promise<Page<Practice>> {
    const order: readonly CursorPart[] = ['instant', 'uuid'];
    const after = page.cursor === undefined ? null : decodeCursor('practices', page.cursor, order);
    let query = this.db
      .selectFrom('practices')
      .selectAll()
      .select(exactInstant('created_at').as('cursor_created'));
    if (caller.partnerId !== null) query = query.where('partner_id', '=', caller.partnerId);
    if (caller.practiceId !== null) query = query.where('id', '=', caller.practiceId);
    if (after) query = query.where(afterKey(['created_at', 'id'], order, after));
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, 'practices', (r) => [r.cursor_created, r.id]);
    return { items: items.map(({ cursor_created: _, ...practice }) => practice), next };
  }

  async create(caller: Caller, input: CreatePracticeInput): Promise<Practice> {
    // The server refuses it before (auth.ts); a practice key never makes a practice.
    if (caller.practiceId !== null) {
      const { category, title, fix } = ERRORS[CoreErrorCode.PRACTICE_KEY_NOT_ALLOWED];
      throw new SlotbridgeError(
        CoreErrorCode.PRACTICE_KEY_NOT_ALLOWED,
        category,
        `${title}: creating a practice`,
        {
          fix,
        },
      );
    }
    const partnerId = caller.partnerId ?? input.partnerId;
    if (!partnerId) {
      throw new InputError(
        CoreErrorCode.PARTNER_REQUIRED,
        'The admin key must say which partner the practice belongs to',
        {
          fix: 'Add "partnerId" to the body (POST /v1/partners creates one).',
        },
      );
    }
    if (caller.partnerId !== null && input.partnerId !== undefined && input.partnerId !== caller.partnerId) {
      throw new NotFoundError(
        CoreErrorCode.PARTNER_NOT_FOUND,
        `No partner ${input.partnerId} for this API key`,
      );
    }
    const partner = await this.db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (!partner) throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId}`);
    this.ehr.get(input.ehr);
    assertTimeZone(input.timeZone);
    await this.assertHorizon(input.ehr, input.publishingHorizonDays ?? null);
    const practice = await this.db
      .insertInto('practices')
      .values({
        partner_id: partnerId,
        name: input.name,
        ods_code: input.odsCode ?? null,
        ehr: input.ehr,
        time_zone: input.timeZone,
        publishing_horizon_days: input.publishingHorizonDays ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(this.db, caller, practice.id, 'practice.created', { name: input.name, ehr: input.ehr });
    return practice;
  }

  async update(caller: Caller, practiceId: string, input: UpdatePracticeInput): Promise<Practice> {
    const practice = await this.get(caller, practiceId);
    if (input.timeZone !== undefined) assertTimeZone(input.timeZone);
    if (input.publishingHorizonDays !== undefined)
      await this.assertHorizon(practice.ehr, input.publishingHorizonDays);
    if (input.ehrCallsPerMinute !== undefined) this.assertCallBudget(practice.ehr, input.ehrCallsPerMinute);
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('practices')
        .set({
          ...(input.name !== undefined && { name: input.name }),
          ...(input.odsCode !== undefined && { ods_code: input.odsCode }),
          ...(input.timeZone !== undefined && { time_zone: input.timeZone }),
          ...(input.publishingHorizonDays !== undefined && {
            publishing_horizon_days: input.publishingHorizonDays,
          }),
          ...(input.ehrCallsPerMinute !== undefined && { ehr_calls_per_minute: input.ehrCallsPerMinute }),
          updated_at: new Date(),
        })
        .where('id', '=', practiceId)
        .returningAll()
        .executeTakeFirstOrThrow();
      // The stored answers of /slots are written in the practice's time zone.
      if (row.time_zone !== practice.time_zone) await refreshOffers(trx, this.offers(), row);
      return row;
    });
    await recordAudit(this.db, caller, practiceId, 'practice.updated', { changed: Object.keys(input) });
    // The scheduler that reads the practice applies a new budget or horizon now, not at its next reload.
    await sql`select pg_notify(${Channel.practices}, ${practiceId})`.execute(this.db);
    return updated;
  }

  /** The practice's publishing horizon in days: its own setting or the plugin's default. */
  async horizonDays(practice: Practice): Promise<number> {
    if (practice.publishing_horizon_days !== null) return practice.publishing_horizon_days;
    return (await this.ehr.capabilities(practice.ehr)).publishingHorizonDays.default;
  }

  async view(practice: Practice): Promise<PracticeView> {
    return {
      id: practice.id,
      partnerId: practice.partner_id,
      name: practice.name,
      odsCode: practice.ods_code,
      ehr: practice.ehr,
      timeZone: practice.time_zone,
      publishingHorizonDays: await this.horizonDays(practice),
      ehrCallsPerMinute: this.callsPerMinute(practice),
      createdAt: practice.created_at.toISOString(),
      updatedAt: practice.updated_at.toISOString(),
    };
  }

  callsPerMinute(practice: Practice): number {
    return callsPerMinuteOf(practice, this.ehr.get(practice.ehr).capabilities);
  }

  private assertCallBudget(ehr: string, perMinute: number | null): void {
    if (perMinute === null) return;
    const max = this.ehr.get(ehr).capabilities.callsPerMinute;
    if (!Number.isInteger(perMinute) || perMinute < 1 || perMinute > max) {
      throw new UnprocessableError(
        CoreErrorCode.CALL_BUDGET_TOO_HIGH,
        `A practice may lower its EHR call budget, not raise it: ${ehr} allows at most ${max} calls a minute; ${perMinute} was asked for`,
        {
          fix: `Choose a whole number from 1 to ${max}, or null for the plugin's ${max}.`,
          details: { max },
        },
      );
    }
  }

  private async assertHorizon(ehr: string, days: number | null): Promise<void> {
    if (days === null) return;
    const { max } = (await this.ehr.capabilities(ehr)).publishingHorizonDays;
    if (!Number.isInteger(days) || days < 1 || days > max) {
      throw new UnprocessableError(
        CoreErrorCode.HORIZON_TOO_LONG,
        `The publishing horizon must be between 1 and ${max} days for ${ehr}; ${days} was asked for`,
        { fix: `Choose at most ${max} days, the most ${ehr} publishes ahead.`, details: { max } },
      );
    }
  }
}
