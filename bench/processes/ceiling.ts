/**
 * Child process: the ceilings, bare Fastify routes on 127.0.0.1 that do only the unavoidable work
 * of the real ones, on the same machine, PostgreSQL and Node.
 *   PUT  /bytes/:name   keep a body (the bench stores a real `GET …/slots` answer here)
 *   GET  /bytes/:name   send those same bytes, as JSON: the read ceiling
 *   POST /insert        parse a booking-sized JSON body, one INSERT in one transaction on the
 *                       same PostgreSQL (pool of BENCH_POOL_MAX, default 10, the server's): the
 *                       write ceiling. Its table lives in schema bench_ceiling, apart from ours.
 * Prints `BENCH_READY {"url": …}`; stops on SIGTERM.
 */
import Fastify from 'fastify';
import pg from 'pg';

const connectionString = process.env.BENCH_DATABASE_URL;
if (!connectionString) throw new Error('BENCH_DATABASE_URL is required');
const pool = new pg.Pool({ connectionString, max: Number(process.env.BENCH_POOL_MAX ?? 10) });
await pool.query(`
  CREATE SCHEMA IF NOT EXISTS bench_ceiling;
  CREATE TABLE IF NOT EXISTS bench_ceiling.bookings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slot_id text NOT NULL,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`);

const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
const bodies = new Map<string, Buffer>();
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
  done(null, body),
);

app.put('/bytes/:name', async (request, reply) => {
  bodies.set((request.params as { name: string }).name, request.body as Buffer);
  return reply.code(204).send();
});

app.get('/bytes/:name', async (request, reply) => {
  const body = bodies.get((request.params as { name: string }).name);
  if (!body) return reply.code(404).send();
  return reply.type('application/json; charset=utf-8').send(body);
});

app.post('/insert', async (request, reply) => {
  const body = request.body as { slotId?: string };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO bench_ceiling.bookings (slot_id, body) VALUES ($1, $2) RETURNING id',
      [body.slotId ?? 'none', body],
    );
    await client.query('COMMIT');
    return reply.code(201).send({ id: rows[0]!.id, state: 'pending' });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`BENCH_READY ${JSON.stringify({ url })}`);

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
