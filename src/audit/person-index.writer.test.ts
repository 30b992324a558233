import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAccessRecord } from '../../test/access-record.fixture.js';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Database } from '../store/database.js';
import { accessLogRepository } from './access-log.repository.js';
import { openAccessLog } from './access-log.service.js';
import type { AccessRecordInput } from './access-log.types.js';
import { indexerLoop, postgresPersonIndexer, sqlitePersonIndexer } from './person-index.writer.js';

const people = ['001085000001', '001085000002', '001085000003', '079203000004', '079203000005'] as const;

function record(i: number, deferred = false): AccessRecordInput {
  return testAccessRecord(i, { personId: people[i % people.length] as string, ...(deferred ? { deferredUntil: '2027-06-01' } : {}) });
}

async function head(database: Database): Promise<{ treeSize: number; indexedSize: number }> {
  return { treeSize: await accessLogRepository.treeSize(database.db), indexedSize: await accessLogRepository.indexedSize(database.db) };
}

async function indexRows(database: Database): Promise<{ person_id: string; idx: number }[]> {
  return database.db.selectFrom('access_person_entries').select(['person_id', 'idx']).orderBy('idx').execute();
}

async function runs(database: Database): Promise<{ run: number; tier: number; state: string; row_count: number; merging_into: number | null }[]> {
  const rows = await database.db.selectFrom('access_person_runs').select(['run', 'tier', 'state', 'row_count', 'merging_into']).orderBy('run').execute();
  return rows;
}

/** Each record below the mark has exactly one entry, under its own person, and each run's count is its entries'. */
async function expectExactlyOnce(database: Database, indexedSize: number): Promise<void> {
  const rows = await indexRows(database);
  expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: indexedSize }, (_, i) => i));
  for (const row of rows) expect(row.person_id).toBe(people[row.idx % people.length]);
  const counted = await database.db.selectFrom('access_person_entries').select(['run', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('run').execute();
  const byRun = new Map(counted.map((c) => [c.run, c.n]));
  for (const run of await runs(database)) if (run.state === 'sealed' && run.merging_into === null) expect(byRun.get(run.run) ?? 0).toBe(run.row_count);
}

/** A person's tracker read page by page (`before` the last index of each page), as the console pages it. */
async function pagedTracker(database: Database, person: string, pageSize: number): Promise<number[]> {
  const paged: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await accessLogRepository.personRecords(database.db, person, '2026-12-01', pageSize, before);
    paged.push(...page.map((r) => r.idx));
    if (page.length < pageSize) return paged;
    before = page.at(-1)?.idx;
  }
}

/** The tracker's answer for a person against the records themselves, newest first: whole, and in pages of 3 across the runs. */
async function expectTracker(database: Database, size: number): Promise<void> {
  for (const person of people) {
    const expected = Array.from({ length: size }, (_, i) => i).filter((i) => people[i % people.length] === person && i % 10 !== 3).reverse();
    const found = await accessLogRepository.personRecords(database.db, person, '2026-12-01', 10_000);
    expect(found.map((r) => r.idx)).toEqual(expected);
    expect(await pagedTracker(database, person, 3)).toEqual(expected);
  }
}

describe.each(dialects)('the person index behind the access log on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.close();
  });

  it('indexes whole runs behind the appends and merges them, each record once, and the tracker sees every record on both sides of the line', async () => {
    const log = openAccessLog(database, { personIndex: { runSize: 40, sliceSize: 7, fanIn: 2 } });
    await log.appendMany(Array.from({ length: 100 }, (_, i) => record(i, i % 10 === 3)));
    await log.indexed();
    // 100 records, runs of 40: two runs, merged into one of tier 1; the last 20 wait for a whole run.
    const { treeSize, indexedSize } = await head(database);
    expect(treeSize).toBe(100);
    expect(indexedSize).toBe(80);
    expect((await runs(database)).map((r) => [r.tier, r.state, r.row_count])).toEqual([[1, 'sealed', 80]]);
    await expectExactlyOnce(database, indexedSize);

    // 17 more records stay under the run size: they are found by the scan of the unindexed tail.
    await log.appendMany(Array.from({ length: 17 }, (_, i) => record(100 + i, (100 + i) % 10 === 3)));
    await log.indexed();
    expect((await head(database)).indexedSize).toBe(indexedSize);
    // people[3] has deferred records (every other one of theirs) on both sides of the line.
    const person = people[3];
    const expected = Array.from({ length: 117 }, (_, i) => i).filter((i) => i % people.length === 3 && i % 10 !== 3).reverse();
    const all = await accessLogRepository.personRecords(database.db, person, '2026-12-01', 1_000);
    expect(all.map((r) => r.idx)).toEqual(expected);
    // Deferred records appear once their day has come.
    const later = await accessLogRepository.personRecords(database.db, person, '2027-06-01', 1_000);
    expect(later.map((r) => r.idx)).toEqual(Array.from({ length: 117 }, (_, i) => i).filter((i) => i % people.length === 3).reverse());
    expect(later.length).toBeGreaterThan(all.length);
    // Pages cross the line between the tail and the index without a gap or a repeat.
    expect(await pagedTracker(database, person, 4)).toEqual(expected);
    await log.close();
  });

  it('shares the work between two indexers on one store, and a merge cut short goes on where it stopped', async () => {
    const log = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
    await log.appendMany(Array.from({ length: 230 }, (_, i) => record(i, i % 10 === 3)));
    await log.close();
    const make = (): ReturnType<typeof sqlitePersonIndexer> =>
      database.sqlite !== undefined ? sqlitePersonIndexer(database.sqlite, { runSize: 10, sliceSize: 6, fanIn: 3 }) : postgresPersonIndexer(database.db, { runSize: 10, fanIn: 3 });
    const first = make();
    // Steps of the first until a merge is under way (SQLite: part of its slices done; PostgreSQL copies a merge in one step).
    for (let i = 0; i < 12; i++) await first.step();
    expect((await head(database)).indexedSize).toBeLessThan(230);
    if (database.sqlite !== undefined) {
      while (!(await runs(database)).some((r) => r.state === 'merging')) await first.step();
      await first.step();
      expect((await runs(database)).some((r) => r.state === 'merging')).toBe(true);
    }
    // Mid-way: still exactly once, and the tracker is right.
    await expectExactlyOnce(database, (await head(database)).indexedSize);
    await expectTracker(database, 230);
    // The first "dies"; a second and a third take turns to the end.
    const second = make();
    const third = make();
    for (let busy = true; busy;) busy = [await second.step(), await third.step()].some(Boolean);
    const { indexedSize } = await head(database);
    expect(indexedSize).toBe(230);
    await expectExactlyOnce(database, 230);
    await expectTracker(database, 230);
    // 23 runs of 10 with 3 merged at a time: what is left is under 3 a tier.
    const tiers = new Map<number, number>();
    for (const r of await runs(database)) tiers.set(r.tier, (tiers.get(r.tier) ?? 0) + 1);
    for (const count of tiers.values()) expect(count).toBeLessThan(3);
    expect((await runs(database)).every((r) => r.state === 'sealed' && r.merging_into === null)).toBe(true);
  });

  it('takes up a backlog as soon as a log is opened, before any append', async () => {
    const first = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
    await first.appendMany(Array.from({ length: 30 }, (_, i) => record(i)));
    await first.close();
    expect((await head(database)).indexedSize).toBe(0);
    const next = openAccessLog(database, { personIndex: { runSize: 10, sliceSize: 4 } });
    await next.indexed();
    expect((await head(database)).indexedSize).toBe(30);
    await next.close();
  });

  it('reports a failed slice and tries again at the next poke', async () => {
    let failures = 1;
    const real = database.sqlite !== undefined ? sqlitePersonIndexer(database.sqlite, { runSize: 5, sliceSize: 2 }) : postgresPersonIndexer(database.db, { runSize: 5 });
    const errors: unknown[] = [];
    const loop = indexerLoop({ step: () => (failures-- > 0 ? Promise.reject(new Error('disk full')) : real.step()) }, () => true, (e) => errors.push(e));
    const log = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
    await log.appendMany(Array.from({ length: 12 }, (_, i) => record(i)));
    loop.poke();
    await loop.idle();
    expect(errors).toHaveLength(1);
    expect((await head(database)).indexedSize).toBe(0);
    loop.poke();
    await loop.idle();
    // Two whole runs of 5; the last 2 records wait for a third.
    expect((await head(database)).indexedSize).toBe(10);
    await loop.stop();
    await log.close();
  });
});
