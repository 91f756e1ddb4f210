import { sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { createTestDatabase } from '../src/testing/index.ts';

const serverUrl = process.env.SLOTBRIDGE_TEST_DATABASE_URL!;

async function adminQuery<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const appliedMigrations = (db: Awaited<ReturnType<typeof createTestDatabase>>['db']) =>
  sql<{ name: string }>`select name from kysely_migration order by name`
    .execute(db)
    .then((r) => r.rows.map((row) => row.name));

t.test('test databases created in parallel are migrated clones of one template', async (t) => {
  const databases = await Promise.all(Array.from({ length: 4 }, () => createTestDatabase()));
  t.teardown(() => Promise.all(databases.map((d) => d.drop())));
  const names = new Set(databases.map((d) => new URL(d.connectionString).pathname));
  t.equal(names.size, 4, 'each its own database');
  for (const database of databases) {
    const applied = await appliedMigrations(database.db);
    t.ok(applied.length > 0 && applied[0] === '0001-initial', 'migrated');
    const tables = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables where table_name = 'bookings'`.execute(
      database.db,
    );
    t.equal(tables.rows[0]?.n, 1);
  }
  // Isolated: a row in one is not in another.
  await sql`insert into partners (name) values ('only in the first')`.execute(databases[0]!.db);
  const counted = await sql<{ n: number }>`select count(*)::int as n from partners`.execute(databases[1]!.db);
  t.equal(counted.rows[0]?.n, 0);

  const templates = await adminQuery<{ datname: string; datistemplate: boolean; datallowconn: boolean }>(
    "select datname, datistemplate, datallowconn from pg_database where datname like 'sb\\_template\\_%' and datname not like '%\\_building\\_%'",
  );
  t.ok(templates.length >= 1, 'a template exists');
  for (const template of templates) {
    t.equal(template.datistemplate, true, `${template.datname} is marked a template`);
    t.equal(
      template.datallowconn,
      false,
      `${template.datname} takes no connections, so it can always be cloned`,
    );
  }
});

t.test('migrate: false gives an empty database', async (t) => {
  const database = await createTestDatabase({ migrate: false });
  t.teardown(() => database.drop());
  const tables = await sql<{ n: number }>`
    select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(
    database.db,
  );
  t.equal(tables.rows[0]?.n, 0);
});

t.test('drop removes the database', async (t) => {
  const database = await createTestDatabase();
  const name = new URL(database.connectionString).pathname.slice(1);
  await database.drop();
  t.same(await adminQuery('select 1 from pg_database where datname = $1', [name]), []);
});
