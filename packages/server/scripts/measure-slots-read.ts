/**
 * Measures the request path of one practice: GET …/slots for a week and for a day, and the
 * booking accept, over real HTTP with autocannon (64 connections), on the in-memory EHR with
 * ~1,400 slots over four weeks. Not a test: figures vary with the machine. The load runs in a
 * child process; "server CPU ms/req" is the server process's CPU time per request (user +
 * system; PostgreSQL's own CPU not included), which a busy shared machine disturbs less than req/s. Also prints the rows api_keys
 * was written during the reads, and EXPLAIN (ANALYZE, BUFFERS) of a query given in $EXPLAIN.
 *
 *   SLOTBRIDGE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     node --conditions=development --import tsx packages/server/scripts/measure-slots-read.ts [seconds]
 *
 * MEASURE_API_ONLY=1 measures as an `api` process (no workers: no write-back after each accept).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ehrFastifyPlugin } from '@slotbridge/core';
import { createMemoryEhr, createTestSlotbridge, insertCatalogue } from '@slotbridge/core/testing';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.ts';

// Every statement this process sends while `recording` is set is kept: one pg query is one round
// trip. (Set around one request while the workers are idle; the write-back of the booking, woken
// by its commit, may start before the answer, and is then printed too.)
let recording: string[] | null = null;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = args[0];
  recording?.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const seconds = Number(process.argv[2] ?? 10);
const CONNECTIONS = 64;

const { slotbridge, database } = await createTestSlotbridge();
const memory = createMemoryEhr();
const app = await buildApp({
  slotbridge,
  ehrPlugins: [ehrFastifyPlugin('@slotbridge/test-memory', memory.definition)],
});
await app.ready();
// As `serve` runs: with its workers, whose coordination session lets /slots keep its answers;
// MEASURE_API_ONLY=1: as `api` runs, no workers (the accept without the write-back it wakes).
if (process.env.MEASURE_API_ONLY === '1') await slotbridge.startAnswering();
else await slotbridge.startWorkers();
const admin = await slotbridge.apiKeys.issue(null, 'measure');
const partner = await slotbridge.apiKeys.createPartner('Measure');
const key = (await slotbridge.apiKeys.issuePartnerKey(partner.id, 'measure')).key;
const caller = (await slotbridge.apiKeys.authenticate(key))!;
void admin;
const practice = await slotbridge.practices.create(caller, {
  name: 'Measured',
  ehr: 'memory',
  timeZone: 'Europe/London',
});
await slotbridge.connections.put(caller, practice, { practiceCode: 'T1', secret: 'right' });
const practitioners = ['p1', 'p2', 'p3', 'p4'];
await insertCatalogue(slotbridge.db, practice.id, [
  ...practitioners.map((id) => ({ kind: 'practitioner' as const, ehrId: id, name: `Dr ${id} (EHR)` })),
  { kind: 'location', ehrId: 'l1', name: 'Main (EHR)' },
  { kind: 'slot_type', ehrId: 'st1', name: 'Routine' },
]);
const rows = [];
for (const id of practitioners) {
  rows.push({
    practitionerId: await slotbridge.catalogue.addPractitioner(practice, `Dr ${id}`),
    ehrPractitionerId: id,
  });
}
await slotbridge.mappings.putPractitioners(caller, practice, rows);
const locationId = await slotbridge.catalogue.addLocation(practice, 'Main');
await slotbridge.mappings.putLocations(caller, practice, [{ locationId, ehrLocationId: 'l1' }]);
const typeId = await slotbridge.catalogue.addAppointmentType(practice, 'GP appointment', 15);
await slotbridge.mappings.putSlotTypeFeatures(caller, practice, [
  { ehrSlotTypeId: 'st1', feature: 'bookable', appointmentTypeId: typeId },
]);
await slotbridge.mappings.putActiveSlotTypes(caller, practice, ['st1']);

// 4 practitioners × 27 days × 13 slots of 15 minutes from 08:00 UTC, starting tomorrow.
const day0 = new Date();
day0.setUTCDate(day0.getUTCDate() + 1);
day0.setUTCHours(8, 0, 0, 0);
for (let d = 0; d < 27; d++) {
  for (const p of practitioners) {
    for (let i = 0; i < 13; i++) {
      const startAt = new Date(day0.getTime() + d * 86_400_000 + i * 15 * 60_000);
      memory.slots.push({
        ehrSlotId: `${p}-${d}-${i}`,
        ehrSessionId: `${p}-${d}`,
        ehrPractitionerId: p,
        ehrLocationId: 'l1',
        ehrSlotTypeId: 'st1',
        startAt,
        endAt: new Date(startAt.getTime() + 15 * 60_000),
        status: 'free',
        ehrStatus: 'Slot Available',
      });
    }
  }
}
await slotbridge.sync.run(practice, 'manual');
// The ceiling: a bare Fastify route sending the same bytes as the week's answer.
const ceiling = Fastify();
let ceilingBody = '';
ceiling.get('/same-bytes', async (_request, reply) => reply.type('application/json').send(ceilingBody));
const ceilingAddress = await ceiling.listen({ port: 0, host: '127.0.0.1' });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const iso = (d: Date) => d.toISOString().slice(0, 10);
const week = `/v1/practices/${practice.id}/slots?from=${iso(day0)}&to=${iso(new Date(day0.getTime() + 7 * 86_400_000))}`;
const day = `/v1/practices/${practice.id}/slots?from=${iso(day0)}&to=${iso(new Date(day0.getTime() + 86_400_000))}`;
const headers = { authorization: `Bearer ${key}` };

async function apiKeyUpdates(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select n_tup_upd::int as n from pg_stat_user_tables where relname = 'api_keys'`.execute(slotbridge.db);
  return rows[0]?.n ?? 0;
}

interface LoadResult {
  requests: { average: number; total: number };
  latency: { average: number; p50: number; p99: number };
  non2xx: number;
  '2xx': number;
}

/** autocannon in a child process, so the load does not share the server's event loop or thread. */
async function autocannonElsewhere(
  options: object,
  slotIds: string[] = [],
): Promise<{ result: LoadResult; busyMs: number }> {
  const before = process.cpuUsage();
  const code = `
    const { randomUUID } = require('node:crypto');
    const autocannon = require('autocannon');
    const { options, slotIds } = JSON.parse(process.env.LOAD);
    let next = 0;
    if (slotIds.length > 0) {
      options.requests = [{ setupRequest: (request) => ({
        ...request,
        headers: { ...request.headers, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ slotId: slotIds[next++ % slotIds.length],
          patient: { firstName: 'A', lastName: 'B', dateOfBirth: '1980-01-01' } }),
      }) }];
    }
    autocannon(options).then((r) => process.stdout.write(JSON.stringify(r)));`;
  const child = spawn(process.execPath, ['-e', code], {
    env: { ...process.env, LOAD: JSON.stringify({ options, slotIds }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  await once(child, 'close');
  const used = process.cpuUsage(before);
  return { result: JSON.parse(out) as LoadResult, busyMs: (used.user + used.system) / 1000 };
}

async function load(title: string, path: string, origin = address) {
  const res = await fetch(`${origin}${path}`, { headers });
  const body = await res.text();
  const slots = (JSON.parse(body) as { data: unknown[] }).data.length;
  const updatesBefore = await apiKeyUpdates();
  const { result, busyMs } = await autocannonElsewhere({
    url: `${origin}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
  });
  await new Promise((resolve) => setTimeout(resolve, 800)); // statistics collector
  const updates = (await apiKeyUpdates()) - updatesBefore;
  console.log(
    `${title}: ${slots} slots, ${body.length} bytes; ${result.requests.average.toFixed(0)} req/s, ` +
      `latency mean ${result.latency.average.toFixed(1)} ms, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ` +
      `server CPU ${(busyMs / result.requests.total).toFixed(2)} ms/req; ${result.non2xx} non-2xx; ` +
      `api_keys rows updated: ${updates} for ${result.requests.total} requests`,
  );
}

await load('GET slots, one week', week);
ceilingBody = await (await fetch(`${address}${week}`, { headers })).text();
await load('ceiling: bare route, same bytes as the week', '/same-bytes', ceilingAddress);
await load('GET slots, one day', day);

// The accept: distinct slots, 64 at once.
const offered = (await slotbridge.availability.offered(slotbridge.db, practice)).map((s) => s.id);

// The statements (round trips) of one accept, after a warm-up accept (a first request reads
// what later ones find in memory), through the whole app: auth, route, hooks.
async function statementsOfAccept(slotId: string): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the last write-back done
  const statements: string[] = [];
  recording = statements;
  const res = await app.inject({
    method: 'POST',
    url: `/v1/practices/${practice.id}/bookings`,
    headers: { ...headers, 'idempotency-key': `count-${slotId}` },
    payload: { slotId, patient: { firstName: 'A', lastName: 'B', dateOfBirth: '1980-01-01' } },
  });
  recording = null;
  if (res.statusCode !== 201) throw new Error(`accept answered ${res.statusCode}: ${res.body}`);
  return statements;
}
await statementsOfAccept(offered.pop()!);
const statements = await statementsOfAccept(offered.pop()!);
console.log(`statements of one accept: ${statements.length}`);
for (const text of statements) console.log(`  ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
const { result: accept, busyMs } = await autocannonElsewhere(
  {
    url: `${address}/v1/practices/${practice.id}/bookings`,
    connections: CONNECTIONS,
    amount: Math.min(1000, offered.length),
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
  },
  offered,
);
console.log(
  `POST bookings (accept), ${accept.requests.total} on distinct slots: ${accept.requests.average.toFixed(0)} req/s, ` +
    `latency mean ${accept.latency.average.toFixed(1)} ms, p99 ${accept.latency.p99} ms; ` +
    `server CPU ${(busyMs / accept.requests.total).toFixed(2)} ms/req; ${accept['2xx']} accepted, ${accept.non2xx} refused`,
);

if (process.env.EXPLAIN) {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${sql.raw(
    process.env.EXPLAIN.replaceAll('$PRACTICE', practice.id)
      .replaceAll('$FROM', day0.toISOString())
      .replaceAll('$TO', new Date(day0.getTime() + 7 * 86_400_000).toISOString()),
  )}`.execute(slotbridge.db);
  console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
}

await ceiling.close();
await app.close();
await database.drop();
