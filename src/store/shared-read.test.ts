import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { directStatement, type Database, type DirectStatement } from './database.js';
import { sharedRead } from './shared-read.js';

const countSql = 'SELECT count(*) FROM shared_read_probe';

describe('reads shared in one event-loop turn, on the embedded store', () => {
  let database: Database;
  let sqlite: SQLite.Database;
  let other: SQLite.Database;
  // resolved before any read is queued, as the repositories do: none is offered inside a transaction
  let countStatement: DirectStatement<[], [number]> | undefined;
  const count = (): number => countStatement?.get()?.[0] ?? -1;
  const viaKysely = async (): Promise<number> => {
    const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM shared_read_probe`.execute(database.db);
    return rows[0]?.n ?? -1;
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    if (database.sqlite === undefined) throw new Error('expected SQLite');
    sqlite = database.sqlite;
    await sql`CREATE TABLE shared_read_probe (x INTEGER)`.execute(database.db);
    if (!database.location.endsWith('.db')) throw new Error('expected a file');
    other = new SQLite(database.location);
    countStatement = directStatement<[], [number]>(database.db, countSql, { raw: true });
  });
  afterAll(async () => {
    other.close();
    await database.close();
  });

  it('runs the reads of one turn in one read transaction, in order, and ends it before answering', async () => {
    const seen: boolean[] = [];
    const reads = [1, 2, 3].map((n) => sharedRead(database.db, () => {
      seen.push(sqlite.inTransaction);
      return n;
    }, () => Promise.resolve(-n)));
    let openWhenAnswered: boolean | undefined;
    const first = reads[0]?.then((v) => {
      openWhenAnswered = sqlite.inTransaction;
      return v;
    });
    expect(await Promise.all([first, ...reads.slice(1)])).toEqual([1, 2, 3]);
    expect(seen).toEqual([true, true, true]);
    expect(openWhenAnswered).toBe(false);
    expect(sqlite.inTransaction).toBe(false);
  });

  it('runs a read alone in its own statement, without a transaction around it', async () => {
    expect(await sharedRead(database.db, () => sqlite.inTransaction, () => Promise.resolve(true))).toBe(false);
  });

  it('gives every read of the turn the same snapshot, even if another connection commits between them', async () => {
    other.prepare('DELETE FROM shared_read_probe').run();
    const [before, after] = await Promise.all([
      sharedRead(database.db, () => {
        const n = count();
        other.prepare('INSERT INTO shared_read_probe (x) VALUES (1)').run();
        return n;
      }, viaKysely),
      sharedRead(database.db, count, viaKysely),
    ]);
    expect(before).toBe(0);
    expect(after).toBe(0);
    // the next turn sees the other connection's commit
    expect(await sharedRead(database.db, count, viaKysely)).toBe(1);
  });

  it('fails only the read that throws; the others answer and the transaction ends', async () => {
    const results = await Promise.allSettled([
      sharedRead(database.db, () => 'a', () => Promise.resolve('fallback')),
      sharedRead(database.db, () => {
        throw new Error('unreadable');
      }, () => Promise.resolve('fallback')),
      sharedRead(database.db, () => 'c', () => Promise.resolve('fallback')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'unreadable', 'c']);
    expect(sqlite.inTransaction).toBe(false);
  });

  it('copes with a read that ends the transaction itself: the turn ends without error', async () => {
    other.prepare('DELETE FROM shared_read_probe').run();
    other.prepare('INSERT INTO shared_read_probe (x) VALUES (1), (2), (3)').run();
    const results = await Promise.all([
      sharedRead(database.db, () => 'first', () => Promise.resolve('fallback')),
      sharedRead(database.db, () => {
        sqlite.exec('ROLLBACK');
        return 'ended it';
      }, () => Promise.resolve('fallback')),
    ]);
    expect(results).toEqual(['first', 'ended it']);
    expect(sqlite.inTransaction).toBe(false);
    // the connection reads on: the next turn sees the three rows
    expect(await sharedRead(database.db, count, viaKysely)).toBe(3);
  });

  it('runs each read on its own when no transaction can begin (a query left unfinished), and throws nothing from the turn', async () => {
    other.prepare('INSERT INTO shared_read_probe (x) VALUES (1), (2)').run();
    // better-sqlite3 refuses BEGIN while a statement is mid-iteration, but still runs reads
    const unfinished = sqlite.prepare('SELECT x FROM shared_read_probe').iterate();
    unfinished.next();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => { uncaught.push(error); };
    process.on('uncaughtException', onUncaught);
    try {
      const read = (): readonly [number, boolean] => [count(), sqlite.inTransaction];
      const results = await Promise.all([sharedRead(database.db, read, () => Promise.resolve<readonly [number, boolean]>([-1, false])), sharedRead(database.db, read, () => Promise.resolve<readonly [number, boolean]>([-1, false]))]);
      expect(results[0][0]).toBeGreaterThan(0);
      expect(results.map((r) => r[1])).toEqual([false, false]);
    } finally {
      unfinished.return?.();
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(sqlite.inTransaction).toBe(false);
  });

  it("waits for a transaction left open on the connection instead of reading its uncommitted rows", async () => {
    other.prepare('DELETE FROM shared_read_probe').run();
    let read: Promise<number> | undefined;
    let fellBack: (() => void) | undefined;
    const fallbackCalled = new Promise<void>((resolve) => { fellBack = resolve; });
    const rolledBack = database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO shared_read_probe (x) VALUES (7)`.execute(trx);
      read = sharedRead(database.db, () => count(), () => {
        fellBack?.();
        return viaKysely();
      });
      // the turn ends while the transaction is open: either the read falls back (and waits for the
      // transaction) or it answers from the connection, uncommitted row and all, and fails below
      await Promise.race([fallbackCalled, read]);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await read).toBe(0);
  });

  it('answers reads queued before the store closed through the fallback, which reports the closed store', async () => {
    const scratch = await createTestDatabase('sqlite');
    const pending = sharedRead(scratch.db, () => 'read', () => Promise.reject(new Error('closed store')));
    scratch.sqlite?.close();
    await expect(pending).rejects.toThrow('closed store');
    await scratch.close().catch(() => undefined);
  });
});

describe('reads shared in one turn, on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.close();
  });

  it('reads through the fallback, the pool', async () => {
    expect(await sharedRead(database.db, () => 'direct', () => Promise.resolve('pool'))).toBe('pool');
  });
});
