import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type SQLite from 'better-sqlite3';
import { DomainError } from '../shared/domain-error.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrateAccessLogStore } from '../store/migrator.js';
import { runTier } from './person-index.writer.js';

/**
 * Where the access log lives. On the embedded store, a SQLite file of its own beside the
 * registry's: its appends then never take the registry's write lock, never grow the registry's
 * WAL or run its checkpoints, and their commits leave the registry's data_version (which keys
 * the exchange's consent cache) alone, so a writer thread can commit them. On PostgreSQL, and
 * for a store in memory, it is the registry's own database.
 */
export interface AccessLogStore {
  /** The store holding the access log's tables. */
  readonly database: Database;
  /** A file of its own: its batches are written on a writer thread (openAccessLog's writerThread). */
  readonly separate: boolean;
  /** Closes the log's own file; leaves a shared store open. */
  close(): Promise<void>;
}

/**
 * Opens the access log's store: `file` (a SQLite path) when the registry is a SQLite file, else
 * the registry itself.
 *
 * The log file is made on first use, under the registry's write lock, so that two processes
 * starting together make it once. If the registry's own file holds access records (a store from
 * before the log had its own file), they move with it, tree, checkpoints and all: into a new file
 * that is linked into place only when complete. The registry then keeps a mark of the move
 * (access_log_moved, with the size moved), and its copy is no longer read. The mark guards the
 * records: a log file gone missing after the move is not made again from the old copy, and
 * records appended to the registry's copy after the move (by an older server still running) are
 * refused loudly instead of being left behind.
 *
 * @example
 * const logStore = await openAccessLogStore(registry, path.join(dataDir, 'access-log.db'));
 * const accessLog = openAccessLog(logStore.database, { writerThread: logStore.separate });
 */
export async function openAccessLogStore(registry: Database, file: string | undefined): Promise<AccessLogStore> {
  const sqlite = registry.sqlite;
  if (sqlite === undefined || registry.location === ':memory:' || file === undefined) {
    return { database: registry, separate: false, close: () => Promise.resolve() };
  }
  if (!existsSync(file)) await moveOrCreate(sqlite, registry.location, file);
  const database = openDatabase({ sqliteFile: file });
  try {
    await migrateAccessLogStore(database.db, 'sqlite');
    checkNothingLeftBehind(sqlite, database.sqlite as SQLite.Database, file);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, separate: true, close: () => database.close() };
}

interface RegistryLog {
  /** The registry's own access log tables: their committed size, or undefined without them. */
  readonly treeSize: number | undefined;
  /** The size moved to the log file, or undefined when no move is recorded. */
  readonly movedSize: number | undefined;
}

function registryLog(sqlite: SQLite.Database): RegistryLog {
  const has = (table: string): boolean => sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  const treeSize = has('access_log_head') ? (sqlite.prepare('SELECT tree_size FROM access_log_head WHERE id = 1').pluck().get() as number | undefined) ?? 0 : undefined;
  const movedSize = has('access_log_moved') ? (sqlite.prepare('SELECT moved_size FROM access_log_moved WHERE id = 1').pluck().get() as number | undefined) : undefined;
  return { treeSize, movedSize };
}

/** Records in the registry that its log, `size` records, now lives in the log file (a move is recorded once). */
function markMoved(sqlite: SQLite.Database, size: number): void {
  sqlite.exec('CREATE TABLE IF NOT EXISTS access_log_moved (id INTEGER PRIMARY KEY CHECK (id = 1), moved_size INTEGER NOT NULL, moved_at TEXT NOT NULL)');
  sqlite.prepare('INSERT OR IGNORE INTO access_log_moved (id, moved_size, moved_at) VALUES (1, ?, ?)').run(size, new Date().toISOString());
}

/**
 * Under the registry's write lock: makes the log file (moving the registry's log into it) and
 * records the move. Runs at start-up, before anything else uses the registry's connection.
 */
async function moveOrCreate(sqlite: SQLite.Database, registryFile: string, file: string): Promise<void> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have made it while this one waited for the lock.
    if (!existsSync(file)) {
      // Left by a move that stopped before placing its file (moves run only under this lock).
      const prefix = `${path.basename(file)}.`;
      for (const name of readdirSync(path.dirname(file))) {
        if (name.startsWith(prefix) && /\.partial(-wal|-shm|-journal)?$/.test(name)) rmSync(path.join(path.dirname(file), name), { force: true });
      }
      const log = registryLog(sqlite);
      if (log.movedSize !== undefined) {
        throw new DomainError('unavailable', 'ACCESS_LOG_MISSING', `the access log was moved to ${file} (${log.movedSize} records), and that file is missing`, `Restore ${file} from a backup; it is not made again from the registry's old copy`);
      }
      await buildLogFile(registryFile, file, (log.treeSize ?? 0) > 0);
      markMoved(sqlite, log.treeSize ?? 0);
    }
    sqlite.exec('COMMIT');
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Refuses a registry whose own log grew after the move: those records would be left behind. A
 * move whose mark was not recorded (the process stopped between placing the file and committing
 * the mark) is recognised by the log file holding the registry's last record, and marked now.
 */
function checkNothingLeftBehind(sqlite: SQLite.Database, logFile: SQLite.Database, file: string): void {
  const log = registryLog(sqlite);
  if (log.treeSize !== undefined && log.treeSize > 0 && log.movedSize === undefined) {
    const last = (db: SQLite.Database): Buffer | undefined => db.prepare('SELECT leaf_hash FROM access_records WHERE idx = ?').pluck().get((log.treeSize ?? 0) - 1) as Buffer | undefined;
    const moved = last(sqlite);
    const there = last(logFile);
    if (moved !== undefined && there !== undefined && moved.equals(there)) {
      markMoved(sqlite, log.treeSize);
      return;
    }
  }
  if (log.treeSize !== undefined && log.treeSize > (log.movedSize ?? 0)) {
    throw new DomainError(
      'unavailable', 'ACCESS_LOG_SPLIT',
      `the registry's own access log holds ${log.treeSize - (log.movedSize ?? 0)} records appended after the log moved to ${file}`,
      'Stop every older sachsong process writing to this store, then move those records into the log file (they are in the registry\'s access_records) before starting',
    );
  }
}

/** Writes the log file complete under a name of its own, then links it into place (failing if one appeared). */
async function buildLogFile(registryFile: string, file: string, copy: boolean): Promise<void> {
  const partial = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.partial`;
  // Small pages: each group commit rewrites the log's last pages whole into the WAL (measured: with
  // 16 KiB pages a WAL checkpoint every ~170 commits held the writer 25-30 ms; with 4 KiB, under 10).
  const fresh = openDatabase({ sqliteFile: partial, pageSize: 4_096 });
  const sqlite = fresh.sqlite as SQLite.Database;
  try {
    await migrateAccessLogStore(fresh.db, 'sqlite');
    if (copy) {
      sqlite.prepare('ATTACH DATABASE ? AS registry').run(registryFile);
      sqlite.transaction(() => {
        sqlite.exec(`
          INSERT INTO main.access_records (idx, person_id, deferred_until, leaf, leaf_hash)
            SELECT idx, person_id, deferred_until, leaf, leaf_hash FROM registry.access_records ORDER BY idx;
          INSERT INTO main.access_log_nodes (level, idx, hash) SELECT level, idx, hash FROM registry.access_log_nodes ORDER BY level, idx;
          INSERT INTO main.access_log_checkpoints (tree_size, root_hash, note, created_at)
            SELECT tree_size, root_hash, note, created_at FROM registry.access_log_checkpoints;
          UPDATE main.access_log_head SET tree_size = (SELECT tree_size FROM registry.access_log_head WHERE id = 1) WHERE id = 1;
          INSERT INTO main.access_person_entries (run, person_id, idx) SELECT 1, person_id, idx FROM main.access_records ORDER BY person_id, idx;
          UPDATE main.access_log_head SET indexed_size = tree_size WHERE id = 1;
        `);
        // The whole log is one run, of the tier its size makes it.
        const entries = sqlite.prepare('SELECT count(*) FROM main.access_person_entries').pluck().get() as number;
        if (entries > 0) sqlite.prepare("INSERT INTO main.access_person_runs (run, tier, state, row_count) VALUES (1, ?, 'sealed', ?)").run(runTier(entries), entries);
      })();
      sqlite.exec('DETACH DATABASE registry');
    }
    // Everything in the main file before it is linked: no WAL left beside a name about to change.
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.pragma('journal_mode = DELETE');
  } catch (error) {
    await fresh.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${partial}${suffix}`, { force: true });
    throw error;
  }
  await fresh.close();
  const fd = openSync(partial, 'r');
  fsyncSync(fd);
  closeSync(fd);
  try {
    linkSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  const dir = openSync(path.dirname(file), 'r');
  fsyncSync(dir);
  closeSync(dir);
}
