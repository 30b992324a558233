import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The exchange's change counter: one row, bumped in the same transaction as every change to a
 * member, client (status or keys), officer or grant, by whichever process makes it. A running
 * server compares it with the value its cached directory was filled under, so a revocation or a
 * suspension made by the CLI or another node holds on its next call (exchange.directory.ts).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('exchange_changes')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('counter', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
  // Re-runnable: SQLite DDL here is not wrapped, and a stop before Kysely records the migration runs it again.
  await sql`INSERT INTO exchange_changes (id, counter) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('exchange_changes').ifExists().execute();
}
