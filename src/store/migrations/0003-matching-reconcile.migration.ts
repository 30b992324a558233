import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Bulk reconciliation jobs. Named 0003-matching-reconcile so that the matching module's other
 * tables can land as 0003-matching without touching this one. One row per job: a few per agency
 * per month, so the table stays small at any population; the runner finds unfinished jobs by state.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('reconcile_jobs')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('preset', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text', (c) => c.notNull())
    .addColumn('source_path', 'text', (c) => c.notNull())
    .addColumn('mapping', 'text', (c) => c.notNull())
    .addColumn('out_dir', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('progress', real, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('rows', 'integer')
    .addColumn('summary', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('reconcile_jobs_state_idx').on('reconcile_jobs').columns(['state', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reconcile_jobs').execute();
}
