import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Database } from './database.js';
import { fastRead } from './fast-read.js';

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
});
