import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { columnExists, tableExists } from './schema-checks.js';

/**
 * The citizen's tracker index, kept apart from the appends. An index on access_records is
 * updated by every append: one random B-tree page a record, which SQLite's WAL writes whole at
 * every commit (bench/person-index.bench.ts, 1 million records, batches of 32: 33-46 µs of CPU a
 * record with it, 7-11 without).
 * access_person_index is filled behind the appends in large sorted runs instead (see
 * person-index.writer.ts); access_log_head.indexed_size says how far: records below it are in
 * the index, the ones from it on are found by scanning the few newest records.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // SQLite DDL is transactional, but Kysely's migrator does not wrap it: do it here, so that an
  // interrupted migration leaves the store as it was. (On PostgreSQL the migrator's transaction holds.)
  if (dialect === 'sqlite') await db.transaction().execute((trx) => change(trx, dialect));
  else await change(db, dialect);
}

async function change(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // Once 0007 has replaced this index by runs, running this again (its record lost) must not bring it back.
  if (await tableExists(db, dialect, 'access_person_runs')) return;
  // Each step may find itself done already: on SQLite this migration's own transaction commits
  // before Kysely records the migration, and a stop between the two runs it again.
  const index = db.schema
    .createTable('access_person_index')
    .ifNotExists()
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('idx', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_person_index_pk', ['person_id', 'idx']);
  await (dialect === 'sqlite' ? index.modifyEnd(sql`without rowid`) : index).execute();
  if (!(await columnExists(db, dialect, 'access_log_head', 'indexed_size'))) await db.schema.alterTable('access_log_head').addColumn('indexed_size', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // What is logged already goes in now, in index order, so that the tracker never scans an old log.
  await sql`insert into access_person_index (person_id, idx) select person_id, idx from access_records where true order by person_id, idx on conflict do nothing`.execute(db);
  await sql`update access_log_head set indexed_size = tree_size where id = 1`.execute(db);
  await db.schema.dropIndex('access_records_person_idx').ifExists().execute();
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('access_records_person_idx')
    .on('access_records')
    .columns(dialect === 'postgres' ? ['person_id', 'idx'] : ['person_id'])
    .execute();
  await db.schema.alterTable('access_log_head').dropColumn('indexed_size').execute();
  await db.schema.dropTable('access_person_index').execute();
}
