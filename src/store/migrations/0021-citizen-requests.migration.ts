import type { Kysely } from 'kysely';

/**
 * Citizens' requests to correct their record (src/quality/correction-request.service.ts): each is
 * a finding of the commune's quality worklist (rule `citizen.correction_request`) and this row
 * holds what the citizen wrote. Instants are ISO-8601 UTC text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('quality_correction_requests')
    .ifNotExists()
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('finding_id', 'text', (c) => c.notNull().unique())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // The portal lists a person's requests, newest first.
  await db.schema.createIndex('quality_correction_requests_person').ifNotExists().on('quality_correction_requests').columns(['person_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('quality_correction_requests').ifExists().execute();
}
