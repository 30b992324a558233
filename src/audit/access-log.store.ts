import { existsSync, renameSync, rmSync } from 'node:fs';
import { openDatabase, type Database } from '../store/database.js';
import { migrateAccessLogStore } from '../store/migrator.js';

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
 * Opens the access log's store: `file` (a SQLite path) when the registry is a SQLite file,
 * else the registry itself. A log file is made and migrated on first use; if the registry's own
 * file holds access records (a store from before the log had its own file), they move with it,
 * tree, checkpoints and all, in one transaction into a new file that is renamed into place only
 * when complete. The registry's copy is left as it was, and is no longer read.
 *
 * @example
 * const logStore = await openAccessLogStore(registry, path.join(dataDir, 'access-log.db'));
 * const accessLog = openAccessLog(logStore.database, { writerThread: logStore.separate });
 */
export async function openAccessLogStore(registry: Database, file: string | undefined): Promise<AccessLogStore> {
  if (registry.dialect !== 'sqlite' || registry.location === ':memory:' || file === undefined) {
    return { database: registry, separate: false, close: () => Promise.resolve() };
  }
  if (!existsSync(file)) await createLogFile(registry, file);
  const database = openDatabase({ sqliteFile: file });
  try {
    await migrateAccessLogStore(database.db, 'sqlite');
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, separate: true, close: () => database.close() };
}

async function createLogFile(registry: Database, file: string): Promise<void> {
  const partial = `${file}.partial`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
  // Small pages: each group commit rewrites the log's last pages whole into the WAL (measured: with
  // 16 KiB pages a WAL checkpoint every ~170 commits held the writer 25-30 ms; with 4 KiB, under 10).
  const fresh = openDatabase({ sqliteFile: partial, pageSize: 4_096 });
  try {
    await migrateAccessLogStore(fresh.db, 'sqlite');
    const sqlite = fresh.sqlite;
    if (sqlite === undefined) throw new Error('the access log file is not SQLite');
    sqlite.prepare('ATTACH DATABASE ? AS registry').run(registry.location);
    const hasLog = sqlite.prepare("SELECT 1 FROM registry.sqlite_master WHERE type = 'table' AND name = 'access_log_head'").get() !== undefined;
    if (hasLog) {
      sqlite.transaction(() => {
        sqlite.exec(`
          INSERT INTO main.access_records (idx, person_id, deferred_until, leaf, leaf_hash)
            SELECT idx, person_id, deferred_until, leaf, leaf_hash FROM registry.access_records ORDER BY idx;
          INSERT INTO main.access_log_nodes (level, idx, hash) SELECT level, idx, hash FROM registry.access_log_nodes ORDER BY level, idx;
          INSERT INTO main.access_log_checkpoints (tree_size, root_hash, note, created_at)
            SELECT tree_size, root_hash, note, created_at FROM registry.access_log_checkpoints;
          UPDATE main.access_log_head SET tree_size = (SELECT tree_size FROM registry.access_log_head WHERE id = 1) WHERE id = 1;
          INSERT INTO main.access_person_index (person_id, idx) SELECT person_id, idx FROM main.access_records ORDER BY person_id, idx;
          UPDATE main.access_log_head SET indexed_size = tree_size WHERE id = 1;
        `);
      })();
    }
    sqlite.exec('DETACH DATABASE registry');
  } finally {
    // Closing the last connection folds the WAL into the file: the rename below moves all of it.
    await fresh.close();
  }
  renameSync(partial, file);
}
