/**
 * The environment, validated at boot: every problem is listed at once, and the process stops
 * before anything starts. docs/configuration.md lists every variable.
 */
import path from 'node:path';
import {
  DEFAULT_ENGINE,
  DEFAULT_WEBHOOK_DELIVERY,
  type EngineOptions,
  parseEncryptionKey,
  WEBHOOK_NETWORKS,
  type WebhookNetworks,
} from '@slotbridge/core';
import type { LimitsOptions } from './limits.ts';
import { type PluginList, readPluginList } from './plugins.ts';

export interface Config {
  port: number;
  host: string;
  /** null: run an embedded PostgreSQL under dataDir. */
  databaseUrl: string | null;
  dataDir: string;
  adminKey: string | undefined;
  /** null: embedded mode generates one and keeps it in dataDir (never with DATABASE_URL). */
  encryptionKey: Buffer | null;
  logLevel: string;
  /** When set, `GET /metrics` requires it as a bearer token. */
  metricsToken: string | null;
  staleAfterSeconds: number;
  /** Concurrency and read intervals of this process's workers. */
  engine: EngineOptions;
  /** Webhook delivery per process (docs/webhooks.md); the retry schedule and disabling limit are fixed. */
  webhooks: { concurrency: number; timeoutMs: number; networks: WebhookNetworks };
  /** Seed the demo practices and their in-process sandboxes. */
  demo: boolean;
  /** Rate limits: failed authentications per client address, bookings per API key. */
  limits: LimitsOptions;
  /**
   * V8's `--heap-growing-percent` for this process (0: V8's own heuristics). See
   * DEFAULT_HEAP_GROWING_PERCENT.
   */
  heapGrowingPercent: number;
  /**
   * The EHR plugins to load, package names or paths: SLOTBRIDGE_PLUGINS, else the config file's
   * list (plugins.ts reads the list, and loads and checks the plugins at boot).
   */
  plugins: PluginList;
}

/**
 * After each full garbage collection V8 lets the old generation grow to up to 4× what survived
 * before it collects again. The server's live heap is small (~55 MB at 100 practices) but its
 * reads make garbage that outlives the young generation (each EHR call and database read lasts
 * ~100 ms), so with V8's default the heap swelled to 230–330 MB between collections and RSS with
 * it (258–349 MB, peak 427 MB in the bench's load at 100 practices). Growing by 50 % instead
 * held RSS at 184–209 MB, peak 209 MB, for a full collection every few seconds.
 * docs/performance.md has the measurements.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Per minute. Failed authentications per client address: a client with a right key never
 * fails, so 30 is far above a mistake and far below a guessing run. Bookings per API key:
 * above the bench's target of 300 accepted a second from one key, held for a whole minute
 * (18,000), so a fleet's booking product is never throttled by it; docs/configuration.md.
 */
export const DEFAULT_LIMITS: LimitsOptions = {
  failedAuth: { max: 30, windowMs: 60_000 },
  bookings: { max: 30_000, windowMs: 60_000 },
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type IntegerReader = (name: string, fallback: number, min: number, max: number) => number;

function integerReader(env: NodeJS.ProcessEnv, problems: string[]): IntegerReader {
  return (name, fallback, min, max) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
      return fallback;
    }
    return value;
  };
}

function readLimits(integer: IntegerReader): LimitsOptions {
  const perMinute = (name: string, fallback: { max: number } | null) => {
    const max = integer(name, fallback?.max ?? 0, 0, 10_000_000);
    return max === 0 ? null : { max, windowMs: 60_000 };
  };
  return {
    failedAuth: perMinute('SLOTBRIDGE_AUTH_FAILURES_PER_MINUTE', DEFAULT_LIMITS.failedAuth),
    bookings: perMinute('SLOTBRIDGE_BOOKINGS_PER_MINUTE', DEFAULT_LIMITS.bookings),
  };
}

/**
 * The rate limits alone, from the same variables as loadConfig (which the CLI has already
 * checked at boot): what buildApp uses when it is not given its limits.
 */
export function loadLimits(env: NodeJS.ProcessEnv): LimitsOptions {
  const problems: string[] = [];
  const limits = readLimits(integerReader(env, problems));
  if (problems.length > 0) throw new ConfigError(problems);
  return limits;
}

export function loadConfig(env: NodeJS.ProcessEnv, defaults: { demo: boolean; cwd: string }): Config {
  const problems: string[] = [];
  const integer = integerReader(env, problems);
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false; got "${raw}"`);
    return fallback;
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const adminKey = env.SLOTBRIDGE_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 24) {
    problems.push('SLOTBRIDGE_ADMIN_KEY must be at least 24 characters (use `openssl rand -base64 32`)');
  }
  let encryptionKey: Buffer | null = null;
  if (env.SLOTBRIDGE_ENCRYPTION_KEY) {
    encryptionKey = parseEncryptionKey(env.SLOTBRIDGE_ENCRYPTION_KEY);
    if (!encryptionKey) {
      problems.push(
        'SLOTBRIDGE_ENCRYPTION_KEY must be 32 bytes, base64 or hex (use `openssl rand -base64 32`)',
      );
    }
  } else if (databaseUrl) {
    problems.push(
      'SLOTBRIDGE_ENCRYPTION_KEY is required with DATABASE_URL: credentials and patient details are encrypted with it (use `openssl rand -base64 32`)',
    );
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const metricsToken = env.SLOTBRIDGE_METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 16) {
    problems.push('SLOTBRIDGE_METRICS_TOKEN must be at least 16 characters (use `openssl rand -base64 24`)');
  }
  const staleAfterSeconds = integer('SLOTBRIDGE_STALE_AFTER_SECONDS', 600, 30, 86_400);
  const engine: EngineOptions = {
    syncConcurrency: integer('SLOTBRIDGE_SYNC_CONCURRENCY', DEFAULT_ENGINE.syncConcurrency, 1, 1024),
    writeConcurrency: integer('SLOTBRIDGE_WRITE_CONCURRENCY', DEFAULT_ENGINE.writeConcurrency, 1, 1024),
    nearSyncSeconds: integer('SLOTBRIDGE_NEAR_SYNC_SECONDS', DEFAULT_ENGINE.nearSyncSeconds, 1, 3600),
    farSyncSeconds: integer('SLOTBRIDGE_FAR_SYNC_SECONDS', DEFAULT_ENGINE.farSyncSeconds, 10, 86_400),
    nearWindowHours: integer('SLOTBRIDGE_NEAR_WINDOW_HOURS', DEFAULT_ENGINE.nearWindowHours, 1, 24 * 14),
    writeLeaseSeconds: integer('SLOTBRIDGE_WRITE_LEASE_SECONDS', DEFAULT_ENGINE.writeLeaseSeconds, 4, 3600),
  };
  const webhooks = {
    concurrency: integer('SLOTBRIDGE_WEBHOOK_CONCURRENCY', DEFAULT_WEBHOOK_DELIVERY.concurrency, 1, 1024),
    // Under the delivery's 60-second lease.
    timeoutMs:
      integer('SLOTBRIDGE_WEBHOOK_TIMEOUT_SECONDS', DEFAULT_WEBHOOK_DELIVERY.timeoutMs / 1000, 1, 50) * 1000,
    networks: DEFAULT_WEBHOOK_DELIVERY.networks,
  };
  const networks = env.SLOTBRIDGE_WEBHOOK_NETWORKS;
  if (networks !== undefined && networks !== '') {
    if ((WEBHOOK_NETWORKS as readonly string[]).includes(networks))
      webhooks.networks = networks as WebhookNetworks;
    else problems.push(`SLOTBRIDGE_WEBHOOK_NETWORKS must be one of ${WEBHOOK_NETWORKS.join(', ')}`);
  }
  if (engine.farSyncSeconds >= staleAfterSeconds) {
    problems.push(
      `SLOTBRIDGE_FAR_SYNC_SECONDS (${engine.farSyncSeconds}) must be below SLOTBRIDGE_STALE_AFTER_SECONDS (${staleAfterSeconds}), or every practice would go stale between reads`,
    );
  }
  const demo = bool('SLOTBRIDGE_DEMO', defaults.demo);
  const limits = readLimits(integer);
  const heapGrowingPercent = integer(
    'SLOTBRIDGE_HEAP_GROWING_PERCENT',
    DEFAULT_HEAP_GROWING_PERCENT,
    0,
    1000,
  );
  const plugins = readPluginList(env, defaults.cwd);
  if (typeof plugins === 'string') problems.push(plugins);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    databaseUrl,
    dataDir: path.resolve(defaults.cwd, env.SLOTBRIDGE_DATA_DIR || '.slotbridge'),
    adminKey,
    encryptionKey,
    logLevel,
    metricsToken,
    staleAfterSeconds,
    engine,
    webhooks,
    demo,
    limits,
    heapGrowingPercent,
    plugins: plugins as PluginList,
  };
}
