/**
 * `@slotbridge/plugin-gpconnect`: NHS GP Connect Appointment Management 1.2.7 (FHIR STU3).
 *
 *   import gpconnect from '@slotbridge/plugin-gpconnect';
 *   await app.register(slotbridgeCore, { slotbridge });
 *   await app.register(gpconnect);
 *
 * The sandbox is a separate export, `@slotbridge/plugin-gpconnect/sandbox`, so production never loads it.
 */
import { ehrFastifyPlugin } from '@slotbridge/core/plugin';
import { gpconnectPlugin } from './gpconnect-plugin.ts';

export {
  amendmentOf,
  bookingAppointment,
  bookingOrganisation,
  COMMENT_MAX,
  cancellationOf,
  DESCRIPTION_MAX,
} from './appointment.ts';
export { isValidNhsNumber } from './booking-write.ts';
export { missingInteractions, REQUIRED_INTERACTIONS } from './check-setup.ts';
export {
  errorCodeOf,
  GpConnectClient,
  type GpConnectClientOptions,
  spineCodeOf,
  type Versioned,
} from './client.ts';
export {
  connectionSchema,
  DEFAULT_CONSUMER_ORGANISATION_TYPE,
  DEFAULT_TIMEOUT_MS,
  type GpConnectConnection,
} from './connection.ts';
export { DISCOVER_DAYS } from './discover.ts';
export {
  GPCONNECT_ERRORS,
  type GpConnectErrorCode,
  gpConnectError,
  isGpConnectError,
  SPINE_ERROR_CODES,
} from './errors.ts';
export * from './fhir.ts';
export { fhirDateTime, parseFhirDateTime } from './fhir-time.ts';
export { gpconnectCapabilities, gpconnectPlugin } from './gpconnect-plugin.ts';
export {
  type AuditClaims,
  auditClaims,
  auditToken,
  decodeAuditToken,
  TOKEN_LIFETIME_SECONDS,
} from './jwt.ts';
export {
  readSlotBundle,
  type SearchedSlot,
  type SlotSearchResult,
  slotTypeIdOf,
  slotTypeNameOf,
} from './slot-bundle.ts';
export { FREE_STATUS, MAX_SEARCH_DAYS, OVERHANG_MS, planSearches } from './slot-fetch.ts';

/** Registers the GP Connect plugin with the slotbridge core (register `@slotbridge/core` first). */
export default ehrFastifyPlugin('@slotbridge/plugin-gpconnect', gpconnectPlugin);
