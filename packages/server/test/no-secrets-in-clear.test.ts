/**
 * No secret and no patient data in the logs, in the database in clear, or in an HTTP answer.
 * An end-to-end flow over real HTTP to the EMIS sandbox — a partner and its key made with the
 * admin key, a connection refused then saved, discovery, syncs, bookings with a patient's name,
 * date of birth and NHS number (one the EHR matches, one it cannot and holds, invalid ones), an
 * idempotency conflict, a cancellation, an EHR failure on a write and on a sync, diagnostics,
 * the diary, the audit — with every log line of the server and of the core captured at debug
 * level (the most they ever write). Then every line, every row of every table (and a pg_dump of
 * the database when the local pg_dump can read the server), and every answer is searched for the
 * secrets and the patients' data, in the forms they may take.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createTestSlotbridge, testEncryptionKey } from '@slotbridge/core/testing';
import emisPlugin from '@slotbridge/plugin-emis';
import { createEmisSandbox } from '@slotbridge/plugin-emis/sandbox';
import { sql } from 'kysely';
import pino from 'pino';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { setUpFromCatalogue } from '../src/demo.ts';
import { loggerOptions } from '../src/logger.ts';
import { nextDay } from './helpers/emis-practice.ts';
import { bearer } from './helpers/test-app.ts';

interface Answer {
  what: string;
  status: number;
  body: string;
  headers: string;
}

/** A date of birth as a log, a query or an EHR may spell it. */
const dateForms = (iso: string) => {
  const [y, m, d] = iso.split('-');
  return [iso, `${d}/${m}/${y}`, `${y}${m}${d}`, `${d}-${m}-${y}`];
};
const nhsForms = (n: string) => [n, `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`];

t.test(
  'secrets and patient data: never in logs, never in clear in the database, never in answers',
  async (t) => {
    const sandbox = await createEmisSandbox({ demo: { days: 7 } });
    await sandbox.listen();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = pino(loggerOptions('debug'), stream);
    const { slotbridge, database } = await createTestSlotbridge({ log: logger.child({ component: 'core' }) });
    const app = await buildApp({
      slotbridge,
      ehrPlugins: [emisPlugin],
      logger: { ...loggerOptions('debug'), stream } as never,
    });
    await app.ready();
    t.teardown(async () => {
      await app.close();
      await database.drop();
      await sandbox.close();
    });

    const answers: Answer[] = [];
    const call = async (
      what: string,
      key: string,
      method: 'GET' | 'POST' | 'PUT',
      url: string,
      payload?: object,
      headers: Record<string, string> = {},
    ) => {
      const res = await app.inject({
        method,
        url,
        headers: { ...bearer(key), ...headers },
        ...(payload && { payload }),
      });
      answers.push({ what, status: res.statusCode, body: res.body, headers: JSON.stringify(res.headers) });
      return res;
    };
    const writeBack = async () => {
      for (let commands = await slotbridge.writeBack.claim(50); commands.length > 0; ) {
        for (const command of commands) await slotbridge.writeBack.execute(command);
        commands = await slotbridge.writeBack.claim(50);
      }
    };

    // The admin key makes a partner and its key (the one answer allowed to show a key: its own).
    const admin = await slotbridge.apiKeys.issue(null, 'no-secrets admin');
    const partner = (
      await call('create partner', admin.key, 'POST', '/v1/partners', { name: 'Secretive Ltd' })
    ).json();
    const issued = await call('issue key', admin.key, 'POST', `/v1/partners/${partner.id}/api-keys`, {
      label: 'booking app',
    });
    t.equal(issued.statusCode, 201);
    const key: string = issued.json().key;
    const practice = (
      await call('create practice', key, 'POST', '/v1/practices', {
        name: 'Quiet Surgery',
        ehr: 'emis',
        timeZone: 'Europe/London',
        odsCode: 'A81001',
      })
    ).json();
    const p = `/v1/practices/${practice.id}`;

    const connection = sandbox.connection();
    const wrongPassword = `Wr0ng-${randomBytes(6).toString('hex')}`;
    const refused = await call('connection refused', key, 'PUT', `${p}/connection`, {
      ...connection,
      apiPassword: wrongPassword,
    });
    t.equal(refused.statusCode, 422, 'a wrong password is refused');
    t.equal((await call('connection', key, 'PUT', `${p}/connection`, connection)).statusCode, 200);
    await call('connection view', key, 'GET', `${p}/connection`);
    await setUpFromCatalogue(slotbridge, (await slotbridge.apiKeys.authenticate(key))!, practice.id);
    t.equal((await call('sync', key, 'POST', `${p}/sync`)).json().status, 'succeeded');

    const day = nextDay(2, [1, 2, 3, 4, 5]);
    const slots = (await call('slots', key, 'GET', `${p}/slots?from=${day}`)).json().data as { id: string }[];
    t.ok(slots.length >= 4, `${slots.length} slots offered on ${day}`);

    // Patients: one the EHR knows (matched by name, date of birth and NHS number), one it does not.
    const known = {
      firstName: 'Alice',
      lastName: 'Jones',
      dateOfBirth: '1984-02-29',
      nhsNumber: '9990000018',
    };
    const unknown = {
      firstName: 'Zebedee',
      lastName: 'Quarrington',
      dateOfBirth: '1961-08-13',
      nhsNumber: '9434765919',
    };
    const book = (
      what: string,
      slotId: string,
      patient: object,
      idempotencyKey: string,
      extra: object = {},
    ) =>
      call(
        what,
        key,
        'POST',
        `${p}/bookings`,
        { slotId, patient, ...extra },
        { 'idempotency-key': idempotencyKey },
      );
    const matched = await book('book known patient', slots[0]!.id, known, 'no-secrets-0001', {
      reason: 'Sore throat since Tuesday',
    });
    t.equal(matched.statusCode, 201);
    const held = await book('book unknown patient', slots[1]!.id, unknown, 'no-secrets-0002');
    t.equal(held.statusCode, 201);
    // The patient's details are in the database, sealed: the scan below looks where they are.
    const sealed = await slotbridge.db
      .selectFrom('bookings')
      .select('patient_ciphertext')
      .where('id', '=', held.json().id)
      .executeTakeFirstOrThrow();
    t.match(
      slotbridge.secrets.open(sealed.patient_ciphertext),
      { patient: unknown },
      'the booking holds the patient, encrypted',
    );
    // Invalid patient data and a reused idempotency key: answered without echoing the values.
    t.equal(
      (await book('invalid NHS number', slots[2]!.id, { ...known, nhsNumber: '99900000' }, 'no-secrets-0003'))
        .statusCode,
      400,
    );
    t.equal(
      (
        await book(
          'invalid date of birth',
          slots[2]!.id,
          { ...unknown, dateOfBirth: '1961-02-30' },
          'no-secrets-0004',
        )
      ).statusCode,
      400,
    );
    const conflict = await book('idempotency conflict', slots[2]!.id, unknown, 'no-secrets-0001');
    t.ok(
      conflict.statusCode >= 400 && conflict.statusCode < 500,
      'a reused key with another body is refused',
    );
    await writeBack();
    const matchedState = (await call('booking', key, 'GET', `${p}/bookings/${matched.json().id}`)).json()
      .state;
    t.equal(matchedState, 'confirmed');
    const heldBooking = (await call('held booking', key, 'GET', `${p}/bookings/${held.json().id}`)).json();
    t.equal(heldBooking.state, 'needs_reconciliation');

    // The EHR fails a write (the booking fails with the EHR's reason), then a read.
    sandbox.faults.add({ operation: 'BookAppointment', kind: 'error', status: 500, times: 'always' });
    const failing = await book('book during an EHR fault', slots[3]!.id, known, 'no-secrets-0005');
    t.equal(failing.statusCode, 201);
    await writeBack();
    sandbox.faults.clear();
    sandbox.faults.add({ operation: 'GetAppointmentSessions', kind: 'error', status: 503, times: 'always' });
    await call('sync during an EHR fault', key, 'POST', `${p}/sync`);
    sandbox.faults.clear();

    await call('cancel', key, 'POST', `${p}/bookings/${matched.json().id}/cancel`, {
      reason: 'Feeling better',
    });
    await writeBack();
    await call('sync after', key, 'POST', `${p}/sync`);
    for (const [what, url] of [
      ['reconciliation', `${p}/reconciliation`],
      ['diary', `${p}/appointments?from=${day}`],
      ['diagnostics', `${p}/diagnostics/availability?date=${day}`],
      ['audit', `${p}/audit`],
      ['sync runs', `${p}/sync-runs`],
      ['connection after', `${p}/connection`],
      ['booking after', `${p}/bookings/${held.json().id}`],
    ] as const) {
      t.equal((await call(what, key, 'GET', url)).statusCode, 200, what);
    }
    await call('wrong key', `sb_${randomBytes(16).toString('hex')}`, 'GET', p);
    await app.close();

    const secrets: [string, string][] = [
      ['the EMIS API password', connection.apiPassword],
      ['the refused API password', wrongPassword],
      ['the admin key', admin.key],
      ['the partner key', key],
      ['the encryption key (hex)', testEncryptionKey.toString('hex')],
      ['the encryption key (base64)', testEncryptionKey.toString('base64')],
    ];
    const patientData: [string, string][] = [known, unknown].flatMap((patient) => [
      [`${patient.firstName}'s first name`, patient.firstName] as [string, string],
      [`${patient.firstName}'s last name`, patient.lastName] as [string, string],
      ...dateForms(patient.dateOfBirth).map((d): [string, string] => [
        `${patient.firstName}'s date of birth`,
        d,
      ]),
      ...nhsForms(patient.nhsNumber).map((n): [string, string] => [`${patient.firstName}'s NHS number`, n]),
    ]);
    const everything: [string, string][] = [
      ...secrets,
      ...patientData,
      ['the reason for the visit', 'Sore throat since Tuesday'],
      ['the reason for cancelling', 'Feeling better now, thanks'],
    ];
    const found = (text: string, terms: [string, string][]) =>
      terms.filter(([, value]) => text.includes(value)).map(([name]) => name);

    // 1. Every log line, the server's and the core's.
    const inLogs = lines.flatMap((line, i) =>
      found(line, everything).map((name) => `line ${i + 1}: ${name}`),
    );
    t.same(inLogs, [], `no secret or patient data in ${lines.length} log lines`);
    t.ok(
      lines.some((line) => line.includes(practice.id)) && lines.some((line) => /"level":[456]0/.test(line)),
      'the log holds the flow, its errors included',
    );
    t.ok(lines.length > 50, `${lines.length} log lines captured`);

    // 2. Every row of every table, as text (bytea as hex, jsonb as JSON).
    const tables = (
      await sql<{
        name: string;
      }>`select tablename as name from pg_tables where schemaname = 'public'`.execute(database.db)
    ).rows.map((r) => r.name);
    let rows = 0;
    const inRows: string[] = [];
    for (const table of tables) {
      const result = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(
        database.db,
      );
      rows += result.rows.length;
      for (const { row } of result.rows)
        inRows.push(...found(row, everything).map((name) => `${table}: ${name}`));
    }
    t.same(
      [...new Set(inRows)],
      [],
      `no secret or patient data in clear in ${rows} rows of ${tables.length} tables`,
    );
    t.ok(rows > 100, `${rows} rows: the database holds the flow`);

    // 2b. pg_dump of the test database, when the local pg_dump can read this server.
    let dumped = 'pg_dump not run';
    try {
      const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', database.connectionString], {
        maxBuffer: 256 * 1024 * 1024,
      });
      dumped = `pg_dump: ${stdout.split('\n').length} lines`;
      t.same(found(stdout, everything), [], `no secret or patient data in clear in the pg_dump (${dumped})`);
    } catch (error) {
      dumped = `pg_dump unavailable (${String((error as Error).message)
        .split('\n')[0]!
        .slice(0, 120)})`;
    }

    // 3. Every HTTP answer, headers included; the key's own issuing answer may show the key alone.
    const inAnswers = answers.flatMap((a) =>
      found(
        a.body + a.headers,
        a.what === 'issue key' ? everything.filter(([, v]) => v !== key) : everything,
      ).map((name) => `${a.what} (${a.status}): ${name}`),
    );
    t.same(inAnswers, [], `no secret or patient data in ${answers.length} HTTP answers`);
    t.comment(
      `no secrets in clear: ${lines.length} log lines, ${rows} rows of ${tables.length} tables, ${answers.length} answers scanned for ${everything.length} strings; ${dumped}`,
    );
  },
);
