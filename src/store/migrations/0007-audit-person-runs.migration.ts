import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { tableExists } from './schema-checks.js';

/**
 * The tracker's person index as sorted runs (a log-structured merge index). 0006's index was one
 * B-tree keyed by person: each run of new records landed on pages all over it, so its cost a
 * record grew with the index (about one 4 KiB page written a record at 10 million). Here each run
 * is written under a run number of its own, at the end of the B-tree, and runs of a tier are
 * merged into one of the next tier in the background (person-index.writer.ts). A tracker lookup
 * seeks once per run; there are a few dozen at 100 million records.
 *
 * access_person_index (0006), when present, becomes run 1: it is complete up to indexed_size.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // As in 0006: SQLite DDL is transactional, but Kysely's migrator does not wrap it.
  if (dialect === 'sqlite') await db.transaction().execute((trx) => change(trx, dialect));
  else await change(db, dialect);
}

/** The tier a run of `rows` rows belongs to, as person-index.writer.ts counts them (runs of 2,048 records, 8 merged at a time). */
function tierOf(rows: number): number {
  let tier = 0;
  for (let size = 2_048 * 8; size <= rows; size *= 8) tier++;
  return tier;
}

async function change(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  // Each step may find itself done already (see 0006 on a stop between commit and record).
  await db.schema
    .createTable('access_person_runs')
    .ifNotExists()
    .addColumn('run', bigint, (c) => c.primaryKey())
    .addColumn('tier', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('merging', 'sealed')`))
    .addColumn('row_count', bigint, (c) => c.notNull())
    // A source of the merge into that run.
    .addColumn('merging_into', bigint)
    // A merging run has taken every source entry up to and including this key.
    .addColumn('merged_person_id', 'text')
    .addColumn('merged_idx', bigint)
    .execute();
  const entries = db.schema
    .createTable('access_person_entries')
    .ifNotExists()
    .addColumn('run', bigint, (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('idx', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('access_person_entries_pk', ['run', 'person_id', 'idx']);
  await (dialect === 'sqlite' ? entries.modifyEnd(sql`without rowid`) : entries).execute();

  if (await tableExists(db, dialect, 'access_person_index')) {
    // The 0006 index is whole up to indexed_size: it replaces whatever runs there are.
    await sql`delete from access_person_entries`.execute(db);
    await sql`delete from access_person_runs`.execute(db);
    await sql`insert into access_person_entries (run, person_id, idx) select 1, person_id, idx from access_person_index where true order by person_id, idx`.execute(db);
    const count = await sql<{ n: number | string }>`select count(*) as n from access_person_entries`.execute(db);
    const rows = Number(count.rows[0]?.n ?? 0);
    if (rows > 0) await sql`insert into access_person_runs (run, tier, state, row_count) values (1, ${tierOf(rows)}, 'sealed', ${rows})`.execute(db);
    await db.schema.dropTable('access_person_index').execute();
  }
}

export async function down(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const index = db.schema
    .createTable('access_person_index')
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('idx', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_person_index_pk', ['person_id', 'idx']);
  await (dialect === 'sqlite' ? index.modifyEnd(sql`without rowid`) : index).execute();
  await sql`insert into access_person_index (person_id, idx) select distinct person_id, idx from access_person_entries where true order by person_id, idx on conflict do nothing`.execute(db);
  await db.schema.dropTable('access_person_entries').execute();
  await db.schema.dropTable('access_person_runs').execute();
}
