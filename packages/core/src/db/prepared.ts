/**
 * Named prepared statements through kysely. kysely sends every statement as unnamed, so
 * PostgreSQL parses, analyses and plans it on every call; a statement run often (the booking
 * accept's two) is worth preparing once per connection instead.
 *
 * `preparedStatement(build)` compiles a kysely query once and marks its text with a name derived
 * from the text (`/* prepared sb_<hash> *\/ …`); the pool `openDatabase` gives kysely sends a
 * marked text as a node-postgres named query (`{ name, text, values }`), which node-postgres parses once on each
 * connection and then only binds and executes. Same text, same name; another text, another name,
 * so a name never meets two texts. Only queries whose text does not vary with their values
 * belong here (a list of ids is one array parameter, not one parameter each).
 */
import { createHash } from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

const MARK = '/* prepared ';
const MARK_END = ' */ ';

/**
 * A statement built by kysely once and then only given new values: `build` makes the query from
 * its arguments. On the first call it is built twice, from placeholders (each argument a unique
 * string) and from the real arguments; the text must be the same and each parameter either an
 * argument's placeholder or a constant of the query, else it throws (a query whose text depends on
 * its values does not belong here). Every later call skips kysely's building and compiling and
 * fills the parameters in. The text is marked to be sent as a named prepared statement.
 */
export function preparedStatement<DB, A extends Record<string, unknown>, R>(
  build: (db: Kysely<DB>, args: A) => Compilable<R>,
): (db: Kysely<DB>, args: A) => CompiledQuery<R> {
  // Each parameter: the argument it is filled from, or the query's constant (arg null).
  let template: { compiled: CompiledQuery<R>; slots: { arg: string | null; value: unknown }[] } | null = null;
  const fill = (slots: { arg: string | null; value: unknown }[], args: A) =>
    slots.map((slot) => (slot.arg === null ? slot.value : args[slot.arg]));
  return (db, args) => {
    if (template === null) {
      const placeholders: Record<string, string> = {};
      const argOf = new Map<unknown, string>();
      for (const key of Object.keys(args)) {
        const placeholder = `\u0000${key}\u0000`;
        placeholders[key] = placeholder;
        argOf.set(placeholder, key);
      }
      const compiled = build(db, placeholders as A).compile();
      const slots = compiled.parameters.map((value) => ({ arg: argOf.get(value) ?? null, value }));
      const real = build(db, args).compile();
      if (
        real.sql !== compiled.sql ||
        real.parameters.length !== slots.length ||
        fill(slots, args).some((value, i) => value !== real.parameters[i])
      ) {
        throw new Error(`A prepared statement's text or parameters depend on its values: ${real.sql}`);
      }
      const name = `sb_${createHash('sha1').update(compiled.sql).digest('base64url').slice(0, 22)}`;
      template = { compiled: { ...compiled, sql: `${MARK}${name}${MARK_END}${compiled.sql}` }, slots };
    }
    const { compiled, slots } = template;
    return {
      ...compiled,
      parameters: fill(slots, args),
    };
  };
}

type Query = (...args: unknown[]) => unknown;
const sendsPrepared = new WeakSet<pg.PoolClient>();

/** The pool as kysely uses it, its clients sending a `prepared` text as a named query (each client patched once). */
export function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      if (!sendsPrepared.has(client)) {
        sendsPrepared.add(client);
        const query = client.query as unknown as Query;
        (client as unknown as { query: Query }).query = function (this: pg.PoolClient, ...args: unknown[]) {
          const text = args[0];
          if (typeof text === 'string' && text.startsWith(MARK)) {
            const name = text.slice(MARK.length, text.indexOf(MARK_END, MARK.length));
            return query.call(this, { name, text, values: args[1] });
          }
          return query.apply(this, args);
        };
      }
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
