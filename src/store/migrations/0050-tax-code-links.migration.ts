import { sql, type Kysely } from 'kysely';

/**
 * Old tax codes linked to persons (src/matching/tax-code-link.*): since 1 July 2025 the ID number
 * is the personal tax code, and the old 10-digit codes still in banks', employers' and agencies'
 * files are answered from here. One row per old code (a nation: tens of millions of rows, read
 * by key; the person index serves the citizen's own codes), and one row per linking run.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('tax_code_links').ifNotExists()
    .addColumn('old_tax_code', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('confirmed', 'probable')`))
    .addColumn('source_kind', 'text', (c) => c.notNull().check(sql`source_kind in ('linking_run', 'officer')`))
    .addColumn('source_ref', 'text', (c) => c.notNull())
    .addColumn('established_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tax_code_links_person').ifNotExists().on('tax_code_links').columns(['person_id', 'old_tax_code']).execute();
  await db.schema.createTable('tax_code_link_runs').ifNotExists()
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('source_name', 'text', (c) => c.notNull())
    .addColumn('input_sha256', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('written', 'integer', (c) => c.notNull())
    .addColumn('unchanged', 'integer', (c) => c.notNull())
    .addColumn('malformed', 'integer', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tax_code_link_runs').ifExists().execute();
  await db.schema.dropTable('tax_code_links').ifExists().execute();
}
