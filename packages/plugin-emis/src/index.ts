/**
 * `@slotbridge/plugin-emis`: EMIS Web through the EMIS Partner API 1.2.
 *
 *   import emis from '@slotbridge/plugin-emis';
 *   await app.register(slotbridgeCore, { slotbridge });
 *   await app.register(emis);
 *
 * The sandbox is a separate export, `@slotbridge/plugin-emis/sandbox`, so production never loads it.
 */
import { ehrFastifyPlugin } from '@slotbridge/core/plugin';
import { emisPlugin } from './emis-plugin.ts';

export { EmisClient, type EmisClientOptions } from './client.ts';
export { connectionSchema, type EmisConnection } from './connection.ts';
export { emisCapabilities, emisPlugin } from './emis-plugin.ts';
export { EMIS_ERRORS, type EmisErrorCode } from './errors.ts';

/** Registers the EMIS plugin with the slotbridge core (register `@slotbridge/core` first). */
export default ehrFastifyPlugin('@slotbridge/plugin-emis', emisPlugin);
