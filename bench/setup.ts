/**
 * Sets the fleet's practices up through the API alone, as the README's "Setting a practice up"
 * does: a partner and its key (admin key), then per practice: create it, PUT its connection
 * (the plugin's set-up checks run against the fleet), discover, the booking side named after the
 * EHR's entities, the four mapping tables, the active slot types. The engine reads each practice
 * once it is connected (step 6's POST …/sync is not needed). Many practices at once, each call
 * bounded by a timeout.
 */

import type pg from 'pg';
import { type Api, apiClient } from './lib/api.ts';
import { mapConcurrently, sleep } from './lib/stats.ts';

export interface FleetPracticeRef {
  id: string;
  cdbNumber: string;
}

interface CatalogueEntry {
  ehrId: string;
  name: string;
  attributes: { bookable?: boolean };
}

export const FIRST_CDB_NUMBER = 60001;

export async function createPartner(baseUrl: string, adminKey: string): Promise<Api> {
  const admin = apiClient(baseUrl, adminKey);
  const partner = await admin.request<{ id: string }>('POST', '/v1/partners', {
    body: { name: 'Bench partner' },
  });
  const issued = await admin.request<{ key: string }>('POST', `/v1/partners/${partner.id}/api-keys`, {
    body: { label: 'bench' },
  });
  return apiClient(baseUrl, issued.key);
}

/** One practice, from nothing to mapped and active (no sync). */
async function setUpPractice(
  api: Api,
  connection: Record<string, string>,
  cdbNumber: string,
  horizonDays: number,
): Promise<FleetPracticeRef> {
  const practice = await api.request<{ id: string }>('POST', '/v1/practices', {
    body: {
      name: `Fleet Surgery ${cdbNumber}`,
      ehr: 'emis',
      odsCode: `Y${cdbNumber}`,
      timeZone: 'Europe/London',
      publishingHorizonDays: horizonDays,
    },
  });
  const base = `/v1/practices/${practice.id}`;
  await api.request('PUT', `${base}/connection`, { body: connection, timeoutMs: 60_000 });
  await api.request('POST', `${base}/discover`, { timeoutMs: 60_000 });
  const list = async (kind: string) =>
    (await api.request<{ data: CatalogueEntry[] }>('GET', `${base}/ehr/${kind}`)).data;
  const [holders, sites, slotTypes] = [
    await list('practitioners'),
    await list('locations'),
    await list('slot-types'),
  ];
  const create = async (path: string, body: object) =>
    (await api.request<{ id: string }>('POST', `${base}/${path}`, { body })).id;

  const practitioners = [];
  for (const holder of holders) {
    practitioners.push({
      practitionerId: await create('practitioners', { name: holder.name }),
      ehrPractitionerId: holder.ehrId,
    });
  }
  await api.request('PUT', `${base}/mappings/practitioners`, { body: { rows: practitioners } });
  const locations = [];
  for (const site of sites) {
    locations.push({ locationId: await create('locations', { name: site.name }), ehrLocationId: site.ehrId });
  }
  await api.request('PUT', `${base}/mappings/locations`, { body: { rows: locations } });

  const features = [];
  const bookingFeatures = [];
  const active = [];
  for (const type of slotTypes) {
    if (/unregistered/i.test(type.name)) {
      features.push({ ehrSlotTypeId: type.ehrId, feature: 'unregistered_patient', appointmentTypeId: null });
      active.push(type.ehrId);
    } else if (type.attributes.bookable === true) {
      const appointmentTypeId = await create('appointment-types', { name: type.name, durationMinutes: 10 });
      features.push({ ehrSlotTypeId: type.ehrId, feature: 'bookable', appointmentTypeId });
      bookingFeatures.push({ appointmentTypeId, ehrSlotTypeId: type.ehrId });
      active.push(type.ehrId);
    } else {
      features.push({ ehrSlotTypeId: type.ehrId, feature: 'not_bookable', appointmentTypeId: null });
    }
  }
  await api.request('PUT', `${base}/mappings/slot-types`, { body: { rows: features } });
  await api.request('PUT', `${base}/mappings/appointment-types`, { body: { rows: bookingFeatures } });
  await api.request('PUT', `${base}/active-slot-types`, { body: { ehrSlotTypeIds: active } });
  return { id: practice.id, cdbNumber };
}

export async function setUpPractices(
  api: Api,
  connectionOf: (cdbNumber: string) => Record<string, string>,
  count: number,
  horizonDays: number,
  concurrency: number,
  log: (line: string) => void,
): Promise<FleetPracticeRef[]> {
  let done = 0;
  const numbers = Array.from({ length: count }, (_, i) => String(FIRST_CDB_NUMBER + i));
  return mapConcurrently(numbers, concurrency, async (cdbNumber) => {
    const practice = await setUpPractice(api, connectionOf(cdbNumber), cdbNumber, horizonDays);
    done += 1;
    if (done % 100 === 0 && done < count) log(`  ${done}/${count} practices set up`);
    return practice;
  });
}

/** Practices whose whole horizon has been read: a succeeded sync run reaching to within a day of its end. */
export async function countWhollyRead(pool: pg.Pool, horizonDays: number): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(DISTINCT practice_id) AS n FROM sync_runs
      WHERE status = 'succeeded' AND window_to >= now() + make_interval(days => $1)`,
    [horizonDays - 1],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits (bounded) until `count` practices have had their whole horizon read (the engine's first
 * reads may be of the near window only); answers how many have.
 */
export async function waitForSyncedPractices(
  pool: pg.Pool,
  count: number,
  horizonDays: number,
  deadline: number,
): Promise<number> {
  while (true) {
    const synced = await countWhollyRead(pool, horizonDays);
    if (synced >= count || Date.now() >= deadline) return synced;
    await sleep(500);
  }
}
