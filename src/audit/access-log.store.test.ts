import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAccessRecord } from '../../test/access-record.fixture.js';
import { createTestDatabase } from '../../test/test-database.js';
import { fixedClock } from '../shared/clock.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrator.js';
import { openAccessLog } from './access-log.service.js';
import { openAccessLogStore } from './access-log.store.js';
import type { AccessRecordInput } from './access-log.types.js';
import { AuditService } from './audit.service.js';
import { generateSignerKey, parseSignerKey } from './checkpoint-note.js';

const record = (i: number): AccessRecordInput => testAccessRecord(i);

const signer = parseSignerKey(generateSignerKey('test.sachsong/access-log'));
const audit = (database: Database): AuditService => new AuditService({ db: database.db, signer, clock: fixedClock('2026-11-27T10:00:00Z') });

describe('the access log store', () => {
  let dir: string;
  let registry: Database;
  let logFile: string;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-log-store-'));
    registry = openDatabase({ sqliteFile: path.join(dir, 'sachsong.db') });
    await migrateToLatest(registry.db, registry.dialect);
    logFile = path.join(dir, 'access-log.db');
  });
  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a file of its own beside a SQLite registry, whose commits leave the registry untouched', async () => {
    const store = await openAccessLogStore(registry, logFile);
    expect(store.separate).toBe(true);
    expect(store.database.sqlite?.pragma('page_size', { simple: true })).toBe(4096);
    const registryVersion = registry.sqlite?.pragma('data_version', { simple: true });
    const log = openAccessLog(store.database, { writerThread: true, personIndex: { runSize: 16, sliceSize: 4 } });
    const receipts = await log.appendMany(Array.from({ length: 50 }, (_, i) => record(i)));
    expect(receipts.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await log.indexed();
    await log.close();
    // The writer thread's commits are in the log's file; the registry's connection saw no commit by another.
    expect(registry.sqlite?.pragma('data_version', { simple: true })).toBe(registryVersion);
    expect(await registry.db.selectFrom('access_records').select('idx').execute()).toEqual([]);
    const report = await audit(store.database).verify();
    expect(report.problems).toEqual([]);
    expect(report.treeSize).toBe(50);
    expect((await audit(store.database).tracker('001085000003', { visibleOn: '2026-12-01' })).entries).toHaveLength(7);
    await store.close();
  });

  it('moves a log kept in the registry\'s own file, tree, checkpoints and all, and redoes a move cut short', async () => {
    const old = openAccessLog(registry);
    await old.appendMany(Array.from({ length: 30 }, (_, i) => record(i)));
    await old.close();
    const signed = await audit(registry).checkpoint();
    const root = (await audit(registry).rootAt(30)).toString('hex');
    // A move killed before its file was placed leaves only a partial file: it is thrown away and done again.
    writeFileSync(`${logFile}.4242.0badf00d.partial`, 'half a file');

    const store = await openAccessLogStore(registry, logFile);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
    const moved = audit(store.database);
    expect(await moved.treeSize()).toBe(30);
    expect((await moved.rootAt(30)).toString('hex')).toBe(root);
    expect((await moved.latestCheckpoint())?.note).toBe(signed?.note);
    const report = await moved.verify();
    expect(report.problems).toEqual([]);
    expect((await moved.tracker('001085000002', { visibleOn: '2026-12-01' })).entries.map((e) => e.index)).toEqual([23, 16, 9, 2]);

    // Appends go on from the moved tree; opening again does not move anything twice.
    const log = openAccessLog(store.database);
    const [next] = await log.appendMany([record(30)]);
    await log.close();
    expect(next?.index).toBe(30);
    await store.close();
    const reopened = await openAccessLogStore(registry, logFile);
    expect(await audit(reopened.database).treeSize()).toBe(31);
    await reopened.close();
  });

  it('refuses to make a moved log again from the old copy, and refuses records appended to the old copy after the move', async () => {
    const old = openAccessLog(registry);
    await old.appendMany(Array.from({ length: 10 }, (_, i) => record(i)));
    await old.close();
    const store = await openAccessLogStore(registry, logFile);
    await store.close();

    // The log file lost (a restore without it): not rebuilt from the registry's stale copy.
    rmSync(logFile);
    await expect(openAccessLogStore(registry, logFile)).rejects.toMatchObject({ code: 'ACCESS_LOG_MISSING' });
    expect(existsSync(logFile)).toBe(false);
  });

  it('refuses a registry whose own log grew after the move (an older server still writing there)', async () => {
    const store = await openAccessLogStore(registry, logFile);
    await store.close();
    const stale = openAccessLog(registry);
    await stale.appendMany([record(0), record(1)]);
    await stale.close();
    await expect(openAccessLogStore(registry, logFile)).rejects.toMatchObject({ code: 'ACCESS_LOG_SPLIT' });
  });

  it('recognises a move whose mark was not committed (stopped between placing the file and the mark)', async () => {
    const old = openAccessLog(registry);
    await old.appendMany(Array.from({ length: 5 }, (_, i) => record(i)));
    await old.close();
    const store = await openAccessLogStore(registry, logFile);
    await store.close();
    registry.sqlite?.exec('DELETE FROM access_log_moved');
    const again = await openAccessLogStore(registry, logFile);
    expect(await audit(again.database).treeSize()).toBe(5);
    expect(registry.sqlite?.prepare('SELECT moved_size FROM access_log_moved').pluck().get()).toBe(5);
    await again.close();
  });

  it('is the registry itself for a store in memory and for PostgreSQL', async () => {
    const memory = openDatabase({ sqliteFile: ':memory:' });
    const inMemory = await openAccessLogStore(memory, logFile);
    expect(inMemory.database).toBe(memory);
    expect(inMemory.separate).toBe(false);
    await memory.close();
    const postgres = await createTestDatabase('postgres');
    try {
      const shared = await openAccessLogStore(postgres, logFile);
      expect(shared.database).toBe(postgres);
      await shared.close();
      expect(existsSync(logFile)).toBe(false);
    } finally {
      await postgres.close();
    }
  });
});
