import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { openDatabase, type Database } from './database.js';
import { fastRead, fastReadAll, storeChangeMark } from './fast-read.js';

const probeSql = 'SELECT k, v FROM fast_read_probe WHERE k = ?';

describe.each(dialects)('the fast read path on %s', (dialect) => {
  let database: Database;
  const viaKysely = async (db: Database['db'], k: string): Promise<string | undefined> =>
    (await sql<{ v: string }>`SELECT v FROM fast_read_probe WHERE k = ${k}`.execute(db)).rows[0]?.v;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await sql`CREATE TABLE fast_read_probe (k TEXT PRIMARY KEY, v TEXT NOT NULL)`.execute(database.db);
    await sql`INSERT INTO fast_read_probe (k, v) VALUES ('a', 'one'), ('b', 'two')`.execute(database.db);
  });
  afterAll(async () => {
    await database.close();
  });

  it('answers from the prepared statement on SQLite and from Kysely elsewhere, the same answer both ways', async () => {
    const ways: string[] = [];
    const read = (k: string): Promise<string | undefined> => fastRead(database.db, probeSql, [k], (values: [string, string] | undefined) => {
      ways.push('direct');
      return values?.[1];
    }, () => {
      ways.push('kysely');
      return viaKysely(database.db, k);
    });
    expect(await Promise.all([read('a'), read('b'), read('none')])).toEqual(['one', 'two', undefined]);
    expect(ways).toEqual(dialect === 'sqlite' ? ['direct', 'direct', 'direct'] : ['kysely', 'kysely', 'kysely']);
  });

  it('reads through Kysely inside a transaction, and sees the transaction\'s own rows', async () => {
    const ways: string[] = [];
    await database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO fast_read_probe (k, v) VALUES ('c', 'three')`.execute(trx);
      const answer = await fastRead(trx, probeSql, ['c'], (values: [string, string] | undefined) => {
        ways.push('direct');
        return values?.[1];
      }, () => {
        ways.push('kysely');
        return viaKysely(trx, 'c');
      });
      expect(answer).toBe('three');
      throw new Error('roll back');
    }).catch((error: unknown) => {
      if (!(error instanceof Error) || error.message !== 'roll back') throw error;
    });
    expect(ways).toEqual(['kysely']);
    expect(await viaKysely(database.db, 'c')).toBeUndefined();
  });

  it('reads several rows by key the same way (fastReadAll), [] when none', async () => {
    const ways: string[] = [];
    const all = (prefix: string): Promise<string[]> => fastReadAll(database.db, 'SELECT k, v FROM fast_read_probe WHERE k >= ? ORDER BY k', [prefix], (rows: readonly [string, string][]) => {
      ways.push('direct');
      return rows.map((r) => r[1]);
    }, async () => {
      ways.push('kysely');
      return (await sql<{ v: string }>`SELECT v FROM fast_read_probe WHERE k >= ${prefix} ORDER BY k`.execute(database.db)).rows.map((r) => r.v);
    });
    expect(await Promise.all([all('a'), all('z')])).toEqual([['one', 'two'], []]);
    expect(ways).toEqual(dialect === 'sqlite' ? ['direct', 'direct'] : ['kysely', 'kysely']);
  });

  it('gives a change mark that moves when another connection commits (SQLite), none on PostgreSQL', async () => {
    const before = await storeChangeMark(database.db);
    if (dialect === 'postgres') {
      expect(before).toBeUndefined();
      return;
    }
    expect(typeof before).toBe('number');
    // The connection's own commits do not move it: only another connection's do.
    await sql`INSERT INTO fast_read_probe (k, v) VALUES ('own', 'x')`.execute(database.db);
    expect(await storeChangeMark(database.db)).toBe(before);
    const other = openDatabase({ sqliteFile: database.location });
    try {
      await sql`INSERT INTO fast_read_probe (k, v) VALUES ('other', 'y')`.execute(other.db);
    } finally {
      await other.close();
    }
    expect(await storeChangeMark(database.db)).not.toBe(before);
  });
});
