/**
 * API keys: random 192-bit tokens, stored as SHA-256 hashes (a high-entropy token needs no slow
 * hash). A partner key reaches that partner's practices only; the admin key reaches all.
 */
import { createHash, randomBytes } from 'node:crypto';
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

export class ApiKeys {
  constructor(private readonly db: Db) {}

  async authenticate(key: string): Promise<Caller | null> {
    const row = await this.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date() })
      .where('key_hash', '=', hashApiKey(key))
      .where('revoked_at', 'is', null)
      .returning(['id', 'partner_id'])
      .executeTakeFirst();
    return row ? { apiKeyId: row.id, partnerId: row.partner_id } : null;
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
