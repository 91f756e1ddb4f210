/** A practice on the in-memory EHR whose slots (type st1, practitioner p1, site l1) are offered, synced. */
import type { EhrSlot } from '@slotbridge/core';
import { insertCatalogue } from '@slotbridge/core/testing';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { bearer, type TestApp, testApp } from './test-app.ts';

export interface OfferingPractice extends TestApp {
  key: string;
  practiceId: string;
  /** A request under /v1/practices/{practiceId} with the partner's key and any more headers. */
  call(
    method: 'GET' | 'POST',
    path: string,
    options?: { payload?: object; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** Syncs the practice now (after changing `memory.slots`). */
  sync(): Promise<void>;
}

export async function offeringPractice(
  t: Test,
  slots: EhrSlot[],
  options: Parameters<typeof testApp>[0] = {},
): Promise<OfferingPractice> {
  const setup = await testApp(options);
  t.teardown(setup.close);
  const { app, slotbridge, memory } = setup;
  const a = await setup.partner('A');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/practices',
    headers: bearer(a.key),
    payload: { name: 'P', ehr: 'memory', timeZone: 'Europe/London' },
  });
  const practiceId: string = created.json().id;
  await app.inject({
    method: 'PUT',
    url: `/v1/practices/${practiceId}/connection`,
    headers: bearer(a.key),
    payload: { practiceCode: 'T1', secret: 'right' },
  });
  const record = await slotbridge.practices.get(
    { apiKeyId: 'test', partnerId: null, practiceId: null },
    practiceId,
  );
  await insertCatalogue(slotbridge.db, record.id, [
    { kind: 'practitioner', ehrId: 'p1', name: 'Dr Test (EHR)' },
    { kind: 'location', ehrId: 'l1', name: 'Main (EHR)' },
    { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
  ]);
  const practitionerId = await slotbridge.catalogue.addPractitioner(record, 'Dr Test');
  await slotbridge.mappings.putPractitioners(null, record, [{ practitionerId, ehrPractitionerId: 'p1' }]);
  const locationId = await slotbridge.catalogue.addLocation(record, 'Main');
  await slotbridge.mappings.putLocations(null, record, [{ locationId, ehrLocationId: 'l1' }]);
  const typeId = await slotbridge.catalogue.addAppointmentType(record, 'GP appointment', 10);
  await slotbridge.mappings.putSlotTypeFeatures(null, record, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(null, record, ['st1']);
  memory.slots.push(...slots);
  const call: OfferingPractice['call'] = (method, path, { payload, headers } = {}) =>
    app.inject({
      method,
      url: `/v1/practices/${practiceId}${path}`,
      headers: { ...bearer(a.key), ...headers },
      ...(payload && { payload }),
    });
  const sync = async () => {
    const res = await call('POST', '/sync');
    if (res.json().status !== 'succeeded') throw new Error(`sync: ${res.body}`);
  };
  await sync();
  return { ...setup, key: a.key, practiceId, call, sync };
}

/** An in-memory EHR slot of p1 at l1, type st1, free. */
export function slotAt(id: string, startAt: Date, minutes = 10): EhrSlot {
  return {
    ehrSlotId: id,
    ehrSessionId: 'session-1',
    ehrPractitionerId: 'p1',
    ehrLocationId: 'l1',
    ehrSlotTypeId: 'st1',
    startAt,
    endAt: new Date(startAt.getTime() + minutes * 60_000),
    status: 'free',
    ehrStatus: 'Slot Available',
  };
}
