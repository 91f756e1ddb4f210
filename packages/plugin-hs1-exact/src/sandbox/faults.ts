/**
 * Fault injection (the sandbox kit's HTTP faults): the next calls of an operation fail (500,
 * 502 practice server offline, 503, 504 practice server timeout), answer late, hang until the
 * client gives up, have their connection dropped, or are carried out with their answer lost.
 * Chaos fails a seeded share of all calls. See `@slotbridge/core/sandbox-kit` (http-faults.ts)
 * for how each plays.
 */
import {
  DEFAULT_CHAOS_FAULTS as HTTP_CHAOS_FAULTS,
  type ChaosSpec as HttpChaosSpec,
  type HttpFault,
  HttpFaultInjector,
  type HttpFaultSpec,
} from '@slotbridge/core/sandbox-kit';
import { SandboxError } from './sandbox-error.ts';

export const FAULT_STATUSES = [500, 502, 503, 504] as const;

type FaultStatus = (typeof FAULT_STATUSES)[number];

export type Fault = HttpFault<FaultStatus>;

/** `operation`: an operation (`GetSchedule`, `CreateAppointment`…) or `*` for every cloud API call. */
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
  switch (status) {
    case 500:
      return new SandboxError('INTERNAL_ERROR', 'Internal error (injected fault)');
    case 502:
      return new SandboxError('PRACTICE_SERVER_OFFLINE', 'The practice server is offline (injected fault)');
    case 503:
      return new SandboxError('SERVICE_UNAVAILABLE', 'The service is unavailable (injected fault)');
    case 504:
      return new SandboxError(
        'PRACTICE_SERVER_TIMEOUT',
        'The practice server did not answer in time (injected fault)',
      );
  }
}
