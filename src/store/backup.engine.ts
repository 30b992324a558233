/**
 * Backups of the registry and its access log, taken while the server runs, and their restore.
 *
 * SQLite: each file is copied with SQLite's online backup API in one step (one read transaction:
 * under WAL the server's writers go on), the registry first, then the access log. Every answer
 * from the registry had its access record committed before it left, so every read of the data in
 * the backup has its record in the backup too.
 * PostgreSQL (registry and log in one database): pg_dump under a snapshot exported from a
 * REPEATABLE READ transaction, in which the persons and access records are also counted: the
 * counts in the manifest are those of the dump.
 *
 * A backup is a folder: manifest.json (format, dialect, counts, each file's size and SHA-256) and
 * the files. Restore checks every file against the manifest before writing anything, writes only
 * into an empty target, and checks the counts of what it restored.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { DomainError } from '../shared/domain-error.js';
import type { Database } from './database.js';
import type { Dialect } from './dialect.js';

export const backupFormat = 'sachsong-backup';

export interface BackupFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: typeof backupFormat;
  readonly version: 1;
  readonly createdAt: string;
  readonly dialect: Dialect;
  /** The registry's applied migrations, oldest first: a restore into an older sachsong is refused. */
  readonly migrations: readonly string[];
  readonly persons: number;
  readonly accessRecords: number;
  readonly files: readonly BackupFile[];
}

/** The stores a backup reads: the registry and the access log's store (the same database on PostgreSQL). */
export interface BackupSource {
  readonly registry: Database;
  readonly accessLog: Database;
  /** Files of the data folder kept with the stores (the access log's signing key), when present. */
  readonly keyFiles: readonly string[];
  /**
   * The access log's write-ahead journal (SQLite): its folder, and how to fold copied segments into
   * the copied log. The records a running server acknowledged but has not folded yet go with the backup.
   */
  readonly accessJournal?: { readonly dir: string; readonly foldInto: (logCopy: string, segmentsCopy: string) => Promise<number> };
}

const registryFile = 'sachsong.db';
const accessLogFile = 'access-log.db';
const dumpFile = 'sachsong.pgdump';
const manifestFile = 'manifest.json';

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function describe(dir: string, name: string): Promise<BackupFile> {
  const file = path.join(dir, name);
  return { name, bytes: statSync(file).size, sha256: await sha256Of(file) };
}

/** Runs pg_dump or pg_restore; their messages name tables, never rows. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new DomainError('unavailable', 'BACKUP_TOOL_MISSING', `${command} is not installed`, `Install the PostgreSQL client tools (apt-get install postgresql-client), the same major version as the server`)
        : error);
    });
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new DomainError('unavailable', 'BACKUP_TOOL_FAILED', `${command} failed (exit ${String(code)}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`, 'Check that the PostgreSQL client tools match the server version and that the user may read every table'));
    });
  });
}

async function migrationsOf(db: Database): Promise<string[]> {
  const rows = await db.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute() as { name: string }[];
  return rows.map((r) => r.name);
}

function countIn(file: string, table: string): number {
  const sqlite = new SQLite(file, { readonly: true });
  try {
    return (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    sqlite.close();
  }
}

/**
 * Copies a SQLite store with the online backup API, all pages in one step (one consistent read),
 * then makes the copy a single file (rollback journal: no -wal or -shm beside it), readable by its owner only.
 */
/** Copies a journal's segment files (one deleted meanwhile was folded first, so it is in the log's copy). */
function copySegments(from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let names: string[];
  try {
    names = readdirSync(from);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.seg'))) {
    try {
      copyFileSync(path.join(from, name), path.join(to, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

async function copySqlite(store: Database, to: string): Promise<void> {
  if (store.sqlite === undefined) throw new Error('not a SQLite store');
  await store.sqlite.backup(to, { progress: () => 0x7fffffff });
  const copy = new SQLite(to);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  chmodSync(to, 0o600);
}

/**
 * Writes a backup of the running stores into `outDir` (which must not exist yet), through a
 * temporary folder renamed at the end: a backup folder is complete or absent.
 *
 * @throws DomainError BACKUP_TARGET_EXISTS, BACKUP_TOOL_MISSING, BACKUP_TOOL_FAILED
 * @example
 * const manifest = await backupStores({ registry, accessLog, keyFiles: ['data/audit-signing-key'] }, 'backups/2026-12-04', new Date());
 */
export async function backupStores(source: BackupSource, outDir: string, now: Date): Promise<BackupManifest> {
  if (existsSync(outDir)) {
    throw new DomainError('conflict', 'BACKUP_TARGET_EXISTS', `${outDir} already exists`, 'Give --out a folder that does not exist yet (e.g. one named by the date)');
  }
  const partial = `${outDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  // The backup holds the whole population: its folder is its owner's alone.
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  try {
    let counts: { persons: number; accessRecords: number };
    const names: string[] = [];
    const migrations = await migrationsOf(source.registry);
    if (source.registry.dialect === 'sqlite') {
      await copySqlite(source.registry, path.join(partial, registryFile));
      names.push(registryFile);
      if (source.accessLog !== source.registry) {
        // The journal's segments before the log: what is folded meanwhile is in the log's copy, the rest past its mark.
        const capture = path.join(partial, 'journal-capture');
        if (source.accessJournal !== undefined) copySegments(source.accessJournal.dir, capture);
        await copySqlite(source.accessLog, path.join(partial, accessLogFile));
        if (source.accessJournal !== undefined) {
          await source.accessJournal.foldInto(path.join(partial, accessLogFile), capture);
          rmSync(capture, { recursive: true, force: true });
        }
        names.push(accessLogFile);
      }
      counts = {
        persons: countIn(path.join(partial, registryFile), 'persons'),
        accessRecords: countIn(path.join(partial, names.includes(accessLogFile) ? accessLogFile : registryFile), 'access_records'),
      };
    } else {
      counts = await dumpPostgres(source.registry, path.join(partial, dumpFile));
      names.push(dumpFile);
    }
    for (const key of source.keyFiles) {
      copyFileSync(key, path.join(partial, path.basename(key)));
      names.push(path.basename(key));
    }
    const files = await Promise.all(names.map((name) => describe(partial, name)));
    const manifest: BackupManifest = { format: backupFormat, version: 1, createdAt: now.toISOString(), dialect: source.registry.dialect, migrations, ...counts, files };
    writeFileSync(path.join(partial, manifestFile), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(partial, outDir);
    return manifest;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

async function dumpPostgres(store: Database, file: string): Promise<{ persons: number; accessRecords: number }> {
  if (store.pool === undefined) throw new Error('not a PostgreSQL store');
  const client = await store.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id ?? '';
    const persons = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM persons')).rows[0]?.n ?? 0);
    const accessRecords = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM access_records')).rows[0]?.n ?? 0);
    // The dump sees exactly what this transaction sees, while the server goes on writing.
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${snapshot}`, `--file=${file}`, `--dbname=${store.location}`]);
    chmodSync(file, 0o600);
    await client.query('COMMIT');
    return { persons, accessRecords };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Reads a backup's manifest and checks every file it lists (size and SHA-256) before anything is
 * restored.
 *
 * @throws DomainError BACKUP_NOT_FOUND, BACKUP_DAMAGED
 */
export async function readBackup(dir: string): Promise<BackupManifest> {
  const file = path.join(dir, manifestFile);
  if (!existsSync(file)) {
    throw new DomainError('not_found', 'BACKUP_NOT_FOUND', `${dir} holds no ${manifestFile}: it is not a sachsong backup`, 'Give the folder that sachsong backup --out wrote');
  }
  let parsed: Partial<Record<keyof BackupManifest, unknown>>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof BackupManifest, unknown>>;
  } catch {
    throw new DomainError('invalid', 'BACKUP_DAMAGED', `${file} is not valid JSON`, 'Restore from another backup');
  }
  if (parsed.format !== backupFormat || parsed.version !== 1 || !Array.isArray(parsed.files) || !Array.isArray(parsed.migrations)) {
    throw new DomainError('invalid', 'BACKUP_DAMAGED', `${file} is not a sachsong backup manifest (version 1)`, 'Restore from another backup');
  }
  const manifest = parsed as unknown as BackupManifest;
  for (const expected of manifest.files) {
    const at = path.join(dir, expected.name);
    const actual = existsSync(at) ? await describe(dir, expected.name) : undefined;
    if (actual?.sha256 !== expected.sha256 || actual.bytes !== expected.bytes) {
      throw new DomainError('invalid', 'BACKUP_DAMAGED', `${expected.name} in ${dir} is ${actual === undefined ? 'missing' : 'not the file the backup wrote (its SHA-256 differs)'}`, 'Restore from another copy of the backup; nothing was restored');
    }
  }
  return manifest;
}

/** Where a restore writes: the data folder (SQLite, and the key files), and the PostgreSQL store if one is configured. */
export interface RestoreTarget {
  readonly dataDir: string;
  /** The configured PostgreSQL store (opened, not migrated), or undefined for SQLite under dataDir. */
  readonly postgres: Database | undefined;
}

/**
 * Restores a checked backup into an empty target. SQLite files are written under temporary names
 * and renamed; a PostgreSQL restore runs in one transaction. Key files are put back only where
 * the target has none of its own in use (no store yet).
 *
 * @throws DomainError RESTORE_DIALECT_MISMATCH, RESTORE_TARGET_NOT_EMPTY, RESTORE_SCHEMA_NEWER
 */
export async function restoreStores(dir: string, manifest: BackupManifest, target: RestoreTarget, knownMigrations: readonly string[]): Promise<void> {
  const dialect: Dialect = target.postgres === undefined ? 'sqlite' : 'postgres';
  if (manifest.dialect !== dialect) {
    throw new DomainError('invalid', 'RESTORE_DIALECT_MISMATCH', `the backup is of a ${manifest.dialect} store, the target is ${dialect}`,
      manifest.dialect === 'postgres' ? 'Set DATABASE_URL to an empty PostgreSQL database' : 'Leave DATABASE_URL unset to restore into the data folder\'s SQLite store');
  }
  const unknown = manifest.migrations.filter((name) => !knownMigrations.includes(name));
  if (unknown.length > 0) {
    throw new DomainError('invalid', 'RESTORE_SCHEMA_NEWER', `the backup was made by a newer sachsong (migrations ${unknown.join(', ')})`, 'Restore it with that version of sachsong or a later one');
  }
  if (target.postgres === undefined) {
    const present = [registryFile, accessLogFile].filter((name) => existsSync(path.join(target.dataDir, name)));
    if (present.length > 0) {
      throw new DomainError('conflict', 'RESTORE_TARGET_NOT_EMPTY', `${target.dataDir} already holds a store (${present.join(', ')})`, 'Restore into an empty data folder (--data-dir), then point the server at it; nothing was overwritten');
    }
    for (const name of [registryFile, accessLogFile].filter((n) => manifest.files.some((f) => f.name === n))) {
      copyFileSync(path.join(dir, name), path.join(target.dataDir, `${name}.restoring`));
    }
    for (const name of [registryFile, accessLogFile].filter((n) => manifest.files.some((f) => f.name === n))) {
      renameSync(path.join(target.dataDir, `${name}.restoring`), path.join(target.dataDir, name));
    }
  } else {
    const tables = await target.postgres.db.selectFrom('information_schema.tables' as never).select((eb) => eb.fn.countAll<string>().as('n')).where('table_schema' as never, '=', 'public' as never).executeTakeFirstOrThrow();
    if (Number(tables.n) > 0) {
      throw new DomainError('conflict', 'RESTORE_TARGET_NOT_EMPTY', `the PostgreSQL database ${target.postgres.location.replace(/\/\/[^@]*@/u, '//')} already holds tables`, 'Restore into an empty database (createdb a new one and set DATABASE_URL to it); nothing was overwritten');
    }
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${target.postgres.location}`, path.join(dir, dumpFile)]);
  }
  for (const file of manifest.files.filter((f) => ![registryFile, accessLogFile, dumpFile].includes(f.name))) {
    copyFileSync(path.join(dir, file.name), path.join(target.dataDir, file.name));
  }
}

/** The files a data folder holds beside the stores that a backup keeps (the access log's signing key). */
export function keyFilesIn(dataDir: string): string[] {
  return existsSync(dataDir) ? readdirSync(dataDir).filter((name) => name === 'audit-signing-key').map((name) => path.join(dataDir, name)) : [];
}
