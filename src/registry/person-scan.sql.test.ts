import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { DB } from '../store/database.types.js';
import { personScanReadModel } from './person-scan.read-model.js';

/**
 * The SQL the quality scans run through the registry's read model, on each dialect, kept as a
 * reviewed file (src/registry/__sql__): a change to a scan's queries shows in review, and this test
 * fails until the file is updated (`-u`, then read the diff). The queries are compiled by Kysely
 * against no database (its DummyDriver) and captured from its query log.
 */
function capturing(dialect: 'sqlite' | 'postgres'): { readonly db: Kysely<DB>; readonly queries: string[] } {
  const queries: string[] = [];
  const db = new Kysely<DB>({
    dialect: dialect === 'sqlite'
      ? { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (k) => new SqliteIntrospector(k), createQueryCompiler: () => new SqliteQueryCompiler() }
      : { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (k) => new PostgresIntrospector(k), createQueryCompiler: () => new PostgresQueryCompiler() },
    log: (event) => { queries.push(`-- parameters: ${JSON.stringify(event.query.parameters)}\n${event.query.sql};\n`); },
  });
  return { db, queries };
}

describe.each(['sqlite', 'postgres'] as const)('the quality scans\' SQL on %s (reviewed snapshot file)', (dialect) => {
  it('matches the reviewed file', async () => {
    const { db, queries } = capturing(dialect);
    // PostgreSQL's full scan goes by keyset pages through Kysely; SQLite's iterates one raw statement (not Kysely's).
    for await (const page of personScanReadModel.persons({ dialect, db, sqlite: undefined }, 500)) expect(page).toEqual([]);
    await personScanReadModel.lastEventsOfDeceased(db);
    await personScanReadModel.lastEventOf(db, '001090000001');
    await personScanReadModel.rows(db, ['001090000001', '079190000002']);
    await personScanReadModel.householdMembers(db, 'H-1');
    await personScanReadModel.sameNameAndYear(db, 'nguyen van an', '1990');
    expect(queries).toHaveLength(6);
    await expect(queries.join('\n')).toMatchFileSnapshot(`./__sql__/person-scan.${dialect}.sql`);
    await db.destroy();
  });
});
