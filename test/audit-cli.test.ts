import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateAccessLogStore, migrateToLatest } from '../src/store/migrator.js';
import { testAccessRecord } from './access-record.fixture.js';

async function sachsong(args: readonly string[], dataDir: string): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, out, err };
}

describe('sachsong audit', () => {
  let dir: string;
  let store: Database;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-audit-cli-'));
    store = openDatabase({ sqliteFile: path.join(dir, 'sachsong.db') });
    await migrateToLatest(store.db, store.dialect);
    const log = openAccessLog(store);
    await log.appendMany(Array.from({ length: 25 }, (_, i) => ({
      personId: `0010850000${String(i % 5).padStart(2, '0')}`, at: `2026-11-0${(i % 9) + 1}T08:00:00Z`, clientId: 'VN/GOV/BCA/residence',
      officerId: `officer-${i}`, service: 'person.read', purpose: 'Đăng ký cư trú', legalBasis: 'Luật Cư trú 2020', fields: ['currentAddress'],
      visibility: 'public' as const, requestId: `cli-${i}`,
    })));
    await log.close();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // beforeAll wrote the records into the registry's own file, as stores did before the log had a file of its own.
  it('moves a log kept in the registry\'s file into access-log.db, signs a checkpoint, verifies, and fails once a record is changed', async () => {
    expect(existsSync(path.join(dir, 'access-log.db'))).toBe(false);
    const signed = await sachsong(['audit', 'checkpoint', '--out', path.join(dir, 'checkpoint.txt')], dir);
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(/^sachsong\.local\/access-log\n25\n[A-Za-z0-9+/]{43}=\n\n— sachsong\.local\/access-log /);
    expect(signed.err).toMatch(/verifier key: sachsong\.local\/access-log\+[0-9a-f]{8}\+/);

    const ok = await sachsong(['audit', 'verify', '--checkpoint', path.join(dir, 'checkpoint.txt')], dir);
    expect(ok.out).toMatch(/^ok: 25 records, root [0-9a-f]{64}, 2 checkpoint\(s\) checked/m);
    expect(ok.code).toBe(0);
    expect(existsSync(path.join(dir, 'access-log.db'))).toBe(true);

    // The log is read from its own file now: a change there is caught.
    const logFile = openDatabase({ sqliteFile: path.join(dir, 'access-log.db') });
    const row = await logFile.db.selectFrom('access_records').select('leaf').where('idx', '=', 7).executeTakeFirstOrThrow();
    await logFile.db.updateTable('access_records').set({ leaf: row.leaf.replace('officer-7', 'officer-8') }).where('idx', '=', 7).execute();
    const bad = await sachsong(['audit', 'verify'], dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/RECORD_ALTERED at 7/);
    expect(bad.out).toMatch(/FAILED/);
    await logFile.db.updateTable('access_records').set({ leaf: row.leaf }).where('idx', '=', 7).execute();
    await logFile.close();
    const again = await sachsong(['audit', 'verify'], dir);
    expect(again.out).toMatch(/^ok: 25 records/m);
  }, 90_000);

  it('refuses a forged or unreadable checkpoint file with a clear error', async () => {
    writeFileSync(path.join(dir, 'forged.txt'), 'sachsong.local/access-log\n25\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— sachsong.local/access-log AAAA\n');
    const forged = await sachsong(['audit', 'verify', '--checkpoint', path.join(dir, 'forged.txt')], dir);
    expect(forged.code).toBe(2);
    expect(forged.err).toMatch(/error CHECKPOINT_INVALID/);
    const missing = await sachsong(['audit', 'verify', '--checkpoint', path.join(dir, 'nope.txt')], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/error CHECKPOINT_FILE_UNREADABLE/);
  }, 90_000);
});

describe('sachsong audit verify and the person index', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sachsong-audit-index-'));
    // The log in its own file, indexed in runs of 50: 300 records, all below the mark.
    const logFile = openDatabase({ sqliteFile: path.join(dir, 'access-log.db'), pageSize: 4_096 });
    await migrateAccessLogStore(logFile.db, logFile.dialect);
    const log = openAccessLog(logFile, { personIndex: { runSize: 50 } });
    await log.appendMany(Array.from({ length: 300 }, (_, i) => testAccessRecord(i)));
    await log.indexed();
    await log.close();
    await logFile.close();
    // The registry's store records that the log lives in its own file.
    const store = openDatabase({ sqliteFile: path.join(dir, 'sachsong.db') });
    await migrateToLatest(store.db, store.dialect);
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 when one citizen\'s index entries are deleted, with record indexes and no ID number', async () => {
    const ok = await sachsong(['audit', 'verify'], dir);
    expect(ok.err).toBe('verify: 300/300\n');
    expect(ok.out).toMatch(/^person index: ok, 300 records indexed, 300 entries read$/m);
    expect(ok.code).toBe(0);

    const logFile = openDatabase({ sqliteFile: path.join(dir, 'access-log.db') });
    const saved = await logFile.db.selectFrom('access_person_entries').selectAll().where('person_id', '=', '001085000003').execute();
    await logFile.db.deleteFrom('access_person_entries').where('person_id', '=', '001085000003').execute();
    const bad = await sachsong(['audit', 'verify'], dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^INDEX_ENTRY_MISSING at 3: record 3 has no entry in the person index/m);
    expect(bad.out).toMatch(new RegExp(`^person index: FAILED below record 300: ${saved.length} missing, 0 duplicate`, 'm'));
    expect(bad.out).toMatch(/^FAILED: /m);
    expect(bad.out + bad.err).not.toContain('001085000003');
    await logFile.db.insertInto('access_person_entries').values(saved).execute();
    await logFile.close();
    expect((await sachsong(['audit', 'verify'], dir)).code).toBe(0);
  }, 90_000);
});
