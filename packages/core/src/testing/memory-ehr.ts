/**
 * An in-memory EHR for the core's own tests: a diary held in an array, with a switch to fail the
 * next calls. It stands in for the external system only (the database stays real); plugin
 * behaviour over a real transport is tested against each plugin's sandbox.
 */
import { Type } from 'typebox';
import { meterEhrCall } from '../ehr-calls.ts';
import { defineEhrPlugin, type EhrCatalogue, type EhrPluginDefinition, type EhrSlot } from '../ehr-plugin.ts';
import { EhrError, type EhrErrorKind } from '../errors.ts';

type MemoryOperation = 'discover' | 'fetch' | 'write';

export interface MemoryEhr {
  definition: EhrPluginDefinition;
  /** What discover answers (a copy of it): empty until a test fills it. */
  catalogue: EhrCatalogue;
  slots: EhrSlot[];
  /** Written bookings by ehrSlotId. */
  booked: Map<string, string>;
  /** Patients with these last names match no record: their slot is held (or the write refused). */
  unmatchedLastNames: Set<string>;
  /**
   * The EHR refuses our access (as EMIS does when the practice deactivates the application):
   * the credentials set-up check fails and every read throws `auth_failed`, until set back.
   */
  refused: boolean;
  /** The next N calls of `operation` throw an EhrError of `kind`. */
  failNext(operation: MemoryOperation, kind: EhrErrorKind, times?: number): void;
  /** `sessionReads`: sessions whose slots a fetch read (with `sessionCounts`). */
  calls: { fetch: number; write: number; sessionReads: number };
}

export function createMemoryEhr(
  options: {
    id?: string;
    cancel?: boolean;
    listsBookedSlots?: boolean;
    /**
     * Summarise each session by its counts of slots by type and status, as EMIS does, and
     * skip the slots of a session whose summary the core already knows (SlotWindow.knownSessions).
     */
    sessionCounts?: boolean;
  } = {},
): MemoryEhr {
  const failures: { operation: MemoryOperation; kind: EhrErrorKind }[] = [];
  const memory: MemoryEhr = {
    catalogue: { practitioners: [], locations: [], slotTypes: [] },
    slots: [],
    booked: new Map(),
    unmatchedLastNames: new Set(),
    refused: false,
    calls: { fetch: 0, write: 0, sessionReads: 0 },
    failNext(operation, kind, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ operation, kind });
    },
    definition: undefined as unknown as EhrPluginDefinition,
  };
  const maybeFail = (operation: MemoryOperation) => {
    const index = failures.findIndex((f) => f.operation === operation);
    if (index >= 0) {
      const [failure] = failures.splice(index, 1);
      throw new EhrError(
        failure!.kind,
        `MEM_ERR_${failure!.kind.toUpperCase()}`,
        `injected ${failure!.kind}`,
        { fix: 'Nothing to fix: the in-memory EHR failed on purpose (failNext); the next call succeeds.' },
      );
    }
  };
  memory.definition = defineEhrPlugin({
    id: options.id ?? 'memory',
    name: 'Memory EHR',
    connectionSchema: Type.Object({
      practiceCode: Type.String({ minLength: 1 }),
      secret: Type.String({ minLength: 1, writeOnly: true }),
    }),
    capabilities: {
      cancel: options.cancel ?? true,
      publishingHorizonDays: { default: 28, max: 90 },
      callsPerMinute: 600,
      maxFetchWindowDays: 90,
      listsBookedSlots: options.listsBookedSlots ?? false,
    },
    async checkSetup(ctx) {
      const ok = ctx.connection.secret === 'right' && !memory.refused;
      return [
        {
          id: 'credentials',
          ok,
          severity: 'error',
          message: ok ? 'Signed in' : 'The secret was refused',
          ...(!ok && { fix: 'Type the secret again' }),
        },
      ];
    },
    async discover() {
      maybeFail('discover');
      return structuredClone(memory.catalogue);
    },
    async onSlotFetch(_ctx, window) {
      // One call on the wire, as a real plugin's transport would meter it.
      await meterEhrCall('fetch', async () => {});
      memory.calls.fetch += 1;
      maybeFail('fetch');
      if (memory.refused) {
        throw new EhrError('auth_failed', 'MEM_ERR_REFUSED', 'access refused', {
          fix: 'Let slotbridge in again (memory.refused = false).',
        });
      }
      const slots = memory.slots
        .map((s) => {
          const booked = memory.booked.get(s.ehrSlotId);
          if (booked === undefined) return s;
          // A hold, as EMIS keeps one: the slot stays free, re-typed with the unregistered type.
          const hold = /^hold:([^:]*):/.exec(booked);
          if (hold) return { ...s, ehrSlotTypeId: hold[1]!, ehrStatus: 'Slot Available' };
          return { ...s, status: 'booked' as const, ehrStatus: 'Booked' };
        })
        .filter((s) => window.slotTypeIds.includes(s.ehrSlotTypeId));
      const inWindow = (s: EhrSlot) => s.startAt >= window.from && s.startAt < window.to;
      if (!options.sessionCounts) return { slots: slots.filter(inWindow) };
      const sessions = new Map<string, EhrSlot[]>();
      for (const s of slots)
        sessions.set(s.ehrSessionId ?? '', [...(sessions.get(s.ehrSessionId ?? '') ?? []), s]);
      const result = {
        slots: [] as EhrSlot[],
        sessionDigests: {} as Record<string, string>,
        unchangedSessions: [] as string[],
      };
      for (const [sessionId, sessionSlots] of sessions) {
        if (!sessionSlots.some(inWindow)) continue;
        if (sessionSlots.every(inWindow)) {
          const counts = sessionSlots
            .map((s) => `${s.ehrSlotTypeId}:${s.status}`)
            .sort()
            .join(',');
          result.sessionDigests[sessionId] = counts;
          if (window.knownSessions?.get(sessionId) === counts) {
            result.unchangedSessions.push(sessionId);
            continue;
          }
        }
        memory.calls.sessionReads += 1;
        result.slots.push(...sessionSlots.filter(inWindow));
      }
      return result;
    },
    async onBookingWrite(_ctx, command) {
      await meterEhrCall('write', async () => {});
      memory.calls.write += 1;
      maybeFail('write');
      if (command.kind === 'book') {
        // A repeated write after a lost answer finds its own booking: no second appointment.
        if (memory.booked.get(command.slot.ehrSlotId) === command.bookingId) {
          return { ehrBookingRef: `mem-${command.slot.ehrSlotId}` };
        }
        if (memory.booked.has(command.slot.ehrSlotId)) {
          throw new EhrError('slot_taken', 'MEM_ERR_SLOT_TAKEN', 'The slot is already booked');
        }
        if (memory.unmatchedLastNames.has(command.patient.lastName)) {
          if (!command.unregisteredSlotTypeId) {
            throw new EhrError(
              'patient_not_matched',
              'MEM_ERR_PATIENT_NOT_MATCHED',
              'No unique patient record',
            );
          }
          memory.booked.set(
            command.slot.ehrSlotId,
            `hold:${command.unregisteredSlotTypeId}:${command.bookingId}`,
          );
          return { ehrBookingRef: `hold-${command.slot.ehrSlotId}`, heldForReconciliation: true };
        }
        memory.booked.set(command.slot.ehrSlotId, command.bookingId);
        return { ehrBookingRef: `mem-${command.slot.ehrSlotId}` };
      }
      memory.booked.delete(command.slot.ehrSlotId);
      return { ehrBookingRef: command.ehrBookingRef };
    },
  });
  return memory;
}
