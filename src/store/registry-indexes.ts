import type { Kysely } from 'kysely';

/** The registry's tables that have secondary indexes. */
export type RegistryTable = 'persons' | 'life_events';

/**
 * The registry's secondary indexes, in one place: the migration creates them, bulk loads drop and
 * rebuild them, and opening the store recreates any that a load killed mid-way left dropped.
 * Creating one that exists is a no-op.
 */
const definitions: readonly { readonly name: string; readonly table: RegistryTable; readonly columns: readonly string[]; readonly unique?: true }[] = [
  { name: 'persons_name_birth_idx', table: 'persons', columns: ['name_folded', 'birth_date'] },
  { name: 'persons_household_idx', table: 'persons', columns: ['household_id'] },
  // A named unique index rather than a column constraint, so that bulk loads can defer it.
  { name: 'life_events_event_id_idx', table: 'life_events', columns: ['event_id'], unique: true },
  { name: 'life_events_person_idx', table: 'life_events', columns: ['person_id', 'seq'] },
];

/** Each table's primary key (created with the table by migration 0001). */
const primaryKeys: Readonly<Record<RegistryTable, string>> = { persons: 'id_number', life_events: 'seq' };

/**
 * The registry's columns that a key or an index above holds: their statistics decide whether the
 * planner uses the indexes. An import into an empty registry analyses them at its end
 * (importBatchRepository.beginImport).
 */
export const registryIndexedColumns: Readonly<Record<RegistryTable, readonly string[]>> = {
  persons: indexedColumnsOf('persons'),
  life_events: indexedColumnsOf('life_events'),
};

function indexedColumnsOf(table: RegistryTable): string[] {
  return [...new Set([primaryKeys[table], ...definitions.filter((d) => d.table === table).flatMap((d) => d.columns)])];
}

/** Creates every registry index (of `table` alone, when given) that does not exist; a no-op on a healthy store. */
export async function ensureRegistryIndexes<T>(db: Kysely<T>, table?: RegistryTable): Promise<void> {
  const schema = (db as unknown as Kysely<unknown>).schema;
  for (const index of definitions) {
    if (table !== undefined && index.table !== table) continue;
    const create = schema.createIndex(index.name).ifNotExists().on(index.table).columns([...index.columns]);
    await (index.unique === true ? create.unique() : create).execute();
  }
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
