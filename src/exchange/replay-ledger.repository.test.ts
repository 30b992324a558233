import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { driverOf } from '../store/database.js';
import { PostgresReplayLedger, SqliteReplayLedger, type ReplayLedger, type ReplayLedgerOptions } from './replay-ledger.repository.js';

const id = (n: number): string => `0190b7a2-0000-4000-8000-${String(n).padStart(12, '0')}`;
const secret = randomBytes(32);
const t0 = Date.parse('2026-03-01T08:00:00Z');

interface Store {
  open(options: ReplayLedgerOptions): ReplayLedger;
  /** Rows in the ledger's table. */
  rows(): Promise<number>;
  close(): Promise<void>;
}

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-ledger-'));
  const file = path.join(dir, 'replay-ledger.db');
  const rows = (): Promise<number> => {
    const db = new SQLite(file, { readonly: true });
    try {
      return Promise.resolve(db.prepare('SELECT count(*) FROM replay_claims').pluck().get() as number);
    } finally {
      db.close();
    }
  };
  return Promise.resolve({ open: (options) => new SqliteReplayLedger(file, options), rows, close: () => { rmSync(dir, { recursive: true, force: true }); return Promise.resolve(); } });
}

async function postgresStore(): Promise<Store> {
  const database = await createTestDatabase('postgres');
  const pool = driverOf(database.db)?.pool;
  if (pool === undefined) throw new Error('no pool');
  const rows = async (): Promise<number> => Number((await pool.query<{ n: string }>('select count(*)::text as n from exchange_replay_claims')).rows[0]?.n);
  return { open: (options) => new PostgresReplayLedger(pool, options), rows, close: () => database.close() };
}

for (const [dialect, make] of [['sqlite', sqliteStore], ['postgres', postgresStore]] as const) {
  describe(`the replay ledger on ${dialect}`, () => {
    const stores: Store[] = [];
    afterAll(async () => { for (const s of stores) await s.close(); });
    const store = async (): Promise<Store> => {
      const s = await make();
      stores.push(s);
      return s;
    };

    it('lets one claim of an id through, in one turn or later, per kind and client', async () => {
      let now = t0;
      const ledger = (await store()).open({ secret, now: () => now });
      const exp = t0 + 300_000;
      // One turn: the second of two equal claims is the replay.
      expect(await Promise.all([ledger.claim('request', 'VN/COM/A/x', id(1), exp), ledger.claim('request', 'VN/COM/A/x', id(1), exp)])).toEqual([true, false]);
      expect(await ledger.claim('request', 'VN/COM/A/x', id(1), exp)).toBe(false);
      // Another client's id, or the same text as a jti, is another claim.
      expect(await ledger.claim('request', 'VN/COM/B/x', id(1), exp)).toBe(true);
      expect(await ledger.claim('assertion', 'VN/COM/A/x', id(1), exp)).toBe(true);
      now += 60_000;
      expect(await ledger.claim('request', 'VN/COM/A/x', id(1), exp)).toBe(false);
      await ledger.close();
    });

    it('is shared by two processes on one store and kept across a restart', async () => {
      const s = await store();
      const now = (): number => t0;
      const a = s.open({ secret, now });
      const b = s.open({ secret, now });
      expect(await a.claim('request', 'VN/COM/A/x', id(2), t0 + 300_000)).toBe(true);
      expect(await b.claim('request', 'VN/COM/A/x', id(2), t0 + 300_000)).toBe(false);
      expect(await b.claim('assertion', 'VN/COM/A/x', 'jti-1', t0 + 300_000)).toBe(true);
      expect(await a.claim('assertion', 'VN/COM/A/x', 'jti-1', t0 + 300_000)).toBe(false);
      // Both at once: exactly one wins.
      const both = await Promise.all([a.claim('request', 'VN/COM/A/x', id(3), t0 + 300_000), b.claim('request', 'VN/COM/A/x', id(3), t0 + 300_000)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      await a.close();
      await b.close();
      const restarted = s.open({ secret, now });
      expect(await restarted.claim('request', 'VN/COM/A/x', id(2), t0 + 300_000)).toBe(false);
      expect(await restarted.claim('assertion', 'VN/COM/A/x', 'jti-1', t0 + 300_000)).toBe(false);
      await restarted.close();
    });

    it('forgets a claim once it has expired, and prunes expired rows', async () => {
      const s = await store();
      const first = s.open({ secret, now: () => t0 });
      expect(await first.claim('request', 'VN/COM/A/x', id(4), t0 + 1_000)).toBe(true);
      expect(await Promise.all(Array.from({ length: 20 }, (_, i) => first.claim('request', 'VN/COM/A/x', id(100 + i), t0 + 1_000)))).toEqual(Array.from({ length: 20 }, () => true));
      await first.close();
      expect(await s.rows()).toBe(21);
      // A later process: the row has expired (and is pruned as the log moves on).
      const later = s.open({ secret, now: () => t0 + 5_000 });
      expect(await later.claim('request', 'VN/COM/A/x', id(4), t0 + 300_000)).toBe(true);
      expect(await later.claim('request', 'VN/COM/A/x', id(4), t0 + 300_000)).toBe(false);
      // closing waits for the prune under way
      await later.close();
      expect(await s.rows()).toBe(1);
    });
  });
}

describe('the replay ledger on SQLite when its file is held', () => {
  it('refuses with a stable code, and a claim that was not written stays free', async () => {
    const store = await sqliteStore();
    const ledger = store.open({ secret, now: () => t0 });
    const file = (ledger as unknown as { sqlite: { name: string } }).sqlite.name;
    const holder = new SQLite(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(ledger.claim('request', 'VN/COM/A/x', id(9), t0 + 300_000)).rejects.toMatchObject({ code: 'REPLAY_LEDGER_UNAVAILABLE' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await ledger.claim('request', 'VN/COM/A/x', id(9), t0 + 300_000)).toBe(true);
    await ledger.close();
    await store.close();
  });
});
