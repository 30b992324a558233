import { sql } from 'kysely';
import type SQLite from 'better-sqlite3';
import { DomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import type { AccessRecordsTable } from './audit.tables.js';
import type { PreparedAccessRecord } from './access-record.js';
import type { TreeNode } from './merkle-tree.js';

/**
 * Writes a batch of access records (record i at leaf index `expectedSize + i`) and the tree nodes
 * they complete in ONE transaction, and moves the committed tree size from `expectedSize` to
 * `expectedSize + records.length`.
 * Resolves to false, writing nothing, when the committed size is not `expectedSize` (another
 * writer got there first): the caller reloads its frontier and tries again.
 */
export type AccessBatchWriter = (
  expectedSize: number, records: readonly PreparedAccessRecord[], nodes: readonly TreeNode[],
) => Promise<boolean>;

const recordColumns = ['idx', 'person_id', 'deferred_until', 'leaf', 'leaf_hash'] as const satisfies readonly (keyof AccessRecordsTable)[];

/**
 * The batch writer for a store: prepared statements on the SQLite handle (a transaction of
 * thousands of rows in milliseconds), one `unnest` insert per table on PostgreSQL.
 */
export function createAccessBatchWriter(database: Database, busyLimitMs = 10_000): AccessBatchWriter {
  if (database.sqlite !== undefined) return sqliteWriter(database.sqlite, busyLimitMs);
  return postgresWriter(database);
}

/** `busyLimitMs`: how long an append waits for another transaction on the shared connection to end. */
function sqliteWriter(sqlite: SQLite.Database, busyLimitMs: number): AccessBatchWriter {
  const insertRecord = sqlite.prepare(`INSERT INTO access_records (${recordColumns.join(', ')}) VALUES (${recordColumns.map(() => '?').join(', ')})`);
  const insertNode = sqlite.prepare('INSERT INTO access_log_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const moveHead = sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1 AND tree_size = ?');
  const write = sqlite.transaction((expectedSize: number, records: readonly PreparedAccessRecord[], nodes: readonly TreeNode[]): boolean => {
    if (moveHead.run(expectedSize + records.length, expectedSize).changes !== 1) return false;
    // One single-row statement a record: a prepared 100-row INSERT measured slower (binding 500 values costs more than it saves).
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as PreparedAccessRecord;
      insertRecord.run(expectedSize + i, r.person_id, r.deferred_until, r.leaf, r.leaf_hash);
    }
    for (const n of nodes) insertNode.run(n.level, n.index, n.hash);
    return true;
  });
  return async (expectedSize, records, nodes) => {
    // The Kysely handle shares this connection: while one of its transactions is open, a write here
    // would join it (and could be rolled back with it). Wait until the connection is between transactions.
    const deadline = Date.now() + busyLimitMs;
    while (sqlite.inTransaction) {
      // Appending from inside such a transaction would wait for itself: fail loudly instead of hanging.
      if (Date.now() > deadline) {
        throw new DomainError('unavailable', 'ACCESS_LOG_BUSY', 'The store stayed inside another transaction; the access record was not written', 'Append access records outside database transactions, then retry');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // BEGIN IMMEDIATE: take the write lock up front; another process's writer waits up to busy_timeout.
    return write.immediate(expectedSize, records, nodes);
  };
}

function postgresWriter(database: Database): AccessBatchWriter {
  return (expectedSize, records, nodes) =>
    database.db.transaction().execute(async (trx) => {
      // The head row's lock serialises writers across processes until this transaction ends.
      const moved = await trx
        .updateTable('access_log_head')
        .set({ tree_size: expectedSize + records.length })
        .where('id', '=', 1)
        .where('tree_size', '=', expectedSize)
        .executeTakeFirst();
      if (moved.numUpdatedRows !== 1n) return false;
      const column = <K extends keyof PreparedAccessRecord>(key: K): PreparedAccessRecord[K][] => records.map((r) => r[key]);
      await sql`
        insert into access_records (${sql.join(recordColumns.map((c) => sql.ref(c)))})
        select * from unnest(${records.map((_, i) => expectedSize + i)}::bigint[], ${column('person_id')}::text[], ${column('deferred_until')}::text[],
          ${column('leaf')}::text[], ${column('leaf_hash')}::bytea[])`.execute(trx);
      if (nodes.length === 0) return true;
      await sql`
        insert into access_log_nodes (level, idx, hash)
        select * from unnest(${nodes.map((n) => n.level)}::int[], ${nodes.map((n) => n.index)}::bigint[], ${nodes.map((n) => n.hash)}::bytea[])`.execute(trx);
      return true;
    });
}
