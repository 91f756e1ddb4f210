/**
 * The composition root of the core: every service wired to one database and one EHR registry.
 * The server decorates Fastify with it; a worker process uses it without routes. Workers (the
 * sync scheduler and write-back) start only in processes that call startWorkers().
 */
import { createHmac } from 'node:crypto';
import { ApiKeys } from './api-keys.ts';
import { Availability } from './availability.ts';
import { Bookings } from './booking/bookings.ts';
import { DEFAULT_WRITE_LEASE_SECONDS, WriteBack } from './booking/write-back.ts';
import { BookingCatalogue } from './booking-catalogue.ts';
import { Connections } from './connections.ts';
import { PgCoordinator } from './coordination.ts';
import type { Db } from './db/database.ts';
import { AvailabilityDiagnostics } from './diagnostics/availability-diagnostics.ts';
import { Diary } from './diary.ts';
import { CallBudgets } from './ehr-calls.ts';
import { EhrCatalogueStore } from './ehr-catalogue.ts';
import type { HookLogger } from './ehr-plugin.ts';
import { EhrRegistry } from './ehr-registry.ts';
import { HookRegistry } from './hooks.ts';
import { Mappings } from './mappings.ts';
import { Metrics } from './metrics.ts';
import { AnswerCache } from './offers/answer-cache.ts';
import { Practices } from './practices.ts';
import { SecretBox } from './secret-box.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { SlotSync } from './sync/sync-practice.ts';
import { SyncState } from './sync/sync-state.ts';
import {
  DEFAULT_WEBHOOK_DELIVERY,
  type WebhookDeliveryOptions,
  WebhookDeliveryWorker,
} from './webhooks/delivery.ts';
import { WebhookEndpoints } from './webhooks/endpoints.ts';

/** How much work one process takes on, and how often practices are read. */
export interface EngineOptions {
  /** Diary reads in flight at once per process. Default 32. */
  syncConcurrency: number;
  /** EHR writes (bookings, cancellations) in flight at once per process. Default 16. */
  writeConcurrency: number;
  /** Seconds between reads of a practice's near window (now to now + nearWindowHours). Default 15. */
  nearSyncSeconds: number;
  /** Seconds between reads of the rest of the horizon. Default 300. */
  farSyncSeconds: number;
  /** The near window, in hours. Default 48. */
  nearWindowHours: number;
  /**
   * Seconds a write-back command is leased to the worker that claimed it: a command whose
   * process died mid-write is taken over this long after its claim. Default 60.
   */
  writeLeaseSeconds: number;
}

export const DEFAULT_ENGINE: EngineOptions = {
  syncConcurrency: 32,
  writeConcurrency: 16,
  nearSyncSeconds: 15,
  farSyncSeconds: 300,
  nearWindowHours: 48,
  writeLeaseSeconds: DEFAULT_WRITE_LEASE_SECONDS,
};

export interface SlotbridgeOptions {
  db: Db;
  /** For the coordination session (notifications and the advisory locks sharing practices). */
  connectionString: string;
  encryptionKey: Buffer;
  log: HookLogger;
  /** Seconds after the last good read of the whole horizon when slots stop being offered. Default 600. */
  staleAfterSeconds?: number;
  engine?: Partial<EngineOptions>;
  hooks?: HookRegistry;
  now?: () => Date;
  /** Webhook delivery: retry schedule, disabling, timeout (docs/webhooks.md). */
  webhooks?: Partial<WebhookDeliveryOptions>;
}

export class Slotbridge {
  readonly db: Db;
  readonly hooks: HookRegistry;
  readonly ehr: EhrRegistry;
  readonly metrics: Metrics;
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
  /** Partners' webhook endpoints (webhooks/endpoints.ts). */
  readonly webhooks: WebhookEndpoints;
  /** Sends the webhook events (webhooks/delivery.ts); started with the other workers. */
  readonly webhookDelivery: WebhookDeliveryWorker;
  /** The answers of GET …/slots, kept until the practice's offers change (offers/answer-cache.ts). */
  readonly answers = new AnswerCache();
  readonly engine: EngineOptions;
  readonly #log: HookLogger;
  readonly #connectionString: string;
  #coordinator: PgCoordinator | null = null;
  #scheduler: SyncScheduler | null = null;
  #workersStarted = false;
  #coordinating: Promise<PgCoordinator> | null = null;

  private constructor(options: SlotbridgeOptions) {
    const now = options.now ?? (() => new Date());
    this.db = options.db;
    this.#log = options.log;
    this.hooks = options.hooks ?? new HookRegistry();
    this.engine = { ...DEFAULT_ENGINE, ...options.engine };
    this.#connectionString = options.connectionString;
    this.metrics = new Metrics(this.db);
    this.ehr = new EhrRegistry(
      this.hooks,
      new CallBudgets((call, seconds) => this.metrics.ehrCall(call, seconds)),
    );
    this.secrets = new SecretBox(options.encryptionKey);
    this.apiKeys = new ApiKeys(this.db);
    this.practices = new Practices(this.db, this.ehr, () => ({
      ehr: this.ehr,
      connections: this.connections,
    }));
    this.syncState = new SyncState(this.db);
    this.connections = new Connections(this.db, this.ehr, this.secrets, options.log, this.syncState);
    this.catalogue = new BookingCatalogue(this.db, { ehr: this.ehr, connections: this.connections });
    this.ehrCatalogue = new EhrCatalogueStore(this.db, this.ehr, this.connections);
    this.mappings = new Mappings(this.db, { ehr: this.ehr, connections: this.connections });
    this.sync = new SlotSync(this.db, this.ehr, this.practices, this.connections, options.log, now);
    this.availability = new Availability(
      this.practices,
      this.syncState,
      now,
      options.staleAfterSeconds ?? 600,
    );
    this.diary = new Diary();
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
    this.bookings = new Bookings(this.db, this.ehr, this.availability, this.secrets, fingerprintKey);
    this.writeBack = new WriteBack(
      this.db,
      this.ehr,
      this.connections,
      this.secrets,
      options.log,
      this.engine.writeConcurrency,
      (written, seconds) =>
        this.metrics.bookingWritten(
          written,
          written.outcome === 'confirmed' || written.outcome === 'held' ? seconds : null,
        ),
      this.engine.writeLeaseSeconds,
    );
    const webhooks = { ...DEFAULT_WEBHOOK_DELIVERY, ...options.webhooks };
    this.webhooks = new WebhookEndpoints(this.db, this.secrets, webhooks.networks);
    this.webhookDelivery = new WebhookDeliveryWorker(
      this.db,
      this.secrets,
      options.log,
      webhooks,
      (outcome) => this.metrics.webhookDelivered(outcome),
    );
  }

  static async create(options: SlotbridgeOptions): Promise<Slotbridge> {
    return new Slotbridge(options);
  }

  /**
   * Starts the workers of this process: the sync scheduler (this process's share of the
   * practices) and write-back. Safe to run in several processes; they share the work.
   */
  async startWorkers(): Promise<void> {
    if (this.#workersStarted) return;
    this.#workersStarted = true;
    const coordinator = await this.#coordination();
    const scheduler = new SyncScheduler(
      this.db,
      coordinator,
      this.sync,
      this.ehr,
      this.#log,
      {
        concurrency: this.engine.syncConcurrency,
        nearSeconds: this.engine.nearSyncSeconds,
        farSeconds: this.engine.farSyncSeconds,
        nearWindowHours: this.engine.nearWindowHours,
      },
      (read, seconds) => this.metrics.syncFinished(read, seconds),
    );
    this.#scheduler = scheduler;
    this.syncState.attach(scheduler);
    this.metrics.setFreshnessSource(() => scheduler.freshnessAges());
    this.writeBack.start(coordinator);
    this.webhookDelivery.start(coordinator);
    await scheduler.start();
  }

  /**
   * For a process that serves the API without workers (`slotbridge api`): the coordination
   * session alone, so that this process keeps `/slots` answers and drops a practice's when any
   * process notifies a change. startWorkers() does this too.
   */
  async startAnswering(): Promise<void> {
    await this.#coordination();
  }

  /** The coordination session (LISTEN, and the scheduler's shard locks), started once. */
  #coordination(): Promise<PgCoordinator> {
    if (!this.#coordinating) {
      const coordinator = new PgCoordinator(this.#connectionString, this.#log);
      this.#coordinator = coordinator;
      this.answers.listen(coordinator);
      this.#coordinating = coordinator.start().then(() => coordinator);
    }
    return this.#coordinating;
  }

  /** This process's sync scheduler, once startWorkers() ran. */
  get scheduler(): SyncScheduler | null {
    return this.#scheduler;
  }

  async close(): Promise<void> {
    await this.#scheduler?.stop();
    await this.writeBack.stop();
    await this.webhookDelivery.stop();
    this.answers.stop();
    this.syncState.attach(null);
    await this.#coordinator?.stop();
    this.#log.info({}, 'slotbridge core stopped');
  }
}
