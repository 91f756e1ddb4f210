/**
 * Frozen. A version on each booking, for `ETag` / `If-Match` (docs/gp-connect.md, "Versions"):
 * it starts at 1 and goes up by one with every update that changes the row, whoever makes it —
 * the accept, a cancel, the write-back worker recording an outcome, the sync seeing a booking
 * cancelled in the EHR, a reconciliation. A trigger does it, so no writer can forget it.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('bookings')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`
    create function bookings_next_version() returns trigger language plpgsql as $$
    begin
      new.version := old.version + 1;
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger bookings_version before update on bookings
    for each row when (old.* is distinct from new.*)
    execute function bookings_next_version()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger bookings_version on bookings`.execute(db);
  await sql`drop function bookings_next_version()`.execute(db);
  await db.schema.alterTable('bookings').dropColumn('version').execute();
}
