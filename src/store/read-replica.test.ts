import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { freePort } from '../../test/nats-server.js';
import { driverOf } from './database.js';
import { openReadReplica, replicaApplicationName } from './read-replica.js';

describe('the read replica handle (PostgreSQL)', () => {
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => { store = await createTestDatabase('postgres'); });
  afterAll(async () => { await store.close(); });

  it('runs the reads on the replica, under its own application name', async () => {
    // The test's database stands in for the replica: what matters is which pool answers.
    const reads = openReadReplica(store, store.url ?? '');
    try {
      const rows = await sql<{ name: string }>`select current_setting('application_name') as name`.execute(reads.db);
      expect(rows.rows).toEqual([{ name: replicaApplicationName }]);
      expect(reads.served).toEqual({ replica: 1, primary: 0 });
    } finally {
      await reads.close();
    }
  });

  it('falls back to the primary while the replica refuses connections, and tries it again later', async () => {
    let now = 0;
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/sachsong`;
    const reads = openReadReplica(store, nowhere, { now: () => now });
    try {
      const name = await sql<{ name: string }>`select current_setting('application_name') as name`.execute(reads.db);
      expect(name.rows).not.toEqual([{ name: replicaApplicationName }]);
      expect(reads.served).toEqual({ replica: 0, primary: 1 });
      // Within the pause the replica is not asked again; after it, it is (and refuses again).
      await reads.db.selectFrom('persons').select('id_number').execute();
      now += 2_001;
      await reads.db.selectFrom('persons').select('id_number').execute();
      expect(reads.served).toEqual({ replica: 0, primary: 3 });
    } finally {
      await reads.close();
    }
  });

  it('passes on an error of the read itself instead of repeating it on the primary', async () => {
    const reads = openReadReplica(store, store.url ?? '');
    try {
      await expect(sql`select * from no_such_table`.execute(reads.db)).rejects.toThrow(/no_such_table/);
      expect(reads.served).toEqual({ replica: 0, primary: 0 });
    } finally {
      await reads.close();
    }
  });

  it('survives a connection ended under a checked-out client: the statement fails, the process goes on', async () => {
    const pool = driverOf(store.db)?.pool;
    if (pool === undefined) throw new Error('no pool');
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const sleeping = client.query('select pg_sleep(30)');
    await store.db.selectNoFrom(sql<boolean>`pg_terminate_backend(${pid})`.as('ended')).execute();
    await expect(sleeping).rejects.toThrow(/terminat/);
    client.release(true);
    expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows).toEqual([{ one: 1 }]);
  });
});

describe('the read replica handle (SQLite)', () => {
  it('is refused: the embedded store has no replica, its reads stay on the one file', async () => {
    const store = await createTestDatabase('sqlite');
    try {
      expect(() => openReadReplica(store, 'postgres://postgres@127.0.0.1:5434/sachsong')).toThrow(/PostgreSQL primary/);
    } finally {
      await store.close();
    }
  });
});
