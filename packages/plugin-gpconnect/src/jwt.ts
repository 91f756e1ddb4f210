/**
 * The audit token GP Connect requires on every call (cross-organisation audit and provenance):
 * an unsigned JWT (`alg: none`, no signature part) in `Authorization: Bearer …`, valid five
 * minutes, naming the requesting device (slotbridge), organisation (the booking organisation) and
 * practitioner (the partner's responsible user), and the scope of the interaction.
 */
import type { GpConnectConnection } from './connection.ts';
import { type Interaction, SCOPE_OF, SYSTEM } from './fhir.ts';

export const DEVICE_SYSTEM = 'https://slotbridge.dev/Id/device-identifier';
export const USER_SYSTEM = 'https://slotbridge.dev/Id/user-id';
export const DEVICE_MODEL = 'slotbridge';
export const DEVICE_VERSION = '0.1.0';
/** The spec: `exp` is five minutes after `iat`. */
export const TOKEN_LIFETIME_SECONDS = 300;

export interface AuditClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  reason_for_request: 'directcare';
  requested_scope: string;
  requesting_device: Record<string, unknown>;
  requesting_organization: Record<string, unknown>;
  requesting_practitioner: Record<string, unknown>;
}

function base64Url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** "Family, Given" → a FHIR HumanName; anything else is the family name. */
function humanName(text: string): { family: string; given?: string[] } {
  const [family, given] = text.split(',').map((part) => part.trim());
  return given ? { family: family!, given: [given] } : { family: text.trim() };
}

export function auditClaims(
  connection: GpConnectConnection,
  interaction: Interaction,
  nowMs: number,
): AuditClaims {
  const iat = Math.floor(nowMs / 1000);
  const odsCode = connection.consumerOdsCode.trim();
  const userId = connection.requestingUserId?.trim() || odsCode;
  const userName = connection.requestingUserName?.trim() || connection.consumerOrganisationName.trim();
  return {
    iss: 'https://slotbridge.dev/',
    sub: userId,
    aud: connection.baseUrl.trim(),
    exp: iat + TOKEN_LIFETIME_SECONDS,
    iat,
    reason_for_request: 'directcare',
    requested_scope: SCOPE_OF[interaction],
    requesting_device: {
      resourceType: 'Device',
      identifier: [{ system: DEVICE_SYSTEM, value: connection.consumerAsid.trim() }],
      model: DEVICE_MODEL,
      version: DEVICE_VERSION,
    },
    requesting_organization: {
      resourceType: 'Organization',
      identifier: [{ system: SYSTEM.ODS_CODE, value: odsCode }],
      name: connection.consumerOrganisationName.trim(),
    },
    requesting_practitioner: {
      resourceType: 'Practitioner',
      id: userId,
      identifier: [
        { system: SYSTEM.SDS_USER_ID, value: 'UNK' },
        { system: SYSTEM.SDS_ROLE_PROFILE_ID, value: 'UNK' },
        { system: USER_SYSTEM, value: userId },
      ],
      name: [humanName(userName)],
    },
  };
}

/** The unsigned JWT: `header.payload.` (an empty signature, as `alg: none` requires). */
export function auditToken(connection: GpConnectConnection, interaction: Interaction, nowMs: number): string {
  return `${base64Url({ alg: 'none', typ: 'JWT' })}.${base64Url(auditClaims(connection, interaction, nowMs))}.`;
}

/** Reads an unsigned JWT back (the sandbox's check); null when it is not one. */
export function decodeAuditToken(
  token: string,
): { header: Record<string, unknown>; claims: AuditClaims } | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] !== '') return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as AuditClaims;
    return typeof header === 'object' && typeof claims === 'object' ? { header, claims } : null;
  } catch {
    return null;
  }
}
