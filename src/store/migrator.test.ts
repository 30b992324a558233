import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Database } from './database.js';
import { migrateToLatest } from './migrator.js';
import { grantRepository } from '../exchange/grant.repository.js';

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

  it('run the access log\'s person-index migrations again when their change was made but not recorded, indexing records written meanwhile', async () => {
    await sql`insert into access_records (idx, person_id, deferred_until, leaf, leaf_hash) values (0, '001085000001', null, '{}', ${Buffer.alloc(32)})`.execute(database.db);
    await sql`update access_log_head set tree_size = 1 where id = 1`.execute(database.db);
    // As a stop left it between 0006's commit and its record: 0007 not run yet.
    await sql`drop table access_person_entries`.execute(database.db);
    await sql`drop table access_person_runs`.execute(database.db);
    await sql`delete from kysely_migration where name in ('0006-audit-person-index', '0007-audit-person-runs')`.execute(database.db);
    expect(await migrateToLatest(database.db, database.dialect)).toEqual(['0006-audit-person-index', '0007-audit-person-runs']);
    // 0006 indexed the record; 0007 made its index run 1.
    const index = await sql<{ run: number; person_id: string; idx: number }>`select run, person_id, idx from access_person_entries`.execute(database.db);
    expect(index.rows.map((r) => [r.run, r.person_id, r.idx])).toEqual([[1, '001085000001', 0]]);
    const runs = await sql<{ run: number; tier: number; state: string; row_count: number }>`select run, tier, state, row_count from access_person_runs`.execute(database.db);
    expect(runs.rows.map((r) => [r.run, r.tier, r.state, r.row_count])).toEqual([[1, 0, 'sealed', 1]]);
    const head = await sql<{ indexed_size: number }>`select indexed_size from access_log_head`.execute(database.db);
    expect(Number(head.rows[0]?.indexed_size)).toBe(1);
    // Either alone again, with a record written meanwhile: nothing changes; the new record waits for a run.
    await sql`insert into access_records (idx, person_id, deferred_until, leaf, leaf_hash) values (1, '001085000002', null, '{}', ${Buffer.alloc(32)})`.execute(database.db);
    await sql`update access_log_head set tree_size = 2 where id = 1`.execute(database.db);
    for (const name of ['0006-audit-person-index', '0007-audit-person-runs']) {
      await sql`delete from kysely_migration where name = ${name}`.execute(database.db);
      expect(await migrateToLatest(database.db, database.dialect)).toEqual([name]);
      const entries = await sql<{ run: number; person_id: string; idx: number }>`select run, person_id, idx from access_person_entries`.execute(database.db);
      expect(entries.rows.map((r) => [r.run, r.person_id, r.idx])).toEqual([[1, '001085000001', 0]]);
      const mark = await sql<{ indexed_size: number }>`select indexed_size from access_log_head`.execute(database.db);
      expect(mark.rows[0]?.indexed_size).toBe(1);
    }
  });

  it('put back indexes that a killed bulk load left dropped', async () => {
    await sql`drop index persons_name_birth_idx`.execute(database.db);
    await sql`drop index life_events_event_id_idx`.execute(database.db);
    await migrateToLatest(database.db, database.dialect);
    expect(await indexNames(database)).toEqual(['life_events_event_id_idx', 'life_events_person_idx', 'persons_household_idx', 'persons_name_birth_idx']);
  });

  it('give grants made before province scopes every province (0072), and run again over a column already there', async () => {
    await sql`alter table exchange_grants drop column provinces`.execute(database.db);
    await sql`delete from kysely_migration where name = '0072-grant-provinces'`.execute(database.db);
    await sql`insert into exchange_members (member_id, name, kind, status, created_at, updated_at) values ('VN/GOV/OLD', 'Cơ quan cũ', 'ministry', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(database.db);
    await sql`insert into exchange_clients (client_id, member_id, name, jwks, status, created_at, updated_at) values ('VN/GOV/OLD/feed', 'VN/GOV/OLD', 'feed', '{"keys":[]}', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(database.db);
    await sql`insert into exchange_grants (grant_id, client_id, service, fields, purposes, legal_basis, defer_days, requires_consent, valid_from, valid_until, rate_per_minute, daily_cap, status, created_at, updated_at)
              values ('old-grant', 'VN/GOV/OLD/feed', 'changes', '["death"]', '[{"code":"X","text":"x"}]', 'law', 0, 0, '2026-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 10, 10, 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(database.db);
    expect(await migrateToLatest(database.db, database.dialect)).toEqual(['0072-grant-provinces']);
    expect(await grantRepository.find(database.db, 'old-grant')).toMatchObject({ grantId: 'old-grant', provinces: [] });
    await sql`delete from kysely_migration where name = '0072-grant-provinces'`.execute(database.db);
    expect(await migrateToLatest(database.db, database.dialect)).toEqual(['0072-grant-provinces']);
    expect(await grantRepository.find(database.db, 'old-grant')).toMatchObject({ provinces: [] });
  });
});
