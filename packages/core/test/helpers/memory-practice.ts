/** A practice on the in-memory EHR, set up so that its slots of type `st1` are offered. */
import type { Caller } from '../../src/caller.ts';
import type { Practice } from '../../src/db/schema.ts';
import type { EhrSlot } from '../../src/ehr-plugin.ts';
import type { EngineOptions, Slotbridge } from '../../src/slotbridge.ts';
import { createTestSlotbridge, insertCatalogue } from '../../src/testing/index.ts';
import { createMemoryEhr, type MemoryEhr } from '../../src/testing/memory-ehr.ts';
import type { WebhookDeliveryOptions } from '../../src/webhooks/delivery.ts';

export interface MemoryPractice {
  slotbridge: Slotbridge;
  memory: MemoryEhr;
  practice: Practice;
  caller: Caller;
  appointmentTypeId: string;
  /** Of the test database, for a second core (another process) on it. */
  connectionString: string;
  close(): Promise<void>;
}

export function memorySlot(id: string, startAt: Date, overrides: Partial<EhrSlot> = {}): EhrSlot {
  return {
    ehrSlotId: id,
    ehrSessionId: 'session-1',
    ehrPractitionerId: 'p1',
    ehrLocationId: 'l1',
    ehrSlotTypeId: 'st1',
    startAt,
    endAt: new Date(startAt.getTime() + 10 * 60_000),
    status: 'free',
    ehrStatus: 'Slot Available',
    ...overrides,
  };
}

/** Slots starting tomorrow 09:00 UTC, 10 minutes apart. */
export function tomorrowSlots(count: number, prefix = 's'): EhrSlot[] {
  const base = new Date();
  base.setUTCDate(base.getUTCDate() + 1);
  base.setUTCHours(9, 0, 0, 0);
  return Array.from({ length: count }, (_, i) =>
    memorySlot(`${prefix}${i + 1}`, new Date(base.getTime() + i * 10 * 60_000)),
  );
}

export async function memoryPractice(
  options: {
    cancel?: boolean;
    listsBookedSlots?: boolean;
    sessionCounts?: boolean;
    engine?: Partial<EngineOptions>;
    webhooks?: Partial<WebhookDeliveryOptions>;
  } = {},
): Promise<MemoryPractice> {
  const memory = createMemoryEhr(options);
  const { slotbridge, database, close } = await createTestSlotbridge({
    ...(options.engine && { engine: options.engine }),
    ...(options.webhooks && { webhooks: options.webhooks }),
  });
  slotbridge.ehr.register(memory.definition);
  const partner = await slotbridge.apiKeys.createPartner('Test partner');
  const key = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'test');
  const caller = (await slotbridge.apiKeys.authenticate(key.key))!;
  const practice = await slotbridge.practices.create(caller, {
    name: 'Test practice',
    ehr: 'memory',
    timeZone: 'Europe/London',
  });
  await slotbridge.connections.put(caller, practice, { practiceCode: 'T1', secret: 'right' });
  await insertCatalogue(slotbridge.db, practice.id, [
    { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)' },
    { kind: 'location', ehrId: 'l1', name: 'Main site (EHR)' },
    { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
    { kind: 'slot_type', ehrId: 'st2', name: 'Nurse' },
  ]);
  const practitionerId = await slotbridge.catalogue.addPractitioner(practice, 'Dr Test');
  await slotbridge.mappings.putPractitioners(caller, practice, [{ practitionerId, ehrPractitionerId: 'p1' }]);
  const locationId = await slotbridge.catalogue.addLocation(practice, 'Main site');
  await slotbridge.mappings.putLocations(caller, practice, [{ locationId, ehrLocationId: 'l1' }]);
  const appointmentTypeId = await slotbridge.catalogue.addAppointmentType(practice, 'GP appointment', 10);
  await slotbridge.mappings.putSlotTypeFeatures(caller, practice, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(caller, practice, ['st1']);
  return {
    slotbridge,
    memory,
    practice,
    caller,
    appointmentTypeId,
    connectionString: database.connectionString,
    close,
  };
}
