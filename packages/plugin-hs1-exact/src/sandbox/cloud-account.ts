/**
 * The practice's account in HS1's cloud: its slug, its API key, and whether the cloud can reach
 * the practice's own Exact server right now. The cloud checks the slug and the key itself; every
 * other call is relayed to the practice server, which answers 502 when it is offline (*modelled*).
 */
import { SandboxError } from './sandbox-error.ts';

export interface CloudAccount {
  /** The practice's slug, as HS1 gives it for the integration. */
  slug: string;
  /** The practice's API key for the integration. */
  apiKey: string;
  /** Is the practice's Exact server on and connected to the cloud? */
  practiceServerOnline: boolean;
}

export const DEFAULT_CLOUD_ACCOUNT: CloudAccount = {
  slug: 'harbourside-dental',
  apiKey: 'hs1-sandbox-api-key',
  practiceServerOnline: true,
};

export class CloudAccess {
  #account: CloudAccount;

  constructor(account: Partial<CloudAccount>) {
    this.#account = { ...DEFAULT_CLOUD_ACCOUNT, ...account };
  }

  get account(): CloudAccount {
    return { ...this.#account };
  }

  reset(account: Partial<CloudAccount>): void {
    this.#account = { ...DEFAULT_CLOUD_ACCOUNT, ...account };
  }

  update(patch: Partial<CloudAccount>): CloudAccount {
    this.#account = { ...this.#account, ...patch };
    return this.account;
  }

  /** The slug names this practice and the key is its key. */
  authenticate(slug: string, apiKey: string | string[] | undefined): void {
    if (slug !== this.#account.slug) {
      throw new SandboxError('PRACTICE_NOT_FOUND', `No practice has the slug "${slug}"`);
    }
    if (apiKey === undefined || apiKey === '') {
      throw new SandboxError('API_KEY_MISSING', 'The x-api-key header is required');
    }
    if (apiKey !== this.#account.apiKey) {
      throw new SandboxError('API_KEY_INVALID', 'The API key is not valid for this practice');
    }
  }

  /** A relayed call reaches the practice server only when it is online. */
  relay(): void {
    if (!this.#account.practiceServerOnline) {
      throw new SandboxError(
        'PRACTICE_SERVER_OFFLINE',
        "The practice's Exact server is offline: the cloud could not relay the request",
      );
    }
  }
}
