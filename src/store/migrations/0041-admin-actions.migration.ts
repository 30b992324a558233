import type { Kysely } from 'kysely';

/**
 * The administration log: every action an administrator takes on an officer (role and unit,
 * second factor reset, suspension…) or on a citizen's consent (recorded with its legal basis,
 * paused, withdrawn), who took it and when, written in the same transaction as the change. Never
 * updated or deleted; it holds ids and the action's terms, never a person's data.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_actions')
    .ifNotExists()
    .addColumn('action_id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_actions_subject_idx').ifNotExists().on('admin_actions').columns(['subject', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('admin_actions').ifExists().execute();
}
