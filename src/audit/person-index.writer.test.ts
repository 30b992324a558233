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
  return database.db.selectFrom('access_person_index').select(['person_id', 'idx']).orderBy('idx').execute();
}

describe.each(dialects)('the person index behind the access log on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.close();
  });

  it('indexes whole runs behind the appends, each record once, and the tracker sees every record on both sides of the line', async () => {
    const log = openAccessLog(database, { personIndex: { runSize: 40, sliceSize: 7 } });
    await log.appendMany(Array.from({ length: 100 }, (_, i) => record(i, i % 10 === 3)));
    await log.indexed();
    // 100 records, runs of at least 40: one run took all 100 (a backlog is caught up in larger runs) or 80; never a partial run.
    const { treeSize, indexedSize } = await head(database);
    expect(treeSize).toBe(100);
    expect(indexedSize).toBeGreaterThanOrEqual(80);
    const rows = await indexRows(database);
    expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: indexedSize }, (_, i) => i));
    for (const row of rows) expect(row.person_id).toBe(people[row.idx % people.length]);

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
    const paged: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await accessLogRepository.personRecords(database.db, person, '2026-12-01', 4, before);
      paged.push(...page.map((r) => r.idx));
      if (page.length < 4) break;
      before = page.at(-1)?.idx;
    }
    expect(paged).toEqual(expected);
    await log.close();
  });

  it('redoes a run cut short, without repeating the rows it had written', async () => {
    const log = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
    await log.appendMany(Array.from({ length: 60 }, (_, i) => record(i)));
    await log.close();
    if (database.sqlite !== undefined) {
      // Two slices of a run, then the process "dies": the head has not moved.
      const cut = sqlitePersonIndexer(database.sqlite, { runSize: 50, sliceSize: 10 });
      while ((await indexRows(database)).length < 20) await cut.step();
      expect((await head(database)).indexedSize).toBe(0);
      expect(await accessLogRepository.personRecords(database.db, people[0], '2026-12-01', 100)).toHaveLength(12);
    } else {
      // PostgreSQL writes a run in one transaction; a few rows left by another indexer's run stand in for the cut.
      await database.db.insertInto('access_person_index').values([{ person_id: people[0], idx: 0 }, { person_id: people[1], idx: 1 }]).execute();
    }
    const again = database.sqlite !== undefined ? sqlitePersonIndexer(database.sqlite, { runSize: 50, sliceSize: 10 }) : postgresPersonIndexer(database.db, { runSize: 50 });
    while (await again.step()) { /* until nothing is due */ }
    const { indexedSize } = await head(database);
    expect(indexedSize).toBe(60);
    expect((await indexRows(database)).map((r) => r.idx)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(await accessLogRepository.personRecords(database.db, people[0], '2026-12-01', 100)).toHaveLength(12);
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
    expect((await head(database)).indexedSize).toBe(12);
    await loop.stop();
    await log.close();
  });
});
