import type { Kysely } from 'kysely';

/** The registry's tables that have secondary indexes. */
export type RegistryTable = 'persons' | 'life_events';

/**
 * The registry's secondary indexes, in one place: the migration creates them, bulk loads drop and
 * rebuild them, and opening the store recreates any that a load killed mid-way left dropped.
 * Creating one that exists is a no-op.
 */
const definitions: readonly { readonly table: RegistryTable; readonly define: (db: Kysely<unknown>) => Promise<void> }[] = [
  { table: 'persons', define: async (db) => { await db.schema.createIndex('persons_name_birth_idx').ifNotExists().on('persons').columns(['name_folded', 'birth_date']).execute(); } },
  { table: 'persons', define: async (db) => { await db.schema.createIndex('persons_household_idx').ifNotExists().on('persons').column('household_id').execute(); } },
  // A named unique index rather than a column constraint, so that bulk loads can defer it.
  { table: 'life_events', define: async (db) => { await db.schema.createIndex('life_events_event_id_idx').ifNotExists().on('life_events').column('event_id').unique().execute(); } },
  { table: 'life_events', define: async (db) => { await db.schema.createIndex('life_events_person_idx').ifNotExists().on('life_events').columns(['person_id', 'seq']).execute(); } },
];

/**
 * The registry's columns that an index leads or keys (its unique constraints included): their
 * statistics decide whether the planner uses the indexes above. An import into an empty registry
 * analyses them at its end (importBatchRepository.beginImport).
 */
export const registryIndexedColumns: Readonly<Record<RegistryTable, readonly string[]>> = {
  persons: ['id_number', 'name_folded', 'birth_date', 'household_id'],
  life_events: ['seq', 'event_id', 'person_id'],
};

/** Creates every registry index (of `table` alone, when given) that does not exist; a no-op on a healthy store. */
export async function ensureRegistryIndexes<T>(db: Kysely<T>, table?: RegistryTable): Promise<void> {
  for (const definition of definitions) if (table === undefined || definition.table === table) await definition.define(db as unknown as Kysely<unknown>);
}

/** The registry's non-unique secondary indexes: an import into an empty registry builds them once, at its end. */
export const deferrableRegistryIndexes: readonly string[] = ['persons_name_birth_idx', 'persons_household_idx', 'life_events_person_idx'];

/**
 * Drops the deferrable indexes: the caller (an import into an empty registry) then writes rows
 * without keeping them up to date one by one, and ensureRegistryIndexes builds them once
 * afterwards. A process killed meanwhile leaves them dropped; the next migrateToLatest (every
 * command and the server run it on opening the store) builds them again.
 */
export async function dropDeferrableIndexes<T>(db: Kysely<T>): Promise<void> {
  for (const name of deferrableRegistryIndexes) await db.schema.dropIndex(name).ifExists().execute();
}
