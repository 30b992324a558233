import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { withAdminClient } from '../../test/postgres-admin.js';
import type { Database } from './database.js';

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
      await withAdminClient((client) => client.query('select pg_terminate_backend($1)', [pid]));
      // let the idle client receive the termination
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      expect(after.rows[0]?.pid).not.toBe(pid);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
