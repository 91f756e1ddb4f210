/**
 * `slotbridge api-keys list|create|revoke|rotate --partner <id>`: the same core calls as the API,
 * JSON on stdout, errors with their code and fix on stderr; usage errors exit 2. One run goes
 * through the real CLI process on the test database (DATABASE_URL).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKeys } from '@slotbridge/core';
import { createTestDatabase } from '@slotbridge/core/testing';
import t from 'tap';
import { runApiKeysCommand } from '../src/cli-api-keys.ts';
import { bearer, testApp } from './helpers/test-app.ts';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

t.test('api-keys from the command line: list, create, rotate, revoke', async (t) => {
  const { app, slotbridge, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const run = async (...args: string[]) => {
    const c = capture();
    const code = await runApiKeysCommand(slotbridge.db, args, c.output);
    return { code, out: c.out, err: c.err.join('\n') };
  };
  const works = async (key: string) =>
    (await app.inject({ url: '/v1/practices', headers: bearer(key) })).statusCode;

  const listed = await run('list', '--partner', a.id);
  t.equal(listed.code, 0);
  t.equal(listed.out.length, 1, "one line per key: A's one key");
  const first = JSON.parse(listed.out[0]!);
  t.match(first, { partnerId: a.id, label: 'test', status: 'active', prefix: a.key.slice(0, 10) });
  t.notMatch(listed.out.join('\n'), new RegExp(a.key), 'never the key');

  const created = await run('create', '--partner', a.id, '--label', 'from the CLI');
  t.equal(created.code, 0);
  const issued = JSON.parse(created.out[0]!);
  t.match(issued, { label: 'from the CLI', partnerId: a.id, key: /^sb_/ });
  t.match(created.err, /shown once/);
  t.equal(await works(issued.key), 200);
  t.equal((await run('list', '--partner', a.id)).out.length, 2);
  t.equal((await run('list', '--partner', b.id)).out.length, 1, "B's keys apart");

  const rotated = await run('rotate', '--partner', a.id, '--key', issued.id, '--grace-seconds', '0');
  t.equal(rotated.code, 0);
  const fresh = JSON.parse(rotated.out[0]!);
  t.match(fresh, { key: /^sb_/, previous: { id: issued.id, status: 'revoked', replacedBy: fresh.id } });
  // The CLI is another process: a server that verified the key a moment ago refuses it within
  // its cache's 30 seconds; asked afresh, at once.
  t.equal(await new ApiKeys(slotbridge.db).authenticate(issued.key), null, 'grace 0: the old key stops');
  t.equal(await works(fresh.key), 200);
  const graced = await run('rotate', '--partner', a.id, '--key', fresh.id);
  t.match(JSON.parse(graced.out[0]!), { previous: { status: 'expiring' } });
  t.match(graced.err, /works until 20\d\d-/);

  const freshId = fresh.id as string;
  const revoked = await run('revoke', '--partner', a.id, '--key', freshId);
  t.equal(revoked.code, 0);
  t.match(JSON.parse(revoked.out[0]!), { id: freshId, status: 'revoked' });

  // Errors: code and fix on stderr, exit 1; nothing on stdout.
  const foreign = await run('revoke', '--partner', b.id, '--key', freshId);
  t.equal(foreign.code, 1);
  t.same(foreign.out, []);
  t.match(foreign.err, /^SB_ERR_API_KEY_NOT_FOUND: .*\nfix: /);
  const again = await run('rotate', '--partner', a.id, '--key', freshId);
  t.equal(again.code, 1);
  t.match(again.err, /SB_ERR_API_KEY_NOT_ROTATABLE/);

  // Usage errors: exit 2 with the usage.
  for (const args of [
    [],
    ['list'],
    ['list', '--partner', 'nope'],
    ['drop', '--partner', a.id],
    ['create', '--partner', a.id],
    ['revoke', '--partner', a.id],
    ['rotate', '--partner', a.id, '--key', freshId, '--grace-seconds', '604801'],
    ['rotate', '--partner', a.id, '--key', freshId, '--grace-seconds', '-1'],
    ['list', '--partner', a.id, '--grace-seconds', '5'],
    ['list', '--partner', a.id, '--what'],
    ['create', '--partner', a.id, '--label', 'x', '--practice', 'nope'],
    ['list', '--partner', a.id, '--practice', a.id],
  ]) {
    const r = await run(...args);
    t.equal(r.code, 2, `${args.join(' ') || '(nothing)'}: exit 2`);
    t.match(r.err, /usage: slotbridge api-keys/);
  }
});

t.test('the real CLI process: slotbridge api-keys list on DATABASE_URL', async (t) => {
  const { db, connectionString, drop } = await createTestDatabase();
  t.teardown(drop);
  const keys = new ApiKeys(db);
  const partnerA = await keys.createPartner('A');
  const a = { id: partnerA.id, key: (await keys.issuePartnerKey(partnerA.id, 'test')).key };
  const child = spawn(
    process.execPath,
    [
      '--conditions=development',
      '--import=tsx',
      path.join(serverDir, 'src/cli.ts'),
      'api-keys',
      'list',
      '--partner',
      a.id,
    ],
    {
      cwd: serverDir,
      env: {
        ...process.env,
        // The database alone: no plugins, no encryption key are needed to manage keys.
        DATABASE_URL: connectionString,
        SLOTBRIDGE_PLUGINS: '',
        SLOTBRIDGE_ENCRYPTION_KEY: '',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, 'exit 0', { stderr });
  const lines = stdout.trim().split('\n');
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0]!), { partnerId: a.id, status: 'active' });
  t.notMatch(stdout, new RegExp(a.key));
});

t.test('api-keys from the command line: a practice key with create --practice', async (t) => {
  const { app, slotbridge, partner, close } = await testApp();
  t.teardown(close);
  const a = await partner('A');
  const b = await partner('B');
  const practice = async (key: string, name: string) =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/practices',
        headers: bearer(key),
        payload: { name, ehr: 'memory', timeZone: 'Europe/London' },
      })
    ).json<{ id: string }>().id;
  const a1 = await practice(a.key, 'A one');
  await practice(a.key, 'A two');
  const b1 = await practice(b.key, 'B one');
  const run = async (...args: string[]) => {
    const c = capture();
    const code = await runApiKeysCommand(slotbridge.db, args, c.output);
    return { code, out: c.out, err: c.err.join('\n') };
  };

  const created = await run('create', '--partner', a.id, '--practice', a1, '--label', 'manager');
  t.equal(created.code, 0, created.err);
  const issued = JSON.parse(created.out[0]!);
  t.match(issued, { partnerId: a.id, practiceId: a1, label: 'manager', key: /^sb_/ });
  t.match(created.err, /shown once/);
  const reached = await app.inject({ url: '/v1/practices', headers: bearer(issued.key) });
  t.same(
    reached.json().data.map((p: { id: string }) => p.id),
    [a1],
    'it reaches its one practice',
  );

  const listed = (await run('list', '--partner', a.id)).out.map((line) => JSON.parse(line));
  t.same(
    listed.map((k) => k.practiceId),
    [null, a1],
    'listed with the partner, with its practiceId',
  );
  t.notMatch(listed.map((k) => JSON.stringify(k)).join(), new RegExp(issued.key), 'never the key');

  const rotated = JSON.parse((await run('rotate', '--partner', a.id, '--key', issued.id)).out[0]!);
  t.match(rotated, { practiceId: a1, previous: { practiceId: a1, status: 'expiring' } });

  const foreign = await run('create', '--partner', a.id, '--practice', b1, '--label', 'x');
  t.equal(foreign.code, 1, "another partner's practice");
  t.match(foreign.err, /^SB_ERR_PRACTICE_NOT_FOUND: .*\nfix: /);
  t.same(foreign.out, []);
});
