/**
 * Fault injection (the sandbox kit's HTTP faults): the next calls of an operation fail (500/503),
 * answer late, hang until the client gives up, have their connection dropped, or are carried out
 * with their answer lost. Chaos fails a seeded share of all calls. See
 * `@slotbridge/core/sandbox-kit` (http-faults.ts) for how each plays.
 */
import {
  DEFAULT_CHAOS_FAULTS as HTTP_CHAOS_FAULTS,
  type ChaosSpec as HttpChaosSpec,
  type HttpFault,
  HttpFaultInjector,
  type HttpFaultSpec,
} from '@slotbridge/core/sandbox-kit';
import { SandboxError } from './sandbox-error.ts';

export const FAULT_STATUSES = [500, 503] as const;

type FaultStatus = (typeof FAULT_STATUSES)[number];

export type Fault = HttpFault<FaultStatus>;

/** `operation`: an operationId (`GetSlotsForSession`, `BookAppointment`, `Token`…) or `*`. */
export type FaultSpec = HttpFaultSpec<FaultStatus>;

export type ChaosSpec = HttpChaosSpec<Fault>;

/** Errors, a timeout (hang), a dropped connection, and a call carried out whose answer is lost. */
export const DEFAULT_CHAOS_FAULTS: Fault[] = HTTP_CHAOS_FAULTS;

export class FaultInjector extends HttpFaultInjector<FaultStatus> {
  constructor() {
    super({ statuses: FAULT_STATUSES, invalid: (message) => new SandboxError('INVALID_PARAMETER', message) });
  }
}

/** The sandbox error an injected `error` fault answers. */
export function faultError(status: FaultStatus): SandboxError {
  return status === 503
    ? new SandboxError('SERVICE_UNAVAILABLE', 'The service is unavailable (injected fault)')
    : new SandboxError('INTERNAL_ERROR', 'Internal error (injected fault)');
}
