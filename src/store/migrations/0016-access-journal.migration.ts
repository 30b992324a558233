import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The access journal's marks (audit/access-journal.*): how far each journal segment has been
 * folded into the Merkle tree. The writer thread moves a segment's mark in the same transaction
 * as the records it folds, so a record is folded once whenever the process stops. In the access
 * log's store, on both dialects (PostgreSQL has no journal and leaves the table empty).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('access_log_journal_marks')
    .ifNotExists()
    .addColumn('segment', 'text', (c) => c.primaryKey())
    .addColumn('folded_to', bigint, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('access_log_journal_marks').ifExists().execute();
}
