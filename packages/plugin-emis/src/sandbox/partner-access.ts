/**
 * Who may call the sandbox: the partner application (its `applicationId`, activated in EMAS
 * Manager), the organisation (CDB number) and its partner user (ticked under Edit Users with
 * an API password, Login Access with Auto Login and Allow Login). The flags default to a
 * practice set up correctly; the control surface flips them to reproduce seeds 002/004.
 *
 * *Modelled*: the spec declares bearer-JWT / OAuth2 security without a token endpoint, so the
 * sandbox answers `POST /api/v1/auth/token` with an opaque bearer token and the partner user's
 * DBID (`userInRoleId`, the `bookedBy` of BookAppointment).
 */
import { randomBytes } from 'node:crypto';
import type { TokenRequest, TokenResponse } from '../partner-api.ts';
import { SandboxError } from './sandbox-error.ts';

export interface PartnerSetup {
  /** The party key EMIS gives an assured partner; sent as the `applicationId` header. */
  applicationId: string;
  /** EMAS Manager → Partner API → Activate Application. */
  applicationActivated: boolean;
  /** The organisation's EMIS CDB number. */
  cdbNumber: string;
  odsCode: string;
  /** The partner user's EMIS user name, e.g. Herouser. */
  username: string;
  /** The partner user's DBID (userInRoleId). */
  userInRoleId: string;
  /** The EMIS Web login password: not accepted by the Partner API. */
  emisPassword: string;
  /** The API password set under Edit Users; null when the user is not ticked there. */
  apiPassword: string | null;
  /** Login Access → Auto Login. */
  autoLogin: boolean;
  /** Login Access → Allow Login. */
  allowLogin: boolean;
  passwordExpired: boolean;
}

export const DEFAULT_PARTNER_SETUP: PartnerSetup = {
  applicationId: 'slotbridge-sandbox',
  applicationActivated: true,
  cdbNumber: '50001',
  odsCode: 'A81001',
  username: 'Herouser',
  userInRoleId: '7001',
  emisPassword: 'emis-login-password',
  apiPassword: 'api-password-from-emas',
  autoLogin: true,
  allowLogin: true,
  passwordExpired: false,
};

const NO_ACCESS_MESSAGE = 'Invalid login or no access to this product';

export class PartnerAccess {
  #setup: PartnerSetup;
  readonly #tokenTtlSeconds: number;
  readonly #tokens = new Map<string, number>();

  constructor(setup: Partial<PartnerSetup>, tokenTtlSeconds: number) {
    this.#setup = { ...DEFAULT_PARTNER_SETUP, ...setup };
    this.#tokenTtlSeconds = tokenTtlSeconds;
  }

  /** Back to `setup` over the defaults; every token issued so far is forgotten. */
  reset(setup: Partial<PartnerSetup>): void {
    this.#setup = { ...DEFAULT_PARTNER_SETUP, ...setup };
    this.#tokens.clear();
  }

  get setup(): PartnerSetup {
    return { ...this.#setup };
  }

  updateSetup(patch: Partial<PartnerSetup>): PartnerSetup {
    this.#setup = { ...this.#setup, ...patch };
    return this.setup;
  }

  /** Every call carries the `applicationId` header of an application EMIS knows. */
  checkApplicationId(header: string | string[] | undefined): void {
    if (header === undefined || header === '') {
      throw new SandboxError('APPLICATION_ID_MISSING', 'The applicationId header is required');
    }
    if (header !== this.#setup.applicationId) {
      throw new SandboxError('APPLICATION_ID_UNKNOWN', 'The applicationId is not known to EMIS');
    }
  }

  signIn(body: Partial<TokenRequest> | null): TokenResponse {
    const { organisationId, userName, password } = body ?? {};
    if (typeof organisationId !== 'string' || typeof userName !== 'string' || typeof password !== 'string') {
      throw new SandboxError(
        'INVALID_PARAMETER',
        'organisationId, userName and password are required strings',
      );
    }
    const setup = this.#setup;
    if (organisationId !== setup.cdbNumber || !setup.applicationActivated) {
      throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    }
    if (userName !== setup.username || setup.apiPassword === null) {
      throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    }
    if (password !== setup.apiPassword) throw new SandboxError('WRONG_PASSWORD', 'Sign-in unsuccessful');
    if (!setup.autoLogin || !setup.allowLogin) throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    if (setup.passwordExpired) throw new SandboxError('PASSWORD_EXPIRED', 'The password has expired');
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, Date.now() + this.#tokenTtlSeconds * 1000);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.#tokenTtlSeconds,
      userInRoleId: setup.userInRoleId,
    };
  }

  /** A data call needs a live token, and the set-up must still allow the user in. */
  checkBearer(authorization: string | undefined): void {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new SandboxError('TOKEN_MISSING', 'A bearer token is required');
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) throw new SandboxError('TOKEN_INVALID', 'The bearer token is not valid');
    if (expiresAt <= Date.now()) {
      this.#tokens.delete(token);
      throw new SandboxError('TOKEN_EXPIRED', 'The bearer token has expired');
    }
    const setup = this.#setup;
    if (!setup.applicationActivated || setup.apiPassword === null || !setup.autoLogin || !setup.allowLogin) {
      throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    }
  }

  /** Expires every token issued so far, as if their lifetime had run out. */
  expireTokens(): void {
    for (const token of this.#tokens.keys()) this.#tokens.set(token, 0);
  }

  isUserInRole(id: string): boolean {
    return id === this.#setup.userInRoleId;
  }
}
