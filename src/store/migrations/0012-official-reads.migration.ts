import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Officials' reads (audit/official-read.*): persons flagged sensitive (reads of them alert the
 * auditors), the written reasons of break-glass reads (the access record carries their SHA-256),
 * bulk jobs with the hash of their person list and their members (one row per included person). In the registry's store, on both dialects.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('sensitive_persons')
    .ifNotExists()
    .addColumn('person_id', 'text', (c) => c.primaryKey())
    .addColumn('flagged_by', 'text', (c) => c.notNull())
    .addColumn('flagged_at', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('break_glass_reasons')
    .ifNotExists()
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('reason_sha256', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('bulk_jobs')
    .ifNotExists()
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reader_id', 'text', (c) => c.notNull())
    .addColumn('persons', bigint, (c) => c.notNull())
    .addColumn('persons_sha256', 'text', (c) => c.notNull())
    .addColumn('log_index', bigint, (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  // The persons a job included, read by the citizen's tracker (its primary key leads with the person).
  await db.schema
    .createTable('bulk_job_members')
    .ifNotExists()
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bulk_job_members_pk', ['person_id', 'job_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bulk_job_members').ifExists().execute();
  await db.schema.dropTable('bulk_jobs').ifExists().execute();
  await db.schema.dropTable('break_glass_reasons').ifExists().execute();
  await db.schema.dropTable('sensitive_persons').ifExists().execute();
}
