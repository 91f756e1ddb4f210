/**
 * The Postgres-backed job queue (pg-boss). Several server or worker processes share one
 * database and so share the work. Jobs that must not be lost with a transaction are sent inside
 * it (`sendInTransaction`): the job exists exactly when the transaction commits.
 */
import { CompiledQuery, type Transaction } from 'kysely';
import PgBoss from 'pg-boss';
import type { Database } from './db/schema.ts';
import type { HookLogger } from './ehr-plugin.ts';

export const Queue = {
  /** Write one outbox command (book / cancel) back to the EHR. Data: { commandId }. */
  bookingWrite: 'booking-write',
  /** Sync one practice, then schedule its next sync. Data: { practiceId, trigger }. */
  syncPractice: 'sync-practice',
  /** Every minute: make sure every connected practice has a sync queued. */
  syncSweep: 'sync-sweep',
} as const;

export const BOOKING_WRITE_RETRY_LIMIT = 5;

export interface JobQueueOptions {
  connectionString: string;
  log: HookLogger;
  /** How often idle workers look for jobs, in seconds (pg-boss minimum 0.5). */
  pollingIntervalSeconds?: number;
}

export interface JobMeta {
  retryCount: number;
  retryLimit: number;
}

export class JobQueue {
  readonly boss: PgBoss;
  readonly pollingIntervalSeconds: number;

  readonly #state: { stopping: boolean };

  private constructor(boss: PgBoss, pollingIntervalSeconds: number, state: { stopping: boolean }) {
    this.boss = boss;
    this.pollingIntervalSeconds = pollingIntervalSeconds;
    this.#state = state;
  }

  static async start(options: JobQueueOptions): Promise<JobQueue> {
    const boss = new PgBoss({ connectionString: options.connectionString, max: 4, schema: 'pgboss' });
    const queue = { stopping: false };
    // While stopping, connections ended under the queue (the database shutting down) are expected.
    boss.on('error', (error: Error) =>
      queue.stopping
        ? options.log.debug({ err: error.message }, 'job queue error while stopping')
        : options.log.error({ err: error.message }, 'job queue error'),
    );
    await boss.start();
    await boss.createQueue(Queue.bookingWrite, {
      name: Queue.bookingWrite,
      policy: 'standard',
      retryLimit: BOOKING_WRITE_RETRY_LIMIT,
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: 120,
    });
    // stately: at most one queued and one running sync per practice (singletonKey = practice id).
    await boss.createQueue(Queue.syncPractice, {
      name: Queue.syncPractice,
      policy: 'stately',
      retryLimit: 0,
      expireInSeconds: 600,
    });
    await boss.createQueue(Queue.syncSweep, { name: Queue.syncSweep, policy: 'singleton', retryLimit: 0 });
    return new JobQueue(boss, Math.max(0.5, options.pollingIntervalSeconds ?? 1), queue);
  }

  /** Sends a job as part of a Kysely transaction: it exists only if the transaction commits. */
  async sendInTransaction(
    trx: Transaction<Database>,
    name: string,
    data: object,
    options: PgBoss.SendOptions = {},
  ): Promise<void> {
    await this.boss.send(name, data, {
      ...options,
      db: {
        executeSql: async (text: string, values: unknown[]) => {
          const result = await trx.executeQuery(CompiledQuery.raw(text, values));
          return { rows: result.rows as unknown[] };
        },
      },
    });
  }

  async send(name: string, data: object, options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.boss.send(name, data, options);
  }

  async work<T extends object>(
    name: string,
    handler: (data: T, meta: JobMeta) => Promise<void>,
  ): Promise<void> {
    await this.boss.work<T>(
      name,
      { includeMetadata: true, pollingIntervalSeconds: this.pollingIntervalSeconds, batchSize: 1 },
      async ([job]) => {
        if (job) await handler(job.data, { retryCount: job.retryCount, retryLimit: job.retryLimit });
      },
    );
  }

  async stop(): Promise<void> {
    this.#state.stopping = true;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
