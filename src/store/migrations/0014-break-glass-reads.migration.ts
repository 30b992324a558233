import type { Kysely } from 'kysely';

/**
 * Break-glass reads as the auditors review them: what was done (person.read, household.read) and
 * whose data it showed, beside the written reason (migration 0012 kept the reason and the reader
 * only). Rows written before this migration keep both empty. In the registry's store.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('break_glass_reasons').addColumn('action', 'text').execute();
  // JSON array of the ID numbers the answer showed (a household's members, one person for a read).
  await db.schema.alterTable('break_glass_reasons').addColumn('person_ids', 'text').execute();
  await db.schema.createIndex('break_glass_reasons_recorded_idx').ifNotExists().on('break_glass_reasons').columns(['recorded_at', 'request_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('break_glass_reasons_recorded_idx').ifExists().execute();
  await db.schema.alterTable('break_glass_reasons').dropColumn('person_ids').execute();
  await db.schema.alterTable('break_glass_reasons').dropColumn('action').execute();
}
