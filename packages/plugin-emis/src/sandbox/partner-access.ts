/**
 * Who may call the sandbox, as the practice set it up (seeds 002, 004): the partner application
 * (its `applicationId`, activated or not in EMAS Manager), the organisation (CDB number, ODS code)
 * and its partner users (`Herouser`, `Herouser1`, …), each with its EMIS login password and, when
 * ticked under Edit Users, its separate API password, and its Login Access boxes (Auto Login,
 * Allow Login). The default is a practice set up correctly with one partner user; the control
 * surface flips every flag and adds or removes users to reproduce each set-up mistake.
 *
 * *Modelled*: the spec declares bearer-JWT / OAuth2 security without a token endpoint, so the
 * sandbox answers `POST /api/v1/auth/token` with an opaque bearer token and the partner user's
 * DBID (`userInRoleId`, the `bookedBy` of BookAppointment).
 */
import { randomBytes } from 'node:crypto';
import type { TokenRequest, TokenResponse } from '../partner-api.ts';
import { SandboxError } from './sandbox-error.ts';

/** An EMIS user made for a partner product (seed 002 step 1), and what EMAS Manager says of it. */
export interface PartnerUser {
  /** The EMIS user name, e.g. Herouser. */
  username: string;
  /** The user's DBID (userInRoleId). */
  userInRoleId: string;
  title: string;
  firstNames: string;
  lastName: string;
  /** User Mnemonic (Role tab), e.g. HH. */
  mnemonic: string;
  /** The EMIS Web login password: never accepted by the Partner API. */
  emisPassword: string;
  /** The API password set under Edit Users; null when the user is not ticked there. */
  apiPassword: string | null;
  /** Login Access → Auto Login. */
  autoLogin: boolean;
  /** Login Access → Allow Login. */
  allowLogin: boolean;
  passwordExpired: boolean;
}

/** A new EMIS user: only the user name, DBID and EMIS password are needed. */
export type PartnerUserSeed = Pick<PartnerUser, 'username' | 'userInRoleId' | 'emisPassword'> &
  Partial<PartnerUser>;

export interface PartnerSetup {
  /** The party key EMIS gives an assured partner; sent as the `applicationId` header. */
  applicationId: string;
  /** EMAS Manager → Partner API → Activate Application. */
  applicationActivated: boolean;
  /** The organisation's EMIS CDB number. */
  cdbNumber: string;
  /** The organisation's ODS code. */
  odsCode: string;
  /** The organisation's name in EMIS. */
  organisationName: string;
  /** The partner users, in the order they were created. */
  partnerUsers: PartnerUser[];
}

/** The first partner user of seed 002, set up correctly. */
export const DEFAULT_PARTNER_USER: PartnerUser = {
  username: 'Herouser',
  userInRoleId: '7001',
  title: 'Mr',
  firstNames: 'Hero',
  lastName: 'User',
  mnemonic: 'HH',
  emisPassword: 'emis-login-password',
  apiPassword: 'api-password-from-emas',
  autoLogin: true,
  allowLogin: true,
  passwordExpired: false,
};

export const DEFAULT_PARTNER_SETUP: PartnerSetup = {
  applicationId: 'slotbridge-sandbox',
  applicationActivated: true,
  cdbNumber: '50001',
  odsCode: 'A81001',
  organisationName: 'Riverside Surgery',
  partnerUsers: [DEFAULT_PARTNER_USER],
};

/**
 * A user added through the control surface is what seed 002's step 1 makes: an EMIS user, not yet
 * ticked under Edit Users, Login Access boxes not ticked.
 */
const NEW_USER_DEFAULTS: Omit<PartnerUser, 'username' | 'userInRoleId' | 'emisPassword'> = {
  title: 'Mr',
  firstNames: 'Hero',
  lastName: 'User',
  mnemonic: 'HH',
  apiPassword: null,
  autoLogin: false,
  allowLogin: false,
  passwordExpired: false,
};

const NO_ACCESS_MESSAGE = 'Invalid login or no access to this product';

function copyOf(setup: PartnerSetup): PartnerSetup {
  return { ...setup, partnerUsers: setup.partnerUsers.map((user) => ({ ...user })) };
}

export class PartnerAccess {
  #setup: PartnerSetup;
  readonly #tokenTtlSeconds: number;
  /** token → the user it was issued to and when it expires. */
  readonly #tokens = new Map<string, { username: string; expiresAt: number }>();

  constructor(setup: Partial<PartnerSetup>, tokenTtlSeconds: number) {
    this.#setup = copyOf({ ...DEFAULT_PARTNER_SETUP, ...setup });
    this.#tokenTtlSeconds = tokenTtlSeconds;
  }

  /** Back to `setup` over the defaults; every token issued so far is forgotten. */
  reset(setup: Partial<PartnerSetup>): void {
    this.#setup = copyOf({ ...DEFAULT_PARTNER_SETUP, ...setup });
    this.#tokens.clear();
  }

  get setup(): PartnerSetup {
    return copyOf(this.#setup);
  }

  /** Changes the application's and the organisation's flags (not the users: see updateUser). */
  updateSetup(patch: Partial<Omit<PartnerSetup, 'partnerUsers'>>): PartnerSetup {
    this.#setup = { ...this.#setup, ...patch };
    return this.setup;
  }

  /** One partner user, by user name. */
  user(username: string): PartnerUser {
    return { ...this.#user(username) };
  }

  /** Creates an EMIS user (seed 002 step 1): not ticked under Edit Users, no Login Access yet. */
  addUser(seed: PartnerUserSeed): PartnerUser {
    const users = this.#setup.partnerUsers;
    if (users.some((user) => user.username.toLowerCase() === seed.username.toLowerCase())) {
      throw new SandboxError('INVALID_PARAMETER', `A user ${seed.username} already exists`);
    }
    if (users.some((user) => user.userInRoleId === seed.userInRoleId)) {
      throw new SandboxError('INVALID_PARAMETER', `A user with DBID ${seed.userInRoleId} already exists`);
    }
    const user: PartnerUser = { ...NEW_USER_DEFAULTS, ...seed };
    users.push(user);
    return { ...user };
  }

  /** Ticks or unticks the user under Edit Users (`apiPassword`), Login Access, expiry, names. */
  updateUser(username: string, patch: Partial<Omit<PartnerUser, 'username' | 'userInRoleId'>>): PartnerUser {
    const user = this.#user(username);
    Object.assign(user, patch);
    return { ...user };
  }

  /** Deletes the EMIS user; its tokens stop working. */
  removeUser(username: string): void {
    const user = this.#user(username);
    this.#setup.partnerUsers = this.#setup.partnerUsers.filter((other) => other !== user);
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

  /**
   * Sign-in outcomes as the older interface reports them: an unknown organisation, an unknown
   * user, the application not activated, the user not ticked under Edit Users and Login Access off
   * are 4; a wrong password (the EMIS user password included) is 3; an expired one is 2.
   */
  signIn(body: Partial<TokenRequest> | null): TokenResponse {
    const { organisationId, userName, password } = body ?? {};
    if (typeof organisationId !== 'string' || typeof userName !== 'string' || typeof password !== 'string') {
      throw new SandboxError(
        'INVALID_PARAMETER',
        'organisationId, userName and password are required strings',
      );
    }
    const setup = this.#setup;
    if (organisationId !== setup.cdbNumber) {
      throw new SandboxError(
        'ORGANISATION_UNKNOWN',
        'Invalid login: no organisation has this organisation ID',
      );
    }
    const user = setup.partnerUsers.find((candidate) => candidate.username === userName);
    if (!user || !setup.applicationActivated || user.apiPassword === null) {
      throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    }
    if (password !== user.apiPassword) throw new SandboxError('WRONG_PASSWORD', 'Sign-in unsuccessful');
    if (!user.autoLogin || !user.allowLogin) throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    if (user.passwordExpired) throw new SandboxError('PASSWORD_EXPIRED', 'The password has expired');
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, {
      username: user.username,
      expiresAt: Date.now() + this.#tokenTtlSeconds * 1000,
    });
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.#tokenTtlSeconds,
      userInRoleId: user.userInRoleId,
    };
  }

  /** A data call needs a live token, and the set-up must still let its user in. */
  checkBearer(authorization: string | undefined): void {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new SandboxError('TOKEN_MISSING', 'A bearer token is required');
    const issued = this.#tokens.get(token);
    if (issued === undefined) throw new SandboxError('TOKEN_INVALID', 'The bearer token is not valid');
    if (issued.expiresAt <= Date.now()) {
      this.#tokens.delete(token);
      throw new SandboxError('TOKEN_EXPIRED', 'The bearer token has expired');
    }
    const user = this.#setup.partnerUsers.find((candidate) => candidate.username === issued.username);
    if (
      !this.#setup.applicationActivated ||
      !user ||
      user.apiPassword === null ||
      !user.autoLogin ||
      !user.allowLogin
    ) {
      throw new SandboxError('NO_ACCESS', NO_ACCESS_MESSAGE);
    }
  }

  /** Expires every token issued so far, as if their lifetime had run out. */
  expireTokens(): void {
    for (const issued of this.#tokens.values()) issued.expiresAt = 0;
  }

  /** Is `id` the DBID of one of the organisation's partner users (BookAppointment's bookedBy)? */
  isUserInRole(id: string): boolean {
    return this.#setup.partnerUsers.some((user) => user.userInRoleId === id);
  }

  #user(username: string): PartnerUser {
    const user = this.#setup.partnerUsers.find((candidate) => candidate.username === username);
    if (!user) throw new SandboxError('INVALID_PARAMETER', `No partner user ${username}`);
    return user;
  }
}
