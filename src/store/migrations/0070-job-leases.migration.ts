import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { columnExists } from './schema-checks.js';

/**
 * Work that must run on one node at a time (a full quality scan, a reconciliation job): a lease
 * per named job, held by one node until it expires, renewed while the work goes on; and on each
 * reconciliation job the node running it and until when (another node takes it over only after).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.createTable('job_leases').ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  if (!(await columnExists(db, dialect, 'reconcile_jobs', 'runner'))) await db.schema.alterTable('reconcile_jobs').addColumn('runner', 'text').execute();
  if (!(await columnExists(db, dialect, 'reconcile_jobs', 'lease_expires_at'))) await db.schema.alterTable('reconcile_jobs').addColumn('lease_expires_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('reconcile_jobs').dropColumn('lease_expires_at').execute();
  await db.schema.alterTable('reconcile_jobs').dropColumn('runner').execute();
  await db.schema.dropTable('job_leases').ifExists().execute();
}
