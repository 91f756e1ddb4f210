import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.ts';

const defaults = { demo: true, cwd: '/srv/slotbridge' };

t.test(
  'defaults: embedded database under .slotbridge, demo on for start, port 3000 on loopback',
  async (t) => {
    t.same(loadConfig({}, defaults), {
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      dataDir: '/srv/slotbridge/.slotbridge',
      adminKey: undefined,
      encryptionKey: null,
      logLevel: 'info',
      metricsToken: null,
      syncIntervalSeconds: 30,
      staleAfterSeconds: 600,
      pollingIntervalSeconds: 1,
      demo: true,
    });
  },
);

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
        SLOTBRIDGE_SYNC_INTERVAL_SECONDS: '1',
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
    'SLOTBRIDGE_SYNC_INTERVAL_SECONDS must be a whole number from 5 to 3600; got "1"',
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
