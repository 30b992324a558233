import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { ensureRegistryIndexes } from '../registry-indexes.js';

/** The registry core: persons, households, the life-event log and import bookkeeping. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('persons')
    .addColumn('id_number', 'text', (c) => c.primaryKey())
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('name_folded', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text', (c) => c.notNull())
    .addColumn('sex', 'text', (c) => c.notNull().check(sql`sex in ('M', 'F')`))
    .addColumn('ethnicity', 'text')
    .addColumn('religion', 'text')
    .addColumn('nationality', 'text', (c) => c.notNull())
    .addColumn('birth_province', 'text', (c) => c.notNull())
    .addColumn('birth_commune', 'text')
    .addColumn('hometown', 'text')
    .addColumn('permanent_commune', 'text')
    .addColumn('permanent_address', 'text')
    .addColumn('temporary_commune', 'text')
    .addColumn('temporary_address', 'text')
    .addColumn('current_commune', 'text')
    .addColumn('current_address', 'text')
    .addColumn('father_id', 'text')
    .addColumn('mother_id', 'text')
    .addColumn('spouse_id', 'text')
    .addColumn('household_id', 'text')
    .addColumn('relationship_to_head', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('alive', 'deceased')`))
    .addColumn('death_date', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('households')
    .addColumn('household_id', 'text', (c) => c.primaryKey())
    .addColumn('head_id', 'text')
    .addColumn('commune_code', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('life_events')
    .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
      // SQLite's INTEGER PRIMARY KEY is the rowid: ascending and never reused in an append-only table.
      dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
    )
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('occurred_on', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('officer_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('import_batches')
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('batch_no', 'integer', (c) => c.notNull())
    .addColumn('rows_accepted', 'integer', (c) => c.notNull())
    .addColumn('rows_rejected', 'integer', (c) => c.notNull())
    .addColumn('committed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_batches_pk', ['import_id', 'batch_no'])
    .execute();

  await ensureRegistryIndexes(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['import_batches', 'life_events', 'households', 'persons']) {
    await db.schema.dropTable(table).execute();
  }
}
