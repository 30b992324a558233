import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Linked procedures (src/services): the applications, their steps with status, time limit,
 * attempts and backoff, and the agencies' delivery endpoints.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('procedures')
    .ifNotExists()
    .addColumn('procedure_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('applicant_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('commune_code', 'text', (c) => c.notNull())
    .addColumn('province_code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('current_step', 'integer', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('procedures_applicant_idx').ifNotExists().on('procedures').columns(['applicant_id', 'submitted_at']).execute();
  await db.schema.createIndex('procedures_unit_idx').ifNotExists().on('procedures').columns(['province_code', 'commune_code', 'submitted_at']).execute();
  await db.schema
    .createTable('procedure_steps')
    .ifNotExists()
    .addColumn('procedure_id', 'text', (c) => c.notNull())
    .addColumn('step_no', 'integer', (c) => c.notNull())
    .addColumn('step_key', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', big, (c) => c.notNull())
    .addColumn('due_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('recorded', 'integer', (c) => c.notNull())
    .addColumn('result', 'text')
    .addPrimaryKeyConstraint('procedure_steps_pk', ['procedure_id', 'step_no'])
    .execute();
  await db.schema.createIndex('procedure_steps_due_idx').ifNotExists().on('procedure_steps').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('procedure_endpoints')
    .ifNotExists()
    .addColumn('agency', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['procedure_endpoints', 'procedure_steps', 'procedures']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
