import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig, loadLimits } from '../src/config.ts';

// The start directory, holding a config file with the plugin list (plugins.test.ts tests it).
const cwd = mkdtempSync(path.join(tmpdir(), 'slotbridge-start-'));
writeFileSync(path.join(cwd, 'slotbridge.config.json'), '{ "plugins": ["@slotbridge/plugin-emis"] }');
t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
const defaults = { demo: true, cwd };

t.test(
  'defaults: embedded database under .slotbridge, demo on for start, port 3000 on loopback',
  async (t) => {
    t.same(loadConfig({}, defaults), {
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      dataDir: path.join(cwd, '.slotbridge'),
      adminKey: undefined,
      encryptionKey: null,
      logLevel: 'info',
      metricsToken: null,
      staleAfterSeconds: 600,
      engine: {
        syncConcurrency: 32,
        writeConcurrency: 16,
        nearSyncSeconds: 15,
        farSyncSeconds: 300,
        nearWindowHours: 48,
        writeLeaseSeconds: 60,
      },
      webhooks: { concurrency: 8, timeoutMs: 15_000, networks: 'loopback' },
      demo: true,
      heapGrowingPercent: 50,
      limits: {
        failedAuth: { max: 30, windowMs: 60_000 },
        bookings: { max: 30_000, windowMs: 60_000 },
      },
      plugins: {
        specifiers: ['@slotbridge/plugin-emis'],
        from: cwd,
        source: path.join(cwd, 'slotbridge.config.json'),
      },
    });
  },
);

t.test('SLOTBRIDGE_PLUGINS: comma-separated specifiers, at least one', async (t) => {
  t.same(
    loadConfig({ SLOTBRIDGE_PLUGINS: '@slotbridge/plugin-emis, ./plugins/acme ,' }, defaults).plugins
      .specifiers,
    ['@slotbridge/plugin-emis', './plugins/acme'],
  );
  const error = t.throws(() => loadConfig({ SLOTBRIDGE_PLUGINS: ' , ' }, defaults)) as ConfigError;
  t.same(error.problems, [
    "SLOTBRIDGE_PLUGINS must list at least one EHR plugin package, comma-separated (unset: the config file's list)",
  ]);
});

t.test('rate limits: per minute, 0 turns one off, and loadLimits reads them alone', async (t) => {
  const env = { SLOTBRIDGE_AUTH_FAILURES_PER_MINUTE: '5', SLOTBRIDGE_BOOKINGS_PER_MINUTE: '0' };
  const expected = { failedAuth: { max: 5, windowMs: 60_000 }, bookings: null };
  t.same(loadConfig(env, defaults).limits, expected);
  t.same(loadLimits(env), expected);
  const error = t.throws(() =>
    loadConfig(
      { SLOTBRIDGE_AUTH_FAILURES_PER_MINUTE: '-1', SLOTBRIDGE_BOOKINGS_PER_MINUTE: 'lots' },
      defaults,
    ),
  ) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_AUTH_FAILURES_PER_MINUTE must be a whole number from 0 to 10000000; got "-1"',
    'SLOTBRIDGE_BOOKINGS_PER_MINUTE must be a whole number from 0 to 10000000; got "lots"',
  ]);
  t.throws(() => loadLimits({ SLOTBRIDGE_BOOKINGS_PER_MINUTE: '1.5' }), ConfigError);
});

t.test('SLOTBRIDGE_METRICS_TOKEN: the bearer token GET /metrics requires', async (t) => {
  const token = 'a-scraper-token-0123456789';
  t.equal(loadConfig({ SLOTBRIDGE_METRICS_TOKEN: token }, defaults).metricsToken, token);
  const error = t.throws(() => loadConfig({ SLOTBRIDGE_METRICS_TOKEN: 'short' }, defaults)) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_METRICS_TOKEN must be at least 16 characters (use `openssl rand -base64 24`)',
  ]);
});

t.test('every problem is listed at once', async (t) => {
  const error = t.throws(() =>
    loadConfig(
      {
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        SLOTBRIDGE_ADMIN_KEY: 'short',
        LOG_LEVEL: 'loud',
        SLOTBRIDGE_DEMO: 'maybe',
        SLOTBRIDGE_SYNC_CONCURRENCY: '0',
      },
      defaults,
    ),
  ) as ConfigError;
  t.type(error, ConfigError);
  t.same(error.problems, [
    'PORT must be a whole number from 0 to 65535; got "eighty"',
    'DATABASE_URL must be a postgres:// or postgresql:// URL',
    'SLOTBRIDGE_ADMIN_KEY must be at least 24 characters (use `openssl rand -base64 32`)',
    'SLOTBRIDGE_ENCRYPTION_KEY is required with DATABASE_URL: credentials and patient details are encrypted with it (use `openssl rand -base64 32`)',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    'SLOTBRIDGE_SYNC_CONCURRENCY must be a whole number from 1 to 1024; got "0"',
    'SLOTBRIDGE_DEMO must be true or false; got "maybe"',
  ]);
});

t.test('an external database with its encryption key', async (t) => {
  const config = loadConfig(
    {
      DATABASE_URL: 'postgres://u@db:5432/slotbridge',
      SLOTBRIDGE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      PORT: '8080',
      HOST: '0.0.0.0',
      SLOTBRIDGE_DEMO: 'false',
    },
    defaults,
  );
  t.match(config, {
    databaseUrl: 'postgres://u@db:5432/slotbridge',
    port: 8080,
    host: '0.0.0.0',
    demo: false,
  });
  t.equal(config.encryptionKey?.length, 32);
  const error = t.throws(() => loadConfig({ SLOTBRIDGE_ENCRYPTION_KEY: 'nope' }, defaults)) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_ENCRYPTION_KEY must be 32 bytes, base64 or hex (use `openssl rand -base64 32`)',
  ]);
});

t.test('the far read must come round before the data goes stale', async (t) => {
  const error = t.throws(() =>
    loadConfig({ SLOTBRIDGE_FAR_SYNC_SECONDS: '900', SLOTBRIDGE_STALE_AFTER_SECONDS: '600' }, defaults),
  ) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_FAR_SYNC_SECONDS (900) must be below SLOTBRIDGE_STALE_AFTER_SECONDS (600), or every practice would go stale between reads',
  ]);
  const config = loadConfig(
    { SLOTBRIDGE_SYNC_CONCURRENCY: '64', SLOTBRIDGE_NEAR_SYNC_SECONDS: '5' },
    defaults,
  );
  t.equal(config.engine.syncConcurrency, 64);
  t.equal(config.engine.nearSyncSeconds, 5);
});

t.test('SLOTBRIDGE_HEAP_GROWING_PERCENT: V8 heap growth, 0 for V8 defaults', async (t) => {
  t.equal(loadConfig({ SLOTBRIDGE_HEAP_GROWING_PERCENT: '0' }, defaults).heapGrowingPercent, 0);
  t.equal(loadConfig({ SLOTBRIDGE_HEAP_GROWING_PERCENT: '100' }, defaults).heapGrowingPercent, 100);
  const error = t.throws(() =>
    loadConfig({ SLOTBRIDGE_HEAP_GROWING_PERCENT: 'half' }, defaults),
  ) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000; got "half"',
  ]);
});

t.test('SLOTBRIDGE_WRITE_LEASE_SECONDS: how long a claimed write-back is leased', async (t) => {
  t.equal(loadConfig({ SLOTBRIDGE_WRITE_LEASE_SECONDS: '8' }, defaults).engine.writeLeaseSeconds, 8);
  const error = t.throws(() => loadConfig({ SLOTBRIDGE_WRITE_LEASE_SECONDS: '1' }, defaults)) as ConfigError;
  t.same(error.problems, ['SLOTBRIDGE_WRITE_LEASE_SECONDS must be a whole number from 4 to 3600; got "1"']);
});

t.test('SLOTBRIDGE_WEBHOOK_CONCURRENCY, _TIMEOUT_SECONDS and _NETWORKS: webhook delivery', async (t) => {
  t.same(
    loadConfig({ SLOTBRIDGE_WEBHOOK_CONCURRENCY: '2', SLOTBRIDGE_WEBHOOK_TIMEOUT_SECONDS: '5' }, defaults)
      .webhooks,
    { concurrency: 2, timeoutMs: 5000, networks: 'loopback' },
  );
  t.equal(loadConfig({ SLOTBRIDGE_WEBHOOK_NETWORKS: 'public' }, defaults).webhooks.networks, 'public');
  const networks = t.throws(() =>
    loadConfig({ SLOTBRIDGE_WEBHOOK_NETWORKS: 'lan' }, defaults),
  ) as ConfigError;
  t.same(networks.problems, ['SLOTBRIDGE_WEBHOOK_NETWORKS must be one of public, loopback, private']);
  const error = t.throws(() =>
    loadConfig({ SLOTBRIDGE_WEBHOOK_TIMEOUT_SECONDS: '60' }, defaults),
  ) as ConfigError;
  t.same(error.problems, [
    'SLOTBRIDGE_WEBHOOK_TIMEOUT_SECONDS must be a whole number from 1 to 50; got "60"',
  ]);
});
