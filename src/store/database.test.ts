import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { withAdminClient } from '../../test/postgres-admin.js';
import { directStatement, type Database } from './database.js';

describe('the PostgreSQL store', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.close();
  });

  it('survives the server ending an idle connection, and carries on with a new one', async () => {
    const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
    const pid = before.rows[0]?.pid;
    expect(pid).toBeTypeOf('number');
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => { uncaught.push(error); };
    process.on('uncaughtException', onUncaught);
    try {
      // the pool drops the idle client once it hears of the termination: wait for that, not a fixed time
      const pool = database.pool;
      if (pool === undefined) throw new Error('expected a pool');
      // (events.once would reject on the pool's 'error', which comes first)
      const removed = new Promise((resolve) => pool.once('remove', resolve));
      await withAdminClient((client) => client.query('select pg_terminate_backend($1)', [pid]));
      await removed;
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      expect(after.rows[0]?.pid).not.toBe(pid);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it('offers no direct statements: hot reads go through the pool', () => {
    expect(directStatement(database.db, 'select 1')).toBeUndefined();
  });
});

describe('direct statements on the embedded store', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await sql`create table direct_probe (k text primary key, v text)`.execute(database.db);
    await sql`insert into direct_probe values ('a', 'one')`.execute(database.db);
  });
  afterAll(async () => {
    await database.close();
  });

  it('reads rows as objects or, raw, as arrays, prepared once per connection', () => {
    const text = 'select k, v from direct_probe where k = ?';
    expect(directStatement<[string], { k: string; v: string }>(database.db, text)?.get('a')).toEqual({ k: 'a', v: 'one' });
    const raw = directStatement<[string], [string, string]>(database.db, text, { raw: true });
    expect(raw?.get('a')).toEqual(['a', 'one']);
    expect(directStatement(database.db, text, { raw: true })).toBe(raw);
  });

  it('is not offered inside a transaction, where it would read uncommitted rows', async () => {
    await database.db.transaction().execute(async (trx) => {
      await sql`insert into direct_probe values ('b', 'two')`.execute(trx);
      expect(directStatement(trx, 'select v from direct_probe where k = ?')).toBeUndefined();
      expect(directStatement(database.db, 'select v from direct_probe where k = ?')).toBeUndefined();
    });
  });
});
