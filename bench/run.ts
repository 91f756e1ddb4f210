/**
 * `npm run bench` (or `pnpm bench`): speed and memory of the hot paths on a real PostgreSQL
 * (embedded unless SLOTBRIDGE_TEST_DATABASE_URL is set), with an in-memory EHR so the figures
 * are ours, not a sandbox's. Targets are printed beside the figures; a missed target exits 1.
 *
 *   sync of a 4-week diary (first, unchanged, 1% changed), availability for a week, booking.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EhrSlot } from '../packages/core/src/ehr-plugin.ts';
import {
  createMemoryEhr,
  createTestSlotbridge,
  insertCatalogue,
} from '../packages/core/src/testing/index.ts';
import { startEmbeddedPostgres } from '../packages/server/src/embedded-postgres.ts';

const SLOTS = Number(process.env.BENCH_SLOTS ?? 10_000);
const ROUNDS = 20;

interface Result {
  name: string;
  value: number;
  unit: string;
  target: number;
}
const results: Result[] = [];
const record = (name: string, value: number, unit: string, target: number) =>
  results.push({ name, value: Math.round(value * 10) / 10, unit, target });

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function diary(count: number): EhrSlot[] {
  const start = new Date();
  start.setUTCDate(start.getUTCDate() + 1);
  start.setUTCHours(8, 0, 0, 0);
  const perDay = Math.ceil(count / 27);
  return Array.from({ length: count }, (_, i) => {
    const day = Math.floor(i / perDay);
    // Five practitioners in turn, a slot every 2 minutes: each practitioner's 10-minute slots follow on.
    const at = new Date(start.getTime() + day * 86_400_000 + (i % perDay) * 120_000);
    return {
      ehrSlotId: `slot-${i}`,
      ehrSessionId: `session-${day}`,
      ehrPractitionerId: `p${i % 5}`,
      ehrLocationId: 'l1',
      ehrSlotTypeId: 'st1',
      startAt: at,
      endAt: new Date(at.getTime() + 600_000),
      status: i % 4 === 0 ? 'booked' : 'free',
      ehrStatus: i % 4 === 0 ? 'Booked' : 'Slot Available',
    };
  });
}

let serverUrl = process.env.SLOTBRIDGE_TEST_DATABASE_URL;
let stopServer = async () => {};
if (!serverUrl) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slotbridge-bench-'));
  const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  serverUrl = embedded.adminConnectionString;
  stopServer = async () => {
    await embedded.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
process.env.SLOTBRIDGE_TEST_DATABASE_URL = serverUrl;

const memory = createMemoryEhr();
const { slotbridge, close } = await createTestSlotbridge({ staleAfterSeconds: 3600 });
try {
  slotbridge.ehr.register(memory.definition);
  const partner = await slotbridge.apiKeys.createPartner('Bench');
  const key = await slotbridge.apiKeys.issuePartnerKey(partner.id, 'bench');
  const caller = (await slotbridge.apiKeys.authenticate(key.key))!;
  const practice = await slotbridge.practices.create(caller, {
    name: 'Bench',
    ehr: 'memory',
    timeZone: 'Europe/London',
  });
  await slotbridge.connections.put(caller, practice, { practiceCode: 'B', secret: 'right' });
  await insertCatalogue(slotbridge.db, practice.id, [
    ...Array.from({ length: 5 }, (_, i) => ({
      kind: 'practitioner' as const,
      ehrId: `p${i}`,
      name: `Dr ${i}`,
    })),
    { kind: 'location', ehrId: 'l1', name: 'Main' },
    { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
  ]);
  const practitioners = [];
  for (let i = 0; i < 5; i++) {
    practitioners.push({
      practitionerId: await slotbridge.catalogue.addPractitioner(practice, `Dr ${i}`),
      ehrPractitionerId: `p${i}`,
    });
  }
  await slotbridge.mappings.putPractitioners(caller, practice, practitioners);
  const locationId = await slotbridge.catalogue.addLocation(practice, 'Main');
  await slotbridge.mappings.putLocations(caller, practice, [{ locationId, ehrLocationId: 'l1' }]);
  const typeId = await slotbridge.catalogue.addAppointmentType(practice, 'Routine', 10);
  await slotbridge.mappings.putSlotTypeFeatures(caller, practice, [
    { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
  ]);
  await slotbridge.mappings.putActiveSlotTypes(caller, practice, ['st1']);
  memory.slots.push(...diary(SLOTS));

  const [first] = await time(() => slotbridge.sync.run(practice, 'manual'));
  record(`sync, first (${SLOTS} slots stored)`, first, 'ms', 10_000);
  const [unchanged, run] = await time(() => slotbridge.sync.run(practice, 'manual'));
  if (run.inserted + run.updated + run.deleted !== 0) throw new Error('an unchanged sync wrote something');
  record(`sync, nothing changed (${SLOTS} compared)`, unchanged, 'ms', 3_000);
  for (let i = 0; i < SLOTS; i += 100) {
    const slot = memory.slots[i]!;
    memory.slots[i] = { ...slot, status: slot.status === 'free' ? 'booked' : 'free' };
  }
  const [changed, changedRun] = await time(() => slotbridge.sync.run(practice, 'manual'));
  record(`sync, 1% changed (${changedRun.updated} updates)`, changed, 'ms', 3_000);

  const week = { from: new Date(), to: new Date(Date.now() + 7 * 86_400_000) };
  const availability: number[] = [];
  let offered = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const [ms, slots] = await time(() => slotbridge.availability.offered(slotbridge.db, practice, week));
    availability.push(ms);
    offered = slots.length;
  }
  record(`availability, one week (${offered} slots), p50`, percentile(availability, 50), 'ms', 300);
  record('availability, one week, p95', percentile(availability, 95), 'ms', 500);

  const free = (await slotbridge.availability.offered(slotbridge.db, practice, week)).slice(0, ROUNDS);
  const booking: number[] = [];
  for (const [i, slot] of free.entries()) {
    const [ms] = await time(() =>
      slotbridge.bookings.create(caller, practice, `bench-${i}-${Date.now()}`, {
        slotId: slot.id,
        patient: { firstName: 'Bench', lastName: 'Patient', dateOfBirth: '1980-01-01' },
      }),
    );
    booking.push(ms);
  }
  record('booking accepted (lock, store, enqueue), p50', percentile(booking, 50), 'ms', 100);
  record('booking accepted, p95', percentile(booking, 95), 'ms', 250);
  record('memory: heap used after the run', process.memoryUsage().heapUsed / 1_048_576, 'MiB', 256);
} finally {
  await close();
  await stopServer();
}

const width = Math.max(...results.map((r) => r.name.length));
console.log(`\nslotbridge bench (Node ${process.version}, ${os.cpus().length} cores)\n`);
let missed = 0;
for (const r of results) {
  const ok = r.value <= r.target;
  if (!ok) missed += 1;
  console.log(
    `${r.name.padEnd(width)}  ${String(r.value).padStart(8)} ${r.unit.padEnd(3)}  target ≤ ${r.target} ${ok ? '✓' : '✗'}`,
  );
}
process.exit(missed > 0 ? 1 : 0);
