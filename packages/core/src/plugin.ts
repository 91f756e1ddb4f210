/**
 * `@slotbridge/core/plugin`: everything an EHR plugin needs from the core, and nothing of the
 * server's. A plugin's production code imports from here only; its sandbox adds
 * `@slotbridge/core/sandbox-kit`, its tests `@slotbridge/core/testing`. The server and embedders
 * use `@slotbridge/core`, which holds these too.
 *
 * - the contract: `defineEhrPlugin` and the types of its hooks, their context and answers;
 * - `ehrFastifyPlugin`: the package's default export, what the server's plugin list loads;
 * - errors: `EhrError` (kind, code, message, fix) and its kinds;
 * - the EHR call meter (`meterEhrCall`) and a bounded HTTP exchange (`sendHttp`);
 * - time: wall-clock times in the practice's zone to instants and back, calendar-day arithmetic;
 * - `StartDemoSandbox`: what the plugin's `./sandbox` export offers the demo.
 */
export type { DemoSandbox, StartDemoSandbox } from './demo-sandbox.ts';
export { meterEhrCall } from './ehr-calls.ts';
export {
  type BookingWriteCommand,
  type BookingWriteResult,
  type DiagnoseInput,
  type DiagnosticCheck,
  defineEhrPlugin,
  type EhrCapabilities,
  type EhrCatalogue,
  type EhrCatalogueEntry,
  type EhrContext,
  type EhrPluginDefinition,
  type EhrSlot,
  type EhrSlotRef,
  type EhrSlotStatus,
  type HookLogger,
  type MapSlotTypeInput,
  type PatientDetails,
  type PracticeInfo,
  type SetupCheck,
  type SetupStep,
  type SlotFetchResult,
  type SlotTypeMapping,
  type SlotTypeMappingRow,
  type SlotWindow,
} from './ehr-plugin.ts';
export { EhrError, type EhrErrorKind, isEhrError } from './errors.ts';
export { type EhrFastifyPlugin, ehrFastifyPlugin } from './fastify-plugin.ts';
export {
  type HttpAnswer,
  HttpCallError,
  type HttpRequest,
  type SendHttpOptions,
  sendHttp,
} from './http-client.ts';
export {
  addDays,
  addLocalDays,
  instantToLocalIso,
  isValidTimeZone,
  localDateOf,
  localToInstant,
  startOfLocalDay,
  startOfNextLocalDay,
} from './time.ts';
