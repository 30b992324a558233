import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreAttemptLimiter } from '../src/citizen/attempt.limiter.js';
import type { Dialect } from '../src/store/dialect.js';
import { createTestDatabase } from './test-database.js';

/**
 * Per-address attempt limits in the store, on both stores: two limiters over one store (two
 * nodes) count the same failures; the window slides; the address is not kept as it is.
 */
describe.each(['sqlite', 'postgres'] as const)('per-address limits in the store (%s)', (dialect: Dialect) => {
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  let now = Date.parse('2026-03-01T08:00:00.000Z');
  const node = (scope = 'portal-sign-in'): StoreAttemptLimiter =>
    new StoreAttemptLimiter({ db: store.db, scope, limit: 3, windowMs: 60_000, secret: () => Promise.resolve('a store secret for the test'), now: () => now });

  beforeAll(async () => {
    store = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await store.close();
  });

  it('failures at one node count at the other; other addresses and doors are apart; the window slides', async () => {
    const a = node();
    const b = node();
    const address = '203.0.113.5';
    await a.fail(address);
    now += 10_000;
    await b.fail(address);
    expect(await a.blockedUntil(address)).toBeUndefined();
    now += 10_000;
    await a.fail(address);
    // Three failures over two nodes: both refuse until the first leaves the window.
    const until = Date.parse('2026-03-01T08:00:00.000Z') + 60_000;
    expect(await a.blockedUntil(address)).toBe(until);
    expect(await b.blockedUntil(address)).toBe(until);
    expect(await b.blockedUntil('198.51.100.7')).toBeUndefined();
    expect(await node('codes').blockedUntil(address)).toBeUndefined();
    now = until + 1;
    expect(await b.blockedUntil(address)).toBeUndefined();
    const rows = await store.db.selectFrom('citizen_address_failures').select(['address_hash']).execute();
    expect(rows.length).toBe(3);
    expect(rows.every((r) => !r.address_hash.includes('203.0.113'))).toBe(true);
  });
});
