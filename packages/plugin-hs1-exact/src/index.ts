/**
 * `@slotbridge/plugin-hs1-exact`: Henry Schein One Exact through HS1's online-booking cloud API
 * (slug + API key; the wire is *modelled*, see the README).
 *
 *   import hs1Exact from '@slotbridge/plugin-hs1-exact';
 *   await app.register(slotbridgeCore, { slotbridge });
 *   await app.register(hs1Exact);
 *
 * The sandbox is a separate export, `@slotbridge/plugin-hs1-exact/sandbox`, so production never loads it.
 */
import { ehrFastifyPlugin } from '@slotbridge/core/plugin';
import { hs1ExactPlugin } from './hs1-exact-plugin.ts';

export { DEFAULT_TIMEOUT_MS, Hs1ExactClient, type Hs1ExactClientOptions } from './client.ts';
export { connectionSchema, type Hs1ExactConnection } from './connection.ts';
export { type DefaultReason, type DefaultReasonRule, defaultReasonOf } from './default-reason.ts';
export { HS1_ERRORS, type Hs1ErrorCode } from './errors.ts';
export type * from './exact-api.ts';
export { APPOINTMENT_STATUSES, MAX_SCHEDULE_DAYS } from './exact-api.ts';
export { hs1ExactCapabilities, hs1ExactPlugin } from './hs1-exact-plugin.ts';
export { type SlotIdentity, slotIdOf } from './slot-id.ts';

/** Registers the HS1 Exact plugin with the slotbridge core (register `@slotbridge/core` first). */
export default ehrFastifyPlugin('@slotbridge/plugin-hs1-exact', hs1ExactPlugin);
