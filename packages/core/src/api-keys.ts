/**
 * API keys: random 192-bit tokens, stored as SHA-256 hashes (a high-entropy token needs no slow
 * hash). A partner key reaches that partner's practices only; the admin key reaches all.
 *
 * Verifying a key costs no database write and, most of the time, no read: a verified key is
 * remembered by its hash for `cacheSeconds` (revoking it in this process forgets it at once; other
 * processes stop accepting it within `cacheSeconds`). `last_used_at` is recorded lazily: at most
 * once a `lastUsedSeconds` per key, in one batched UPDATE off the request path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Caller } from './caller.ts';
import type { Db } from './db/database.ts';
import { CoreErrorCode, NotFoundError } from './errors.ts';

export function generateApiKey(): string {
  return `sb_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface IssuedKey {
  id: string;
  /** Shown once; only its hash is kept. */
  key: string;
  prefix: string;
  label: string;
  partnerId: string | null;
}

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
  until: number;
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

  /** The caller a key stands for, or null when it is unknown or revoked. */
  async authenticate(key: string): Promise<Caller | null> {
    const hash = hashApiKey(key);
    const now = this.#now();
    let verified = this.#verified.get(hash);
    if (!verified || verified.until <= now.getTime()) {
      const row = await this.db
        .selectFrom('api_keys')
        .select(['id', 'partner_id'])
        .where('key_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row) {
        this.#verified.delete(hash);
        return null;
      }
      verified = {
        caller: { apiKeyId: row.id, partnerId: row.partner_id },
        hash,
        until: now.getTime() + this.#cacheMs,
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
    for (const [hash, verified] of this.#verified) {
      if (verified.caller.apiKeyId === apiKeyId || hash === row?.key_hash) this.#verified.delete(hash);
    }
    if (!row) {
      const exists = await this.db
        .selectFrom('api_keys')
        .select('id')
        .where('id', '=', apiKeyId)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError(CoreErrorCode.API_KEY_NOT_FOUND, `No API key ${apiKeyId}`);
    }
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
    return { id: row.id, key, prefix, label, partnerId };
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

  async issuePartnerKey(partnerId: string, label: string): Promise<IssuedKey> {
    const partner = await this.db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (!partner) throw new NotFoundError(CoreErrorCode.PARTNER_NOT_FOUND, `No partner ${partnerId}`);
    return this.issue(partnerId, label);
  }
}
