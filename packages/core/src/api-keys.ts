/**
 * API keys: random 192-bit tokens, stored as SHA-256 hashes (a high-entropy token needs no slow
 * hash). A partner key reaches that partner's practices only; the admin key reaches all. A
 * practice key (`practice_id`) reaches one practice of its partner, for that practice's manager:
 * it is one of the partner's keys (listed, revoked and rotated with them; a rotation keeps the
 * practice), and can do nothing at the partner's level (the server refuses it there with 403).
 *
 * A partner's keys are listed (never the key itself: its prefix), revoked (it stops at once) and
 * rotated: a new key is issued and the old one keeps working for a grace period
 * (`expires_at`, default 24 h, at most 7 days, 0 = stops now), so a client can switch over
 * without an outage.
 *
 * Verifying a key costs no database write and, most of the time, no read: a verified key is
 * remembered by its hash for `cacheSeconds` (revoking it in this process forgets it at once; other
 * processes stop accepting it within `cacheSeconds`). `last_used_at` is recorded lazily: at most
 * once a `lastUsedSeconds` per key, in one batched UPDATE off the request path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type Static, Type } from 'typebox';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import { ConflictError, CoreErrorCode, InputError, NotFoundError } from './errors.ts';
import {
  afterKey,
  type CursorPart,
  decodeCursor,
  exactInstant,
  type Page,
  type PageRequest,
  pageFrom,
} from './pages.ts';

/** How long a rotated key keeps working when the rotation does not say: 24 hours. */
export const ROTATION_GRACE_DEFAULT_SECONDS = 86_400;
/** The longest grace a rotation may give the old key: 7 days. */
export const ROTATION_GRACE_MAX_SECONDS = 7 * 86_400;

/** A key as listed: never the key itself, nor its hash. */
export const ApiKeyViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    partnerId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    practiceId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description:
        "A practice key: the one practice it reaches; null: a partner key, reaching all the partner's practices",
    }),
    label: Type.String(),
    prefix: Type.String({ description: 'The first 10 characters of the key (sb_…), to recognise it' }),
    status: Type.Union(
      [Type.Literal('active'), Type.Literal('expiring'), Type.Literal('expired'), Type.Literal('revoked')],
      {
        description:
          'active; expiring: rotated, still accepted until expiresAt; expired: rotated and its grace is over; revoked',
      },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Recorded at most once a minute per key; null: never used',
    }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'A rotated key: when it stops being accepted; null: not rotated',
    }),
    replacedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'A rotated key: the id of the key issued in its place',
    }),
  },
  { $id: 'ApiKey', description: 'An API key of a partner. The key itself is shown only once, when issued.' },
);
export type ApiKeyView = Static<typeof ApiKeyViewSchema>;

export interface RotatedKey {
  /** The new key, shown once. */
  issued: IssuedKey;
  /** The old key, now expiring (or revoked when the grace was 0). */
  previous: ApiKeyView;
}

const KEY_LIST = 'api-keys';
const KEY_ORDER: readonly CursorPart[] = ['instant', 'uuid'];

export function generateApiKey(): string {
  return `sb_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A key as issued, the one time the key itself is answered (component `IssuedApiKey`). */
export const IssuedKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    key: Type.String({ description: 'The key itself. Shown once: only its hash is kept.' }),
    prefix: Type.String({ description: 'The first characters, to recognise the key later' }),
    label: Type.String(),
    partnerId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    practiceId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: "A practice key: the one practice it reaches; null: a partner key (or the admin's)",
    }),
  },
  { $id: 'IssuedApiKey' },
);
export type IssuedKey = Static<typeof IssuedKeySchema>;

export interface AdminKeyOutcome {
  /** The plaintext key when it was generated now (print it once); null otherwise. */
  generatedKey: string | null;
  source: 'environment' | 'generated' | 'existing';
}

export interface ApiKeysOptions {
  /** How long a verified key is trusted without asking the database again. Default 30. */
  cacheSeconds?: number;
  /** The most often `last_used_at` is written per key. Default 60. */
  lastUsedSeconds?: number;
  now?: () => Date;
  /** Where a failed `last_used_at` write is reported. */
  onError?: (error: unknown) => void;
}

interface Verified {
  caller: Caller;
  hash: string;
  /** Trusted without the database until then (never past the key's expiry), epoch ms. */
  until: number;
  /** When a rotated key stops, epoch ms; null: no end. */
  expiresAt: number | null;
}

export class ApiKeys {
  readonly #verified = new Map<string, Verified>();
  /** When `last_used_at` was last recorded (or queued) per key id, epoch ms. */
  readonly #recorded = new Map<string, number>();
  /** Key id → the use to record at the next flush. */
  readonly #pending = new Map<string, Date>();
  #flushTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  readonly #cacheMs: number;
  readonly #lastUsedMs: number;
  readonly #now: () => Date;
  readonly #onError: (error: unknown) => void;

  constructor(
    private readonly db: Db,
    options: ApiKeysOptions = {},
  ) {
    this.#cacheMs = (options.cacheSeconds ?? 30) * 1000;
    this.#lastUsedMs = (options.lastUsedSeconds ?? 60) * 1000;
    this.#now = options.now ?? (() => new Date());
    this.#onError = options.onError ?? (() => {});
  }

  /** The caller a key stands for, or null when it is unknown, revoked or past its rotation grace. */
  async authenticate(key: string): Promise<Caller | null> {
    const hash = hashApiKey(key);
    const now = this.#now();
    let verified = this.#verified.get(hash);
    if (!verified || verified.until <= now.getTime()) {
      const row = await this.db
        .selectFrom('api_keys')
        .select(['id', 'partner_id', 'practice_id', 'expires_at'])
        .where('key_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const expiresAt = row?.expires_at?.getTime() ?? null;
      if (!row || (expiresAt !== null && expiresAt <= now.getTime())) {
        this.#verified.delete(hash);
        return null;
      }
      verified = {
        caller: { apiKeyId: row.id, partnerId: row.partner_id, practiceId: row.practice_id },
        hash,
        until: Math.min(now.getTime() + this.#cacheMs, expiresAt ?? Number.POSITIVE_INFINITY),
        expiresAt,
      };
      this.#verified.set(hash, verified);
    }
    this.#noteUse(verified.caller.apiKeyId, now);
    return verified.caller;
  }

  /** Revokes a key: it stops working at once in this process, within `cacheSeconds` in others. */
  async revoke(apiKeyId: string): Promise<void> {
    const row = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: this.#now() })
      .where('id', '=', apiKeyId)
      .where('revoked_at', 'is', null)
      .returning('key_hash')
      .executeTakeFirst();
    this.#forget(apiKeyId, row?.key_hash);
    if (!row) {
      const exists = await this.db
        .selectFrom('api_keys')
        .select('id')
        .where('id', '=', apiKeyId)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError(CoreErrorCode.API_KEY_NOT_FOUND, `No API key ${apiKeyId}`);
    }
  }

  /** Drops a key from the verified cache: its next use asks the database. */
  #forget(apiKeyId: string, keyHash?: string): void {
    for (const [hash, verified] of this.#verified) {
      if (verified.caller.apiKeyId === apiKeyId || hash === keyHash) this.#verified.delete(hash);
    }
  }

  /** A partner's keys (not the admin's), oldest first, in pages; 404 for an unknown partner. */
  async listPartnerKeys(partnerId: string, page: PageRequest): Promise<Page<ApiKeyView>> {
    await this.#partnerExists(partnerId);
    const after = page.cursor === undefined ? null : decodeCursor(KEY_LIST, page.cursor, KEY_ORDER);
    let query = this.db
      .selectFrom('api_keys')
      .selectAll()
      .select(exactInstant('created_at').as('cursor_created'))
      .where('partner_id', '=', partnerId);
    if (after) query = query.where(afterKey(['created_at', 'id'], KEY_ORDER, after));
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, KEY_LIST, (r) => [r.cursor_created, r.id]);
    const now = this.#now();
    return { items: items.map((r) => this.#view(r, now)), next };
  }

  /** One key of the partner, as listed; 404 when the partner has no such key. */
  async partnerKey(partnerId: string, apiKeyId: string): Promise<ApiKeyView> {
    return this.#view(await this.#partnerKeyRow(this.db, partnerId, apiKeyId), this.#now());
  }

  /**
   * Revokes one of the partner's keys: it stops at once in this process (within `cacheSeconds`
   * in others). Revoking a revoked key answers it as it is.
   */
  async revokePartnerKey(caller: Caller | null, partnerId: string, apiKeyId: string): Promise<ApiKeyView> {
    const row = await this.#partnerKeyRow(this.db, partnerId, apiKeyId);
    if (row.revoked_at === null) {
      await this.revoke(apiKeyId);
      // A practice key's revocation is also in its practice's audit.
      await recordAudit(this.db, caller, row.practice_id, 'api_key.revoked', { apiKeyId, partnerId });
    }
    return this.partnerKey(partnerId, apiKeyId);
  }

  /**
   * Issues a new key in place of one of the partner's: the old one keeps working for
   * `graceSeconds` (0: it is revoked now), then stops. Only a key that is neither revoked nor
   * rotated already can be rotated (409: rotate its replacement instead).
   */
  async rotatePartnerKey(
    caller: Caller | null,
    partnerId: string,
    apiKeyId: string,
    graceSeconds: number = ROTATION_GRACE_DEFAULT_SECONDS,
  ): Promise<RotatedKey> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > ROTATION_GRACE_MAX_SECONDS) {
      throw new InputError(
        CoreErrorCode.ROTATION_GRACE_INVALID,
        `The grace period must be 0 to ${ROTATION_GRACE_MAX_SECONDS} seconds, not ${graceSeconds}`,
        { fix: `Pass graceSeconds between 0 and ${ROTATION_GRACE_MAX_SECONDS} (7 days).` },
      );
    }
    const key = generateApiKey();
    const now = this.#now();
    const issued = await this.db.transaction().execute(async (trx) => {
      const old = await this.#partnerKeyRow(trx, partnerId, apiKeyId, true);
      if (old.revoked_at !== null || old.expires_at !== null) {
        const replaced = old.replaced_by ? ` It was replaced by ${old.replaced_by}.` : '';
        throw new ConflictError(
          CoreErrorCode.API_KEY_NOT_ROTATABLE,
          `API key ${apiKeyId} is ${old.revoked_at !== null ? 'revoked' : 'rotated already'}: only a key in use can be rotated.${replaced}`,
          {
            fix: old.replaced_by
              ? `Rotate its replacement, ${old.replaced_by}, instead.`
              : 'Rotate a key whose status is active (GET …/api-keys), or issue a new one.',
          },
        );
      }
      const prefix = key.slice(0, 10);
      const row = await trx
        .insertInto('api_keys')
        .values({
          partner_id: partnerId,
          practice_id: old.practice_id,
          label: old.label,
          key_prefix: prefix,
          key_hash: hashApiKey(key),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('api_keys')
        .set({
          replaced_by: row.id,
          expires_at: new Date(now.getTime() + graceSeconds * 1000),
          ...(graceSeconds === 0 && { revoked_at: now }),
        })
        .where('id', '=', apiKeyId)
        .execute();
      await recordAudit(trx, caller, old.practice_id, 'api_key.rotated', {
        apiKeyId,
        partnerId,
        replacedBy: row.id,
        graceSeconds,
      });
      return {
        id: row.id,
        key,
        prefix,
        label: old.label,
        partnerId,
        practiceId: old.practice_id,
      } satisfies IssuedKey;
    });
    // This process learns the old key's end at its next use (others within `cacheSeconds`).
    this.#forget(apiKeyId);
    return { issued, previous: await this.partnerKey(partnerId, apiKeyId) };
  }

  async #partnerExists(partnerId: string): Promise<void> {
    const partner = await this.db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (!partner) {
      throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId}`, {
        fix: 'Check the partner id; GET /v1/partners lists them (admin key).',
      });
    }
  }

  async #partnerKeyRow(db: Db, partnerId: string, apiKeyId: string, lock = false) {
    await this.#partnerExists(partnerId);
    let query = db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKeyId)
      .where('partner_id', '=', partnerId);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) {
      throw new NotFoundError(
        CoreErrorCode.API_KEY_NOT_FOUND,
        `No API key ${apiKeyId} of partner ${partnerId}`,
        {
          fix: "Check the key id; GET /v1/partners/{partnerId}/api-keys lists the partner's keys.",
        },
      );
    }
    return row;
  }

  #view(
    row: {
      id: string;
      partner_id: string | null;
      practice_id: string | null;
      label: string;
      key_prefix: string;
      created_at: Date;
      last_used_at: Date | null;
      revoked_at: Date | null;
      expires_at: Date | null;
      replaced_by: string | null;
    },
    now: Date,
  ): ApiKeyView {
    const status =
      row.revoked_at !== null
        ? 'revoked'
        : row.expires_at === null
          ? 'active'
          : row.expires_at > now
            ? 'expiring'
            : 'expired';
    return {
      id: row.id,
      partnerId: row.partner_id,
      practiceId: row.practice_id,
      label: row.label,
      prefix: row.key_prefix,
      status,
      createdAt: row.created_at.toISOString(),
      lastUsedAt: row.last_used_at?.toISOString() ?? null,
      revokedAt: row.revoked_at?.toISOString() ?? null,
      expiresAt: row.expires_at?.toISOString() ?? null,
      replacedBy: row.replaced_by,
    };
  }

  /** Writes the queued `last_used_at` times now, in one statement. */
  flushLastUsed(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const uses = [...this.#pending].map(([id, at]) => ({ id, at: at.toISOString() }));
    this.#pending.clear();
    if (uses.length === 0) return this.#flushing;
    this.#flushing = this.#flushing.then(async () => {
      try {
        await sql`
          update api_keys as k set last_used_at = greatest(k.last_used_at, u.at)
          from jsonb_to_recordset(${JSON.stringify(uses)}::jsonb) as u(id uuid, at timestamptz)
          where k.id = u.id`.execute(this.db);
      } catch (error) {
        this.#onError(error);
      }
    });
    return this.#flushing;
  }

  /** Records the uses still queued; call before closing the database. */
  close(): Promise<void> {
    return this.flushLastUsed();
  }

  #noteUse(apiKeyId: string, at: Date): void {
    const last = this.#recorded.get(apiKeyId);
    if (last !== undefined && at.getTime() - last < this.#lastUsedMs) return;
    this.#recorded.set(apiKeyId, at.getTime());
    this.#pending.set(apiKeyId, at);
    if (!this.#flushTimer) {
      this.#flushTimer = setTimeout(() => void this.flushLastUsed(), this.#lastUsedMs);
      this.#flushTimer.unref();
    }
  }

  async issue(partnerId: string | null, label: string, key: string = generateApiKey()): Promise<IssuedKey> {
    const prefix = key.slice(0, 10);
    const row = await this.db
      .insertInto('api_keys')
      .values({ partner_id: partnerId, label, key_prefix: prefix, key_hash: hashApiKey(key) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, key, prefix, label, partnerId, practiceId: null };
  }

  /**
   * Makes sure an admin key exists: the one from the environment when given, else one generated
   * on the first start (returned so it can be printed once).
   */
  async ensureAdminKey(fromEnvironment: string | undefined): Promise<AdminKeyOutcome> {
    if (fromEnvironment) {
      const exists = await this.db
        .selectFrom('api_keys')
        .select('id')
        .where('key_hash', '=', hashApiKey(fromEnvironment))
        .executeTakeFirst();
      if (!exists) await this.issue(null, 'admin (SLOTBRIDGE_ADMIN_KEY)', fromEnvironment);
      return { generatedKey: null, source: 'environment' };
    }
    const existing = await this.db
      .selectFrom('api_keys')
      .select('id')
      .where('partner_id', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (existing) return { generatedKey: null, source: 'existing' };
    const issued = await this.issue(null, 'admin (generated at first start)');
    return { generatedKey: issued.key, source: 'generated' };
  }

  async createPartner(name: string): Promise<{ id: string; name: string; createdAt: Date }> {
    const row = await this.db
      .insertInto('partners')
      .values({ name })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async listPartners(): Promise<{ id: string; name: string; createdAt: Date }[]> {
    const rows = await this.db.selectFrom('partners').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  /** The partners, oldest first, in pages. */
  async partnersPage(page: PageRequest): Promise<Page<{ id: string; name: string; createdAt: Date }>> {
    const after = page.cursor === undefined ? null : decodeCursor('partners', page.cursor, KEY_ORDER);
    let query = this.db
      .selectFrom('partners')
      .selectAll()
      .select(exactInstant('created_at').as('cursor_created'));
    if (after) query = query.where(afterKey(['created_at', 'id'], KEY_ORDER, after));
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
    const { items, next } = pageFrom(rows, page.limit, 'partners', (r) => [r.cursor_created, r.id]);
    return { items: items.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at })), next };
  }

  async issuePartnerKey(partnerId: string, label: string): Promise<IssuedKey> {
    await this.#partnerExists(partnerId);
    return this.issue(partnerId, label);
  }

  /**
   * Issues a practice key: it reaches this practice of the partner only (404 when the partner has
   * no such practice). Who may issue one (the partner's key, or the admin) is the caller's to
   * check; `caller` is recorded in the practice's audit (null: the command line).
   */
  async issuePracticeKey(
    caller: Caller | null,
    partnerId: string,
    practiceId: string,
    label: string,
  ): Promise<IssuedKey> {
    await this.#partnerExists(partnerId);
    const key = generateApiKey();
    const prefix = key.slice(0, 10);
    return this.db.transaction().execute(async (trx) => {
      const practice = await trx
        .selectFrom('practices')
        .select('id')
        .where('id', '=', practiceId)
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      if (!practice) {
        throw new NotFoundError(
          CoreErrorCode.PRACTICE_NOT_FOUND,
          `No practice ${practiceId} of partner ${partnerId}`,
          { fix: "Check the practice id; GET /v1/practices lists the partner's practices." },
        );
      }
      const row = await trx
        .insertInto('api_keys')
        .values({
          partner_id: partnerId,
          practice_id: practiceId,
          label,
          key_prefix: prefix,
          key_hash: hashApiKey(key),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(trx, caller, practiceId, 'api_key.issued', { apiKeyId: row.id, partnerId });
      return { id: row.id, key, prefix, label, partnerId, practiceId } satisfies IssuedKey;
    });
  }
}
