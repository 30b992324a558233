import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogRepository } from '../src/audit/access-log.repository.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { AuditService, type VerifyReport } from '../src/audit/audit.service.js';
import type { AccessPersonEntriesTable, AccessPersonRunsTable } from '../src/audit/audit.tables.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { blockSize } from '../src/audit/person-index.check.js';
import { postgresPersonIndexer, sqlitePersonIndexer, type PersonIndexer } from '../src/audit/person-index.writer.js';
import { fixedClock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { testAccessRecord } from './access-record.fixture.js';
import { createTestDatabase, dialects } from './test-database.js';

// Records cycle through seven persons (testAccessRecord): 0010850000003 is one citizen's.
const citizen = '001085000003';
const size = 9_100;
const runSize = 500;
const mark = Math.floor(size / runSize) * runSize;

function auditOf(database: Database): AuditService {
  return new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: fixedClock('2026-12-01T10:00:00Z') });
}

const codes = (report: VerifyReport): string[] => [...new Set(report.problems.map((p) => p.code))].sort();

for (const dialect of dialects) {
  /** Tampering is done one change at a time, each undone afterwards. */
  describe(`audit verify checks the person index on ${dialect}`, () => {
    let database: Database;
    let audit: AuditService;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const log = openAccessLog(database, { personIndex: { runSize, sliceSize: 300, fanIn: 4 } });
      await log.appendMany(Array.from({ length: size }, (_, i) => testAccessRecord(i)));
      await log.indexed();
      await log.close();
      audit = auditOf(database);
    }, 60_000);
    afterAll(async () => {
      await database.close();
    });

    const entriesOf = (person: string): Promise<AccessPersonEntriesTable[]> =>
      database.db.selectFrom('access_person_entries').selectAll().where('person_id', '=', person).execute();

    it('passes an intact index, every record below the mark read once', async () => {
      expect(mark).toBeGreaterThan(2 * blockSize);
      expect(await accessLogRepository.indexedSize(database.db)).toBe(mark);
      const report = await audit.verify();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.personIndex).toMatchObject({ ok: true, indexedSize: mark, entriesRead: mark, missing: 0, wrongPerson: 0 });
    });

    it('fails when one citizen\'s entries are deleted, naming each hidden record and never the citizen', async () => {
      const saved = await entriesOf(citizen);
      expect(saved.length).toBeGreaterThan(1_000);
      await database.db.deleteFrom('access_person_entries').where('person_id', '=', citizen).execute();
      // What the attack does: the citizen's tracker no longer shows the indexed records.
      const tracker = await accessLogRepository.personRecords(database.db, citizen, '2026-12-01', 10_000);
      expect(tracker.every((r) => r.idx >= mark)).toBe(true);

      const report = await audit.verify();
      expect(report.ok).toBe(false);
      expect(codes(report)).toEqual(['INDEX_ENTRY_MISSING', 'INDEX_RUN_COUNT']);
      expect(report.personIndex).toMatchObject({ ok: false, missing: saved.length, duplicate: 0, wrongPerson: 0, orphan: 0, beyondMark: 0 });
      const hidden = report.problems.filter((p) => p.code === 'INDEX_ENTRY_MISSING').map((p) => p.index);
      expect(hidden.slice(0, 5)).toEqual([3, 10, 17, 24, 31]);
      expect(JSON.stringify(report)).not.toContain(citizen);

      await database.db.insertInto('access_person_entries').values(saved).execute();
      expect((await audit.verify()).ok).toBe(true);
    });

    it('fails when an entry is moved to another person: one record shown to the wrong citizen, hidden from its own', async () => {
      const [entry] = await database.db.selectFrom('access_person_entries').selectAll().where('idx', '=', 4_321).execute();
      if (entry === undefined) throw new Error('record 4321 is not indexed');
      const other = entry.person_id === citizen ? '001085000004' : citizen;
      await database.db.updateTable('access_person_entries').set({ person_id: other }).where('run', '=', entry.run).where('idx', '=', 4_321).execute();
      const report = await audit.verify();
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.objectContaining({ code: 'INDEX_ENTRY_WRONG_PERSON', index: 4_321 }),
        expect.objectContaining({ code: 'INDEX_ENTRY_MISSING', index: 4_321 }),
      ]);
      expect(report.personIndex).toMatchObject({ wrongPerson: 1, missing: 1 });
      expect(JSON.stringify(report)).not.toContain(other);
      await database.db.updateTable('access_person_entries').set({ person_id: entry.person_id }).where('run', '=', entry.run).where('idx', '=', 4_321).execute();
      expect((await audit.verify()).ok).toBe(true);
    });

    it('fails on a second entry for a record, an entry past the mark and entries under a run the tracker does not read', async () => {
      const [first] = await database.db.selectFrom('access_person_entries').selectAll().where('idx', '=', 17).execute();
      const run = (await database.db.selectFrom('access_person_runs').selectAll().orderBy('run').execute()).at(-1) as AccessPersonRunsTable;
      if (first === undefined) throw new Error('record 17 is not indexed');
      const extra = [
        { run: first.run + 1_000, person_id: first.person_id, idx: 17 },
        { run: first.run, person_id: '001085000001', idx: size - 1 },
      ];
      await database.db.insertInto('access_person_entries').values(extra).execute();
      await database.db.insertInto('access_person_runs').values({ ...run, run: first.run + 1_000, row_count: 1 }).execute();
      let report = await audit.verify();
      expect(codes(report)).toEqual(['INDEX_ENTRY_BEYOND_MARK', 'INDEX_ENTRY_DUPLICATE', 'INDEX_RUN_COUNT']);
      expect(report.personIndex).toMatchObject({ duplicate: 1, beyondMark: 1, missing: 0 });
      expect(report.problems.find((p) => p.code === 'INDEX_ENTRY_DUPLICATE')?.index).toBe(17);
      expect(report.problems.find((p) => p.code === 'INDEX_ENTRY_BEYOND_MARK')?.index).toBe(size - 1);

      // The tracker reads only the listed runs: dropping a run's row hides all its entries.
      await database.db.deleteFrom('access_person_entries').where('run', '=', first.run + 1_000).execute();
      await database.db.deleteFrom('access_person_runs').where('run', '=', first.run + 1_000).execute();
      await database.db.deleteFrom('access_person_entries').where('idx', '=', size - 1).execute();
      const runRow = await database.db.selectFrom('access_person_runs').selectAll().where('run', '=', first.run).executeTakeFirstOrThrow();
      await database.db.deleteFrom('access_person_runs').where('run', '=', first.run).execute();
      report = await audit.verify();
      expect(codes(report)).toEqual(['INDEX_ENTRY_MISSING', 'INDEX_RUN_MISSING']);
      expect(report.personIndex.missing).toBe(runRow.row_count);
      expect(report.personIndex.underMissingRun).toBe(runRow.row_count);
      await database.db.insertInto('access_person_runs').values(runRow).execute();
      expect((await audit.verify()).ok).toBe(true);
    });

    it('fails on an entry that points to a removed record, and on a mark moved past the log', async () => {
      const row = await database.db.selectFrom('access_records').selectAll().where('idx', '=', 100).executeTakeFirstOrThrow();
      await database.db.deleteFrom('access_records').where('idx', '=', 100).execute();
      let report = await audit.verify();
      expect(codes(report)).toContain('INDEX_ENTRY_ORPHAN');
      expect(report.problems.find((p) => p.code === 'INDEX_ENTRY_ORPHAN')?.index).toBe(100);
      expect(report.personIndex).toMatchObject({ orphan: 1, missing: 0 });
      await database.db.insertInto('access_records').values(row).execute();

      await database.db.updateTable('access_log_head').set({ indexed_size: size + 5 }).execute();
      report = await audit.verify();
      expect(codes(report)).toContain('INDEX_MARK_INVALID');
      // A mark moved forward within the log hides the records it skips from the tracker's scan.
      await database.db.updateTable('access_log_head').set({ indexed_size: mark + 50 }).execute();
      report = await audit.verify();
      expect(codes(report)).toEqual(['INDEX_ENTRY_MISSING']);
      expect(report.personIndex.missing).toBe(50);
      await database.db.updateTable('access_log_head').set({ indexed_size: mark }).execute();
      expect((await audit.verify()).ok).toBe(true);
    });
  });

  describe(`audit verify on ${dialect} in the middle of a merge`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await database.close();
    });

    it('passes an intact index with a merge under way, and fails once an entry of the merging run is lost', async () => {
      const log = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
      await log.appendMany(Array.from({ length: 230 }, (_, i) => testAccessRecord(i)));
      await log.close();
      const indexer = database.sqlite !== undefined
        ? sqlitePersonIndexer(database.sqlite, { runSize: 10, sliceSize: 6, fanIn: 3 })
        : postgresPersonIndexer(database.db, { runSize: 10, fanIn: 3 });
      const merging = async (): Promise<AccessPersonRunsTable | undefined> =>
        database.db.selectFrom('access_person_runs').selectAll().where('state', '=', 'merging').executeTakeFirst();
      // SQLite: part of a merge's slices moved; PostgreSQL: a merge claimed, not yet copied.
      for (let i = 0; i < 8; i++) await indexer.step();
      while ((await merging()) === undefined || (database.sqlite !== undefined && (await merging())?.row_count === 0)) await indexer.step();
      const target = await merging();
      expect(target).toBeDefined();
      const audit = auditOf(database);
      const report = await audit.verify();
      expect(report.problems).toEqual([]);
      expect(report.personIndex.indexedSize).toBeGreaterThan(0);
      expect(report.ok).toBe(true);

      // An entry of a merge's source (or of the merging run) deleted: caught mid-merge too.
      const [source] = await database.db.selectFrom('access_person_runs').select('run').where('merging_into', '=', target?.run ?? -1).execute();
      const [lost] = await database.db.selectFrom('access_person_entries').selectAll().where('run', '=', source?.run ?? -1).limit(1).execute();
      if (lost === undefined) throw new Error('the merge has no source entries left');
      await database.db.deleteFrom('access_person_entries').where('run', '=', lost.run).where('idx', '=', lost.idx).execute();
      const broken = await audit.verify();
      expect(broken.problems).toEqual([expect.objectContaining({ code: 'INDEX_ENTRY_MISSING', index: lost.idx })]);
      await database.db.insertInto('access_person_entries').values(lost).execute();

      // The indexer finishes; still intact.
      while (await indexer.step()) { /* until nothing is due */ }
      expect(await merging()).toBeUndefined();
      expect((await audit.verify()).ok).toBe(true);
    });
  });

  describe(`audit verify on ${dialect} while an indexer works beside it`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await database.close();
    });

    it('reports nothing wrong while runs are written and merged between its reads (one snapshot for the entries)', async () => {
      const log = openAccessLog(database, { personIndex: { runSize: 1_000_000 } });
      await log.appendMany(Array.from({ length: 3_000 }, (_, i) => testAccessRecord(i)));
      await log.close();
      // As `sachsong audit verify` beside a running server: the indexer on a connection of its own.
      const other = database.dialect === 'sqlite' ? openDatabase({ sqliteFile: database.location }) : undefined;
      const indexer: PersonIndexer = other?.sqlite !== undefined
        ? sqlitePersonIndexer(other.sqlite, { runSize: 40, sliceSize: 16, fanIn: 2 })
        : postgresPersonIndexer(database.db, { runSize: 40, fanIn: 2 });
      const state = { verifying: true };
      let steps = 0;
      const stepping = (async (): Promise<void> => {
        // A step between any two of verify's awaits (a SQLite step is synchronous: only a microtask apart).
        while (state.verifying && (await indexer.step())) steps++;
      })();
      const audit = auditOf(database);
      const reports: VerifyReport[] = [];
      const during: number[] = [];
      try {
        // Until a few verifies have overlapped the indexer's work (how soon depends on the scheduler).
        for (let i = 0; i < 50 && during.filter((d) => d > 0).length < 3; i++) {
          const before = steps;
          reports.push(await audit.verify());
          during.push(steps - before);
        }
      } finally {
        state.verifying = false;
        await stepping;
        await other?.close();
      }
      expect(during.filter((d) => d > 0).length).toBeGreaterThan(0);
      for (const report of reports) expect(report.problems).toEqual([]);
      expect(reports.some((r) => r.personIndex.indexedSize > 0)).toBe(true);
    });
  });
}
