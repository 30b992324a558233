import { once } from 'node:events';
import { sql } from 'kysely';
import type SQLite from 'better-sqlite3';
import { DomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import type { AccessRecordsTable } from './audit.tables.js';
import type { PreparedAccessRecord } from './access-record.js';
import type { TreeNode } from './merkle-tree.js';
import { moduleWorker } from '../shared/module-worker.js';
import { indexerLoop, postgresPersonIndexer, sqlitePersonIndexer, type PersonIndexOptions } from './person-index.writer.js';

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

/** What a batch transaction writes of a record: its columns but the index, which the batch gives. */
export type WrittenRecord = Pick<PreparedAccessRecord, 'person_id' | 'deferred_until' | 'leaf' | 'leaf_hash'>;

/** The writer of a store's access log, and how to let it go. */
export interface AccessLogWriter {
  readonly write: AccessBatchWriter;
  close(): Promise<void>;
  /** Resolves when the person index has caught up with what is due (tests). */
  indexed(): Promise<void>;
}

/** How the batch writer works. */
export interface AccessBatchWriterOptions {
  /** SQLite: how long an append waits for another transaction on the shared connection to end. Default 10 s. */
  readonly busyLimitMs?: number;
  /** SQLite file: the transactions run on a writer thread with its own connection. */
  readonly thread?: boolean;
  /** The tracker's person index, written behind the appends (person-index.writer.ts). */
  readonly personIndex?: PersonIndexOptions;
  /** Told when an indexing slice failed (it is tried again after the next append). */
  readonly onIndexError?: (error: unknown) => void;
}

/**
 * The batch writer for a store: prepared statements on the SQLite handle (a transaction of
 * thousands of rows in milliseconds), one `unnest` insert per table on PostgreSQL. With
 * `thread`, a SQLite file's transactions run on a worker thread over its own connection: the
 * main thread prepares the next batch meanwhile. Each writer keeps the person index behind
 * the appends it commits.
 */
export function createAccessBatchWriter(database: Database, options: AccessBatchWriterOptions = {}): AccessLogWriter {
  const sqlite = database.sqlite;
  if (sqlite !== undefined) {
    if (options.thread === true && database.location !== ':memory:') return threadWriter(database.location, options.personIndex ?? {});
    // Never inside a Kysely transaction on the shared connection: the slice would join it.
    const indexer = indexerLoop(sqlitePersonIndexer(sqlite, options.personIndex), () => !sqlite.inTransaction, options.onIndexError);
    const write = sqliteWriter(sqlite, options.busyLimitMs ?? 10_000);
    return {
      write: async (expectedSize, records, nodes) => {
        const written = await write(expectedSize, records, nodes);
        if (written) indexer.poke();
        return written;
      },
      close: () => indexer.stop(),
      indexed: () => indexer.idle(),
    };
  }
  const indexer = indexerLoop(postgresPersonIndexer(database.db, options.personIndex), () => true, options.onIndexError);
  const write = postgresWriter(database);
  return {
    write: async (expectedSize, records, nodes) => {
      const written = await write(expectedSize, records, nodes);
      if (written) indexer.poke();
      return written;
    },
    close: () => indexer.stop(),
    indexed: () => indexer.idle(),
  };
}

/**
 * The batch transaction on one SQLite connection: false, writing nothing, when the committed size
 * is not `expectedSize`. Used on the main thread's connection and by the writer thread.
 */
export function sqliteBatchTransaction(sqlite: SQLite.Database): (expectedSize: number, records: readonly WrittenRecord[], nodes: readonly TreeNode[]) => boolean {
  const insertRecord = sqlite.prepare(`INSERT INTO access_records (${recordColumns.join(', ')}) VALUES (${recordColumns.map(() => '?').join(', ')})`);
  const insertNode = sqlite.prepare('INSERT INTO access_log_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const moveHead = sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1 AND tree_size = ?');
  const write = sqlite.transaction((expectedSize: number, records: readonly WrittenRecord[], nodes: readonly TreeNode[]): boolean => {
    if (moveHead.run(expectedSize + records.length, expectedSize).changes !== 1) return false;
    // One single-row statement a record: a prepared 100-row INSERT measured slower (binding 500 values costs more than it saves).
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as WrittenRecord;
      insertRecord.run(expectedSize + i, r.person_id, r.deferred_until, r.leaf, r.leaf_hash);
    }
    for (const n of nodes) insertNode.run(n.level, n.index, n.hash);
    return true;
  });
  // BEGIN IMMEDIATE: take the write lock up front; another connection's writer waits up to busy_timeout.
  return (expectedSize, records, nodes) => write.immediate(expectedSize, records, nodes);
}

/** `busyLimitMs`: how long an append waits for another transaction on the shared connection to end. */
function sqliteWriter(sqlite: SQLite.Database, busyLimitMs: number): AccessBatchWriter {
  const write = sqliteBatchTransaction(sqlite);
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
    return write(expectedSize, records, nodes);
  };
}

/**
 * A batch as it crosses to the writer thread: strings in arrays, the 32-byte hashes packed in
 * one buffer each for records and nodes (moved, not copied).
 */
export interface ThreadBatch {
  readonly kind: 'batch';
  readonly id: number;
  readonly expectedSize: number;
  readonly personIds: readonly string[];
  readonly deferredUntil: readonly (string | null)[];
  readonly leaves: readonly string[];
  readonly leafHashes: ArrayBuffer;
  readonly nodeLevels: Uint8Array;
  readonly nodeIndexes: Float64Array;
  readonly nodeHashes: ArrayBuffer;
}

/** What the main thread asks of the writer thread: a batch, the index caught up, or an orderly stop. */
export type ThreadRequest = ThreadBatch | { readonly kind: 'indexed' | 'close'; readonly id: number };

/** The writer thread's answer: committed or not, done, or the error it met. */
export type ThreadReply =
  | { readonly id: number; readonly written: boolean }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly code?: string } };

function threadWriter(file: string, personIndex: PersonIndexOptions): AccessLogWriter {
  const worker = moduleWorker(import.meta.url, 'access-log.worker', { workerData: { file, personIndex } });
  // Checkpoints beside the writer thread (measured append p99 at 5,000/s: 13-16 ms → 7-12 ms).
  const checkpointer = moduleWorker(import.meta.url, '../store/wal-checkpoint.worker', { workerData: { file, intervalMs: 100 } });
  checkpointer.unref();
  const waiting = new Map<number, { resolve: (written: boolean) => void; reject: (error: Error) => void }>();
  let failed: Error | undefined;
  const failAll = (error: Error): void => {
    failed ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    const w = waiting.get(reply.id);
    if (w === undefined) return;
    waiting.delete(reply.id);
    if ('written' in reply) w.resolve(reply.written);
    else if ('done' in reply) w.resolve(true);
    else w.reject(new DomainError('unavailable', 'ACCESS_LOG_WRITE_FAILED', `The access log's write failed (${reply.error.code ?? reply.error.name}); nothing of the batch was written`, 'Retry the request'));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => { failAll(new Error(`the access log's writer thread stopped (exit code ${code})`)); });
  // An idle writer thread does not keep the process alive; a request in flight does (see ask).
  worker.unref();
  let next = 0;
  const ask = (request: ThreadRequest, transfer: readonly ArrayBuffer[] = []): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      if (waiting.size === 0) worker.ref();
      const settle = (): void => { if (waiting.size === 0) worker.unref(); };
      waiting.set(request.id, { resolve: (w) => { settle(); resolve(w); }, reject: (e) => { settle(); reject(e); } });
      worker.postMessage(request, transfer);
    });
  const stopped = (): Promise<never> => Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_WRITER_STOPPED', 'The access log\'s writer thread has stopped', 'Restart the server'));
  const write: AccessBatchWriter = (expectedSize, records, nodes) => {
    if (failed !== undefined) return stopped();
    const leafHashes = new Uint8Array(records.length * 32);
    const personIds = new Array<string>(records.length);
    const deferredUntil = new Array<string | null>(records.length);
    const leaves = new Array<string>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as WrittenRecord;
      personIds[i] = r.person_id;
      deferredUntil[i] = r.deferred_until;
      leaves[i] = r.leaf;
      leafHashes.set(r.leaf_hash, i * 32);
    }
    const nodeLevels = new Uint8Array(nodes.length);
    const nodeIndexes = new Float64Array(nodes.length);
    const nodeHashes = new Uint8Array(nodes.length * 32);
    nodes.forEach((n, i) => {
      nodeLevels[i] = n.level;
      nodeIndexes[i] = n.index;
      nodeHashes.set(n.hash, i * 32);
    });
    const batch: ThreadBatch = { kind: 'batch', id: next++, expectedSize, personIds, deferredUntil, leaves, leafHashes: leafHashes.buffer, nodeLevels, nodeIndexes, nodeHashes: nodeHashes.buffer };
    return ask(batch, [batch.leafHashes, batch.nodeHashes]);
  };
  return {
    write,
    indexed: async () => {
      if (failed !== undefined) return stopped();
      await ask({ kind: 'indexed', id: next++ });
    },
    close: async () => {
      if (failed === undefined) {
        // An orderly stop: the thread finishes its slice and closes its connection; terminate if it does not answer.
        const closing = ask({ kind: 'close', id: next++ }).catch(() => false);
        const timer = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
        await Promise.race([closing, timer]);
      }
      failed ??= new Error('closed');
      checkpointer.postMessage('close');
      await Promise.all([worker.terminate(), once(checkpointer, 'exit')]);
    },
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
