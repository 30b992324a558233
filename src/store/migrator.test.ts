import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Database } from './database.js';
import { migrateToLatest } from './migrator.js';

/** The secondary indexes on the registry's own tables (other modules' indexes are theirs to test). */
async function indexNames(database: Database): Promise<string[]> {
  const query = database.dialect === 'sqlite'
    ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and sql is not null and tbl_name in ('persons', 'life_events', 'households') order by name`
    : sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and indexname like '%_idx' and tablename in ('persons', 'life_events', 'households') order by indexname`;
  return (await query.execute(database.db)).rows.map((r) => r.name);
}

describe.each(dialects)('migrations on %s', (dialect) => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.close();
  });

  it('are idempotent and create the registry indexes', async () => {
    expect(await migrateToLatest(database.db, database.dialect)).toEqual([]);
    expect(await indexNames(database)).toEqual(['life_events_event_id_idx', 'life_events_person_idx', 'persons_household_idx', 'persons_name_birth_idx']);
  });

  it('put back indexes that a killed bulk load left dropped', async () => {
    await sql`drop index persons_name_birth_idx`.execute(database.db);
    await sql`drop index life_events_event_id_idx`.execute(database.db);
    await migrateToLatest(database.db, database.dialect);
    expect(await indexNames(database)).toEqual(['life_events_event_id_idx', 'life_events_person_idx', 'persons_household_idx', 'persons_name_birth_idx']);
  });
});
