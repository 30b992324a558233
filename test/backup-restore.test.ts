/**
 * `sachsong backup` and `restore`: a copy of the registry and its access log taken while the
 * stores are in use, restored into an empty store with the same persons and a log that verifies.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldJournalCopy } from '../src/audit/access-journal.folder.js';
import { encodeFrame, journalDirOf, journalLine, segmentName } from '../src/audit/access-journal.format.js';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { prepareAccessRecord } from '../src/audit/access-record.js';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { systemClock } from '../src/shared/clock.js';
import { backupStores, readBackup, restoreStores } from '../src/store/backup.engine.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateAccessLogStore, registryMigrationNames } from '../src/store/migrator.js';
import { testAccessRecord } from './access-record.fixture.js';
import { postgresServerUrl, withAdminClient } from './postgres-admin.js';
import { createTestDatabase, dialects } from './test-database.js';
import { runCli, type CliRun } from './cli-run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-backup-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function personIds(store: Database): Promise<string[]> {
  return (await store.db.selectFrom('persons').select('id_number').orderBy('id_number').execute()).map((r) => r.id_number);
}

async function verifyLog(log: Database, registry: Database): Promise<{ ok: boolean; treeSize: number }> {
  const audit = new AuditService({ db: log.db, registryDb: registry.db, signer: parseSignerKey(generateSignerKey('test.sachsong/access-log')), clock: systemClock });
  const report = await audit.verify([]);
  return { ok: report.ok, treeSize: report.treeSize };
}

/** An empty PostgreSQL database, dropped with the returned function. */
async function emptyPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sachsong_restore_${process.pid}_${Date.now()}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  return { url: `${postgresServerUrl}/${name}`, drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}

describe.each(dialects)('backup and restore on %s', (dialect) => {
  it('backs up while the stores are written, and restores the same persons and a log that verifies', async () => {
    const registry = await createTestDatabase(dialect);
    // SQLite keeps the access log in a file of its own (as the server does); PostgreSQL in the same database.
    const logFile = path.join(dir, `${dialect}-access-log.db`);
    const logStore = dialect === 'sqlite' ? openDatabase({ sqliteFile: logFile, pageSize: 4096 }) : registry;
    if (dialect === 'sqlite') await migrateAccessLogStore(logStore.db, 'sqlite');
    const target = path.join(dir, `${dialect}-restored`);
    const pgTarget = dialect === 'postgres' ? await emptyPostgres() : undefined;
    let restored: Database | undefined;
    let restoredLog: Database | undefined;
    try {
      await loadPopulation(registry, generatePopulation({ people: 150, seed: 5, today: '2026-12-04' }));
      const log = openAccessLog(logStore);
      await log.appendMany(Array.from({ length: 40 }, (_, i) => testAccessRecord(i)));

      // Online: more records are being appended while the backup runs, and a writer holds an
      // uncommitted change; the backup neither waits for it nor holds half of it.
      const appending = log.appendMany(Array.from({ length: 30 }, (_, i) => testAccessRecord(40 + i)));
      let uncommitted: { end: () => Promise<void> };
      if (dialect === 'sqlite') {
        const writer = new SQLite(registry.location);
        writer.prepare('BEGIN IMMEDIATE').run();
        writer.prepare("INSERT INTO sensitive_persons (person_id, flagged_by, flagged_at, note) VALUES ('000000000001', 'a', 'now', 'uncommitted')").run();
        uncommitted = { end: () => { writer.prepare('ROLLBACK').run(); writer.close(); return Promise.resolve(); } };
      } else {
        const client = await registry.pool?.connect();
        if (client === undefined) throw new Error('no pool');
        await client.query('BEGIN');
        await client.query("INSERT INTO sensitive_persons (person_id, flagged_by, flagged_at, note) VALUES ('000000000001', 'a', 'now', 'uncommitted')");
        uncommitted = { end: async () => { await client.query('ROLLBACK'); client.release(); } };
      }
      const backupDir = path.join(dir, `${dialect}-backup`);
      const manifest = await backupStores({ registry, accessLog: logStore, keyFiles: [] }, backupDir, new Date('2026-12-04T10:00:00Z'));
      await uncommitted.end();
      await appending;
      await log.close();

      expect(manifest).toMatchObject({ format: 'sachsong-backup', dialect, persons: 150 });
      expect(manifest.accessRecords).toBeGreaterThanOrEqual(40);
      expect(manifest.accessRecords).toBeLessThanOrEqual(70);
      expect(manifest.migrations).toEqual(registryMigrationNames);
      expect(manifest.files.map((f) => f.name)).toEqual(dialect === 'sqlite' ? ['sachsong.db', 'access-log.db'] : ['sachsong.pgdump']);
      expect(readdirSync(backupDir).sort()).toEqual([...manifest.files.map((f) => f.name), 'manifest.json'].sort());
      expect(existsSync(`${backupDir}.partial`)).toBe(false);
      expect(statSync(backupDir).mode & 0o077).toBe(0);

      const checked = await readBackup(backupDir);
      const postgres = pgTarget === undefined ? undefined : openDatabase({ databaseUrl: pgTarget.url, poolSize: 1 });
      try {
        mkdirSync(target, { recursive: true });
        await restoreStores(backupDir, checked, { dataDir: target, postgres }, registryMigrationNames);
      } finally {
        await postgres?.close();
      }
      restored = dialect === 'sqlite' ? openDatabase({ sqliteFile: path.join(target, 'sachsong.db') }) : openDatabase({ databaseUrl: pgTarget?.url ?? '' });
      restoredLog = dialect === 'sqlite' ? openDatabase({ sqliteFile: path.join(target, 'access-log.db') }) : restored;
      expect(await personIds(restored)).toEqual(await personIds(registry));
      expect(await restored.db.selectFrom('sensitive_persons').selectAll().execute()).toEqual([]);
      // Consistent: the Merkle tree, its nodes and head are those of exactly the records backed up.
      expect(await verifyLog(restoredLog, restored)).toEqual({ ok: true, treeSize: manifest.accessRecords });
    } finally {
      if (restoredLog !== restored) await restoredLog?.close();
      await restored?.close();
      if (logStore !== registry) await logStore.close();
      await registry.close();
      await pgTarget?.drop();
    }
  }, 120_000);
});

describe('a backup of a log with its access journal', () => {
  it('takes the records a running server acknowledged but had not folded yet, and leaves the live journal as it was', async () => {
    const registry = await createTestDatabase('sqlite');
    const logFile = path.join(dir, 'journal-access-log.db');
    const logStore = openDatabase({ sqliteFile: logFile, pageSize: 4096 });
    await migrateAccessLogStore(logStore.db, 'sqlite');
    try {
      await loadPopulation(registry, generatePopulation({ people: 50, seed: 5, today: '2026-12-04' }));
      const log = openAccessLog(logStore);
      await log.appendMany(Array.from({ length: 20 }, (_, i) => testAccessRecord(i)));
      await log.close();
      // A running server's segment (this process's pid: live), with 12 records not yet folded.
      const journalDir = journalDirOf(logFile);
      mkdirSync(journalDir, { recursive: true });
      const segment = path.join(journalDir, segmentName(Date.now(), process.pid, 0));
      const frame = (from: number, n: number): Buffer => encodeFrame(Buffer.from(Array.from({ length: n }, (_, i) => journalLine(prepareAccessRecord(testAccessRecord(from + i)))).join(''), 'utf8'));
      writeFileSync(segment, Buffer.concat([frame(20, 5), frame(25, 7)]));
      const backupDir = path.join(dir, 'journal-backup');
      const manifest = await backupStores({ registry, accessLog: logStore, keyFiles: [], accessJournal: { dir: journalDir, foldInto: foldJournalCopy } }, backupDir, new Date('2026-12-05T10:00:00Z'));
      expect(manifest.accessRecords).toBe(32);
      expect(manifest.files.map((f) => f.name).sort()).toEqual(['access-log.db', 'sachsong.db']);
      const copy = openDatabase({ sqliteFile: path.join(backupDir, 'access-log.db') });
      try {
        const leaves = (await copy.db.selectFrom('access_records').select('leaf').orderBy('idx').execute()).map((r) => r.leaf);
        expect(leaves).toEqual(Array.from({ length: 32 }, (_, i) => prepareAccessRecord(testAccessRecord(i)).leaf));
        expect(await verifyLog(copy, registry)).toEqual({ ok: true, treeSize: 32 });
      } finally {
        await copy.close();
      }
      // The live store and its journal are the server's: untouched.
      expect(existsSync(segment)).toBe(true);
      expect((await logStore.db.selectFrom('access_records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n).toBe(20);
    } finally {
      await logStore.close();
      await registry.close();
    }
  }, 60_000);
});

describe('what restore refuses', () => {
  let backupDir: string;
  beforeAll(async () => {
    const registry = await createTestDatabase('sqlite');
    try {
      await loadPopulation(registry, generatePopulation({ people: 20, seed: 6, today: '2026-12-04' }));
      backupDir = path.join(dir, 'refusals-backup');
      await backupStores({ registry, accessLog: registry, keyFiles: [] }, backupDir, new Date());
    } finally {
      await registry.close();
    }
  });

  it('a target that already holds a store: nothing is overwritten', async () => {
    const target = mkdtempSync(path.join(dir, 'occupied-'));
    writeFileSync(path.join(target, 'sachsong.db'), 'the store in use');
    await expect(restoreStores(backupDir, await readBackup(backupDir), { dataDir: target, postgres: undefined }, registryMigrationNames)).rejects.toMatchObject({ code: 'RESTORE_TARGET_NOT_EMPTY' });
    expect(readFileSync(path.join(target, 'sachsong.db'), 'utf8')).toBe('the store in use');
  });

  it('a backup from a newer sachsong (a migration this one does not know)', async () => {
    const target = mkdtempSync(path.join(dir, 'newer-'));
    const manifest = await readBackup(backupDir);
    await expect(restoreStores(backupDir, { ...manifest, migrations: [...manifest.migrations, '9999-future'] }, { dataDir: target, postgres: undefined }, registryMigrationNames)).rejects.toMatchObject({ code: 'RESTORE_SCHEMA_NEWER' });
    expect(readdirSync(target)).toEqual([]);
  });

  it('a damaged file is found before anything is restored', async () => {
    const damaged = path.join(dir, 'damaged-backup');
    cpSync(backupDir, damaged, { recursive: true });
    const file = path.join(damaged, 'sachsong.db');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(readBackup(damaged)).rejects.toMatchObject({ code: 'BACKUP_DAMAGED' });
    await expect(readBackup(path.join(dir, 'no-such-backup'))).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });

  it('a SQLite backup into PostgreSQL', async () => {
    const pg = await emptyPostgres();
    const postgres = openDatabase({ databaseUrl: pg.url, poolSize: 1 });
    try {
      await expect(restoreStores(backupDir, await readBackup(backupDir), { dataDir: mkdtempSync(path.join(dir, 'pg-')), postgres }, registryMigrationNames)).rejects.toMatchObject({ code: 'RESTORE_DIALECT_MISMATCH' });
    } finally {
      await postgres.close();
      await pg.drop();
    }
  });
});

describe('the commands', () => {
  it('sachsong backup, then restore into a new data folder, then audit verify', () => {
    const run = (args: readonly string[], dataDir: string): CliRun => runCli(args, dataDir, 60_000);
    const source = path.join(dir, 'cli-source');
    expect(run(['generate', '--people', '80'], source).code).toBe(0);
    expect(run(['export', '--out', path.join(dir, 'cli.csv')], source).code).toBe(0); // one access record
    const backup = run(['backup', '--out', path.join(dir, 'cli-backup')], source);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backed up 80 persons and 1 access records \(sqlite\)/);
    expect(backup.stdout).toMatch(/audit-signing-key/); // the log's key goes with it: its checkpoints still verify
    expect(run(['backup', '--out', path.join(dir, 'cli-backup')], source).stderr).toMatch(/^error BACKUP_TARGET_EXISTS/);
    const target = path.join(dir, 'cli-target');
    const restore = run(['restore', path.join(dir, 'cli-backup'), '--data-dir', target], path.join(dir, 'unused'));
    expect(restore.stderr).toBe('');
    expect(restore.stdout).toMatch(/^restored 80 persons and 1 access records from the backup of /);
    expect(readFileSync(path.join(target, 'audit-signing-key'), 'utf8')).toBe(readFileSync(path.join(source, 'audit-signing-key'), 'utf8'));
    const again = run(['restore', path.join(dir, 'cli-backup'), '--data-dir', target], target);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error RESTORE_TARGET_NOT_EMPTY: .*; what to do: Restore into an empty data folder/);
    const verify = run(['audit', 'verify'], target);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/ok: 1 records/);
  }, 180_000);
});
