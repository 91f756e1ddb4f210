/**
 * `@slotbridge/plugin-systmone`: TPP SystmOne through the Client Integration API (XML over TCP).
 *
 *   import systmone from '@slotbridge/plugin-systmone';
 *   await app.register(slotbridgeCore, { slotbridge });
 *   await app.register(systmone);
 *
 * The sandbox is a separate export, `@slotbridge/plugin-systmone/sandbox`, so production never loads it.
 */
import { ehrFastifyPlugin } from '@slotbridge/core/plugin';
import { systmonePlugin } from './systmone-plugin.ts';

export {
  type AppointmentBooking,
  DEFAULT_CONNECT_TIMEOUT_MS,
  SystmOneClient,
  type SystmOneClientOptions,
  type SystmOneClinic,
  type SystmOneOrganisation,
  type SystmOnePatient,
  type SystmOneSlot,
  type SystmOneSlotType,
  type SystmOneUser,
} from './client.ts';
export { DEFAULT_PORT } from './client-integration-api.ts';
export {
  connectionSchema,
  DEFAULT_DEVICE_VERSION,
  DEFAULT_READ_TIMEOUT_MS,
  type SystmOneConnection,
} from './connection.ts';
export { SYSTMONE_ERRORS, type SystmOneErrorCode } from './errors.ts';
export { type ClinicIdentity, clinicIdOf, parseClinicId, type SlotIdentity, slotIdOf } from './slot-id.ts';
export { systmoneCapabilities, systmonePlugin } from './systmone-plugin.ts';

/** Registers the SystmOne plugin with the slotbridge core (register `@slotbridge/core` first). */
export default ehrFastifyPlugin('@slotbridge/plugin-systmone', systmonePlugin);
