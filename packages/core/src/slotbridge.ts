/**
 * The composition root of the core: every service wired to one database, one job queue, one
 * EHR registry. The server decorates Fastify with it; a worker process uses it without routes.
 */
import { createHmac } from 'node:crypto';
import { ApiKeys } from './api-keys.ts';
import { Availability } from './availability.ts';
import { Bookings } from './booking/bookings.ts';
import { WriteBack } from './booking/write-back.ts';
import { BookingCatalogue } from './booking-catalogue.ts';
import { Connections } from './connections.ts';
import type { Db } from './db/database.ts';
import type { SyncTrigger } from './db/schema.ts';
import { AvailabilityDiagnostics } from './diagnostics/availability-diagnostics.ts';
import { Diary } from './diary.ts';
import { EhrCatalogueStore } from './ehr-catalogue.ts';
import type { HookLogger } from './ehr-plugin.ts';
import { EhrRegistry } from './ehr-registry.ts';
import { HookRegistry } from './hooks.ts';
import { JobQueue, Queue } from './jobs.ts';
import { Mappings } from './mappings.ts';
import { Metrics } from './metrics.ts';
import { Practices } from './practices.ts';
import { SecretBox } from './secret-box.ts';
import { SlotSync } from './sync/sync-practice.ts';
import { SyncState } from './sync/sync-state.ts';

export interface SlotbridgeOptions {
  db: Db;
  /** For the job queue's own connections. */
  connectionString: string;
  encryptionKey: Buffer;
  log: HookLogger;
  /** Seconds after the last good sync when slots stop being offered. Default 600. */
  staleAfterSeconds?: number;
  /** Seconds between background syncs of a practice (at least the plugin's minimum). Default 30. */
  syncIntervalSeconds?: number;
  /** How often idle workers poll for jobs. Default 1. */
  pollingIntervalSeconds?: number;
  hooks?: HookRegistry;
  now?: () => Date;
}

export class Slotbridge {
  readonly db: Db;
  readonly hooks: HookRegistry;
  readonly ehr: EhrRegistry;
  readonly metrics: Metrics;
  readonly jobs: JobQueue;
  readonly secrets: SecretBox;
  readonly apiKeys: ApiKeys;
  readonly practices: Practices;
  readonly connections: Connections;
  readonly catalogue: BookingCatalogue;
  readonly ehrCatalogue: EhrCatalogueStore;
  readonly mappings: Mappings;
  readonly sync: SlotSync;
  /** How fresh each practice's stored diary is (read by availability, diagnostics, metrics). */
  readonly syncState: SyncState;
  readonly availability: Availability;
  readonly diary: Diary;
  readonly diagnostics: AvailabilityDiagnostics;
  readonly bookings: Bookings;
  readonly writeBack: WriteBack;
  readonly syncIntervalSeconds: number;
  readonly #log: HookLogger;
  #workersStarted = false;

  private constructor(options: SlotbridgeOptions, jobs: JobQueue) {
    const now = options.now ?? (() => new Date());
    this.db = options.db;
    this.metrics = new Metrics(this.db);
    this.#log = options.log;
    this.hooks = options.hooks ?? new HookRegistry();
    this.ehr = new EhrRegistry(this.hooks);
    this.jobs = jobs;
    this.secrets = new SecretBox(options.encryptionKey);
    this.apiKeys = new ApiKeys(this.db);
    this.practices = new Practices(this.db, this.ehr, () => ({
      ehr: this.ehr,
      connections: this.connections,
    }));
    this.connections = new Connections(this.db, this.ehr, this.secrets, options.log);
    this.catalogue = new BookingCatalogue(this.db, { ehr: this.ehr, connections: this.connections });
    this.ehrCatalogue = new EhrCatalogueStore(this.db, this.ehr, this.connections);
    this.mappings = new Mappings(this.db, { ehr: this.ehr, connections: this.connections });
    this.syncState = new SyncState(this.db);
    this.sync = new SlotSync(this.db, this.ehr, this.practices, this.connections, options.log, now);
    this.availability = new Availability(this.practices, this.syncState, now, options.staleAfterSeconds ?? 600);
    this.diary = new Diary();
    this.syncIntervalSeconds = options.syncIntervalSeconds ?? 30;
    this.diagnostics = new AvailabilityDiagnostics(
      this.db,
      this.ehr,
      this.connections,
      this.availability,
      this.syncState,
    );
    const fingerprintKey = createHmac('sha256', options.encryptionKey)
      .update('idempotency-fingerprint')
      .digest();
    this.bookings = new Bookings(
      this.db,
      this.ehr,
      this.availability,
      this.secrets,
      this.jobs,
      fingerprintKey,
    );
    this.writeBack = new WriteBack(this.db, this.ehr, this.connections, this.secrets, this.jobs, options.log);
  }

  static async create(options: SlotbridgeOptions): Promise<Slotbridge> {
    const jobs = await JobQueue.start({
      connectionString: options.connectionString,
      log: options.log,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
    });
    return new Slotbridge(options, jobs);
  }

  /**
   * Starts the workers of this process: booking write-back, practice syncs, and the minute sweep
   * that keeps one sync queued per connected practice. Safe to run in several processes.
   */
  async startWorkers(): Promise<void> {
    if (this.#workersStarted) return;
    this.#workersStarted = true;
    await this.jobs.work<{ commandId: string }>(Queue.bookingWrite, async ({ commandId }, meta) => {
      const outcome = await this.writeBack.run(commandId, meta);
      if (outcome === 'retry') throw new Error('EHR write failed transiently; retrying');
    });
    await this.jobs.work<{ practiceId: string; trigger: SyncTrigger }>(
      Queue.syncPractice,
      async ({ practiceId, trigger }) => {
        const practice = await this.db
          .selectFrom('practices')
          .selectAll()
          .where('id', '=', practiceId)
          .executeTakeFirst();
        if (!practice) return;
        await this.sync.run(practice, trigger);
        await this.scheduleSync(practiceId, 'schedule', await this.intervalFor(practice.ehr));
      },
    );
    await this.jobs.work(Queue.syncSweep, () => this.sweep());
    await this.jobs.boss.schedule(Queue.syncSweep, '* * * * *');
    await this.sweep();
  }

  /** Queues a sync of the practice unless one is already queued. */
  async scheduleSync(practiceId: string, trigger: SyncTrigger, afterSeconds = 0): Promise<void> {
    await this.jobs.send(
      Queue.syncPractice,
      { practiceId, trigger },
      { singletonKey: practiceId, ...(afterSeconds > 0 && { startAfter: afterSeconds }) },
    );
  }

  private async intervalFor(ehr: string): Promise<number> {
    const { minPollIntervalSeconds } = await this.ehr.capabilities(ehr);
    return Math.max(minPollIntervalSeconds, this.syncIntervalSeconds);
  }

  private async sweep(): Promise<void> {
    const connected = await this.db
      .selectFrom('connections')
      .innerJoin('practices', 'practices.id', 'connections.practice_id')
      .select(['practices.id', 'practices.ehr'])
      .execute();
    for (const { id, ehr } of connected) {
      if (this.ehr.has(ehr)) await this.scheduleSync(id, 'schedule');
    }
  }

  async close(): Promise<void> {
    await this.jobs.stop();
    this.#log.info({}, 'slotbridge core stopped');
  }
}
