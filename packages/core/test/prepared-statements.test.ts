/**
 * Named prepared statements (db/prepared.ts): a statement built once by kysely is sent as a named
 * statement, parsed once per connection and then only given new values; a query whose text
 * depends on its values is refused on its first call.
 */
import { sql } from 'kysely';
import t from 'tap';
import { preparedStatement } from '../src/db/prepared.ts';
import { createTestDatabase } from '../src/testing/index.ts';

t.test(
  'a prepared statement is parsed once per connection and answers each call its own values',
  async (t) => {
    const database = await createTestDatabase();
    t.teardown(database.drop);
    const echo = preparedStatement((db: typeof database.db, a: { id: string; n: number }) =>
      db.selectNoFrom([sql<string>`${a.id}::text`.as('id'), sql<number>`${a.n}::int`.as('n')]),
    );
    await database.db.connection().execute(async (db) => {
      const first = await db.executeQuery(echo(db, { id: 'a', n: 1 }));
      const second = await db.executeQuery(echo(db, { id: 'b', n: 2 }));
      t.same(first.rows, [{ id: 'a', n: 1 }]);
      t.same(second.rows, [{ id: 'b', n: 2 }], 'the second call sends its own values');
      const { rows } = await sql<{ name: string; statement: string }>`
      select name, statement from pg_prepared_statements`.execute(db);
      t.equal(rows.length, 1, 'one named statement on the connection');
      t.match(rows[0]!.name, /^sb_/);
      t.match(rows[0]!.statement, /^\/\* prepared sb_/);
    });
  },
);

t.test('a query whose text depends on its values is refused', async (t) => {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  const varying = preparedStatement((db: typeof database.db, a: { ids: string[] }) =>
    db.selectFrom('practices').select('id').where('id', 'in', a.ids),
  );
  t.throws(() => varying(database.db, { ids: ['a', 'b'] }), /depend on its values/);
});
