import { sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import { DomainError } from '../shared/domain-error.js';
import { moduleWorker } from '../shared/module-worker.js';
import { startWalCheckpointer } from '../store/wal-checkpointer.js';
import type { Database } from '../store/database.js';
import type { DB } from '../store/database.types.js';
import { onSharedReadTurn } from '../store/shared-read.js';
import { AccessJournal, type JournalPosition } from './access-journal.js';
import type { JournalEntry } from './access-journal.format.js';
import { accessLogRepository, nodeKey } from './access-log.repository.js';
import type { AccessRecordsTable } from './audit.tables.js';
import { extendFrontier, FrontierWriter, type BatchTransaction, type FoldedRecord, type JournalMark, type TreeState, type WrittenRecord } from './frontier.writer.js';
import { frontierKeys, type NodeKey, type TreeNode } from './merkle-tree.js';
import { indexerLoop, postgresPersonIndexer, sqlitePersonIndexer, type PersonIndexOptions } from './person-index.writer.js';

export type { WrittenRecord } from './frontier.writer.js';

const recordColumns = ['idx', 'person_id', 'deferred_until', 'leaf', 'leaf_hash'] as const satisfies readonly (keyof AccessRecordsTable)[];

/** The writer of a store's access log, and how to let it go. */
export interface AccessLogWriter {
  /** Commits a batch in one transaction (records, the subtrees they complete, the head); resolves to the first record's leaf index. */
  append(records: readonly WrittenRecord[]): Promise<number>;
  /**
   * How many batches may be handed over before the first is answered. 1 where the caller's
   * frontier must see each commit; more on the writer thread, which keeps the frontier itself
   * and commits what it is handed in order.
   */
  readonly depth: number;
  close(): Promise<void>;
  /** Resolves when the person index has caught up with what is due (tests). */
  indexed(): Promise<void>;
  /** The write-ahead journal in front of the tree, where the store has one (a SQLite file's writer thread). */
  readonly journal?: WriterJournal;
}

/** The access journal as the access log uses it (access-journal.ts in front, the writer thread's folder behind). */
export interface WriterJournal {
  /** Appends whole journal lines or a read's templated records; resolves once they are written (durable), before they are in the tree. */
  append(entry: JournalEntry): Promise<void>;
  /** Resolves once everything journaled before the call is in the tree (rejects while folding fails). */
  settled(): Promise<void>;
  /** Writes what is pending and takes no more appends (the writer's close folds the rest). */
  close(): void;
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
  /** With `thread`: the folder of a write-ahead journal in front of the tree (access-journal.ts). */
  readonly journalDir?: string;
  /** The journal's segment size (AccessJournalOptions.maxSegmentBytes). */
  readonly journalSegmentBytes?: number;
}

/** The frontier from the stored subtrees, or ACCESS_LOG_DAMAGED naming the one missing. */
function frontierFrom(size: number, keys: readonly NodeKey[], found: ReadonlyMap<string, Buffer>): TreeState {
  const frontier = keys.map((k) => {
    const hash = found.get(nodeKey(k.level, k.index));
    if (hash === undefined) {
      throw new DomainError('unavailable', 'ACCESS_LOG_DAMAGED', `The access log lacks its subtree ${k.level}/${k.index}`, 'Run `sachsong audit verify` and restore the store from a backup');
    }
    return { ...k, hash };
  });
  return { size, frontier };
}

/** The committed size and the frontier, from O(log n) stored nodes, through Kysely. */
async function loadTreeState(db: Kysely<DB>): Promise<TreeState> {
  const size = await accessLogRepository.treeSize(db);
  const keys = frontierKeys(size);
  return frontierFrom(size, keys, await accessLogRepository.nodes(db, keys));
}

/** The same on a SQLite connection of its own (the writer thread's). */
export function sqliteTreeState(sqlite: SQLite.Database): () => TreeState {
  const head = sqlite.prepare('SELECT tree_size FROM access_log_head WHERE id = 1').pluck();
  const leaf = sqlite.prepare('SELECT leaf_hash FROM access_records WHERE idx = ?').pluck();
  const node = sqlite.prepare('SELECT hash FROM access_log_nodes WHERE level = ? AND idx = ?').pluck();
  return () => {
    const size = (head.get() as number | undefined) ?? 0;
    const keys = frontierKeys(size);
    const found = new Map<string, Buffer>();
    for (const k of keys) {
      const hash = (k.level === 0 ? leaf.get(k.index) : node.get(k.level, k.index)) as Buffer | undefined;
      if (hash !== undefined) found.set(nodeKey(k.level, k.index), hash);
    }
    return frontierFrom(size, keys, found);
  };
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
  if (sqlite !== undefined && options.thread === true && database.location !== ':memory:') return threadWriter(database.location, options.personIndex ?? {}, options.onIndexError, options.journalDir, options.journalSegmentBytes);
  const indexer = sqlite !== undefined
    // Never inside a Kysely transaction on the shared connection: the slice would join it.
    ? indexerLoop(sqlitePersonIndexer(sqlite, options.personIndex), () => !sqlite.inTransaction, options.onIndexError)
    : indexerLoop(postgresPersonIndexer(database.db, options.personIndex), () => true, options.onIndexError);
  // A backlog left by a writer that stopped is taken up at once, not at the first append.
  indexer.poke();
  const tree = sqlite !== undefined ? new FrontierWriter(() => loadTreeState(database.db), sqliteWriter(sqlite, options.busyLimitMs ?? 10_000)) : postgresTree(database);
  return {
    append: async (records) => {
      const first = await tree.commit(records);
      indexer.poke();
      return first;
    },
    depth: 1,
    close: () => indexer.stop(),
    indexed: () => indexer.idle(),
  };
}

/**
 * The batch transaction on one SQLite connection: false, writing nothing, when the committed size
 * is not `expectedSize`. Used on the main thread's connection and by the writer thread.
 */
export function sqliteBatchTransaction(sqlite: SQLite.Database): (expectedSize: number, records: readonly (WrittenRecord | FoldedRecord)[], nodes: readonly TreeNode[], mark?: JournalMark) => boolean {
  // A leaf given as bytes (the journal's fold) is stored as the text it encodes: CAST reads a blob's bytes as UTF-8.
  const insertRecord = sqlite.prepare(`INSERT INTO access_records (${recordColumns.join(', ')}) VALUES (${recordColumns.map((c) => (c === 'leaf' ? 'CAST(? AS TEXT)' : '?')).join(', ')})`);
  const insertNode = sqlite.prepare('INSERT INTO access_log_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const moveHead = sqlite.prepare('UPDATE access_log_head SET tree_size = ? WHERE id = 1 AND tree_size = ?');
  // Prepared on first use: only the writer thread folds the journal (a store migrated before 0016 has no marks table).
  let moveMark: SQLite.Statement<[number, string, number]> | undefined;
  const write = sqlite.transaction((expectedSize: number, records: readonly (WrittenRecord | FoldedRecord)[], nodes: readonly TreeNode[], mark: JournalMark | undefined): boolean => {
    if (moveHead.run(expectedSize + records.length, expectedSize).changes !== 1) return false;
    if (mark !== undefined) {
      moveMark ??= sqlite.prepare<[number, string, number]>('UPDATE access_log_journal_marks SET folded_to = ? WHERE segment = ? AND folded_to = ?');
      // Another folder moved it (a second process recovering the same segment): this batch is in the tree already.
      if (moveMark.run(mark.to, mark.segment, mark.from).changes !== 1) {
        throw new DomainError('unavailable', 'ACCESS_JOURNAL_MARK_MOVED', `The access journal's segment ${mark.segment} was folded past ${mark.from} by another writer`, 'Nothing to do: the batch is not written twice');
      }
    }
    // One single-row statement a record: a prepared 100-row INSERT measured slower (binding 500 values costs more than it saves).
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as WrittenRecord | FoldedRecord;
      insertRecord.run(expectedSize + i, r.person_id, r.deferred_until, r.leaf, r.leaf_hash);
    }
    for (const n of nodes) insertNode.run(n.level, n.index, n.hash);
    return true;
  });
  // BEGIN IMMEDIATE: take the write lock up front; another connection's writer waits up to busy_timeout.
  return (expectedSize, records, nodes, mark) => write.immediate(expectedSize, records, nodes, mark);
}

/** `busyLimitMs`: how long an append waits for another transaction on the shared connection to end. */
function sqliteWriter(sqlite: SQLite.Database, busyLimitMs: number): BatchTransaction {
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
 * A batch as it crosses to the writer thread: strings in arrays, the 32-byte leaf hashes packed
 * in one buffer (moved, not copied). The thread gives the indexes and hashes the subtrees.
 */
export interface ThreadBatch {
  readonly kind: 'batch';
  readonly id: number;
  readonly personIds: readonly string[];
  readonly deferredUntil: readonly (string | null)[];
  readonly leaves: readonly string[];
  readonly leafHashes: ArrayBuffer;
}

/** Fold this journal's segment number `segmentNumber` up to `end` (the segments before it to their ends first). */
export interface ThreadJournalFold {
  readonly kind: 'journal';
  readonly id: number;
  readonly segmentNumber: number;
  readonly end: number;
}

/** What the main thread asks of the writer thread: a batch, a journal fold, the index caught up, or an orderly stop. */
export type ThreadRequest = ThreadBatch | ThreadJournalFold | { readonly kind: 'indexed' | 'close'; readonly id: number };

/** The writer thread's start: its store, the person index's sizes, and the journal with the segments left to fold. */
export interface ThreadWriterData {
  readonly file: string;
  readonly personIndex: PersonIndexOptions;
  readonly journal?: {
    readonly dir: string;
    readonly leftOver: readonly string[];
    /** packPosition of the journal's last write, stored by the main thread after each write. */
    readonly position: SharedArrayBuffer;
    /** The journal's segment names: segmentName(startedMs, pid, n). */
    readonly startedMs: number;
    readonly pid: number;
  };
}

/** The writer thread's answer: the first leaf index of a committed batch, done, or the error it met. */
export type ThreadReply =
  | { readonly id: number; readonly first: number }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly code?: string } }
  /** Unasked: a person-index slice failed (it is tried again after the next batch). */
  | { readonly indexError: { readonly name: string; readonly message: string } };

function threadWriter(file: string, personIndex: PersonIndexOptions, onIndexError: ((error: unknown) => void) | undefined, journalDir: string | undefined, segmentBytes: number | undefined): AccessLogWriter {
  // Before this process's own segment exists: every segment found now is another run's, to fold first.
  const leftOver = journalDir === undefined ? [] : AccessJournal.leftOver(journalDir);
  // Where the journal's last write ended, for the writer thread to poll: no message a write.
  const position = new BigInt64Array(new SharedArrayBuffer(8));
  let written: (p: JournalPosition) => void = () => undefined;
  const journalFile = journalDir === undefined ? undefined : new AccessJournal({ dir: journalDir, onWritten: (p) => { written(p); }, ...(segmentBytes === undefined ? {} : { maxSegmentBytes: segmentBytes }) });
  const workerData: ThreadWriterData = {
    file, personIndex,
    ...(journalDir === undefined || journalFile === undefined ? {} : { journal: { dir: journalDir, leftOver, position: position.buffer, startedMs: journalFile.startedMs, pid: process.pid } }),
  };
  const worker = moduleWorker(import.meta.url, 'access-log.worker', { workerData });
  // Checkpoints beside the writer thread (measured append p99 at 5,000/s: 13-16 ms → 7-12 ms), as
  // often as the writer thread folds the journal: each checkpoint syncs the file twice.
  // Losing the checkpointer costs only latency: the writer's own WAL threshold takes over.
  const checkpointer = startWalCheckpointer(file, 500);
  const waiting = new Map<number, { resolve: (first: number) => void; reject: (error: Error) => void }>();
  let failed: Error | undefined;
  const failAll = (error: Error): void => {
    failed ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    if ('indexError' in reply) {
      onIndexError?.(Object.assign(new Error(reply.indexError.message), { name: reply.indexError.name }));
      return;
    }
    const w = waiting.get(reply.id);
    if (w === undefined) return;
    waiting.delete(reply.id);
    if ('first' in reply) w.resolve(reply.first);
    else if ('done' in reply) w.resolve(-1);
    else if (reply.error.code === 'ACCESS_LOG_CONTENDED' || reply.error.code === 'ACCESS_LOG_DAMAGED' || reply.error.code === 'ACCESS_JOURNAL_MARK_MOVED') w.reject(new DomainError('unavailable', reply.error.code, reply.error.message, 'Retry the request'));
    else w.reject(new DomainError('unavailable', 'ACCESS_LOG_WRITE_FAILED', `The access log's write failed (${reply.error.code ?? reply.error.name}); nothing of the batch was written`, 'Retry the request'));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => { failAll(new Error(`the access log's writer thread stopped (exit code ${code})`)); });
  // An idle writer thread does not keep the process alive; a request in flight does (see ask).
  worker.unref();
  let next = 0;
  const ask = (request: ThreadRequest, transfer: readonly ArrayBuffer[] = []): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      if (waiting.size === 0) worker.ref();
      const settle = (): void => { if (waiting.size === 0) worker.unref(); };
      waiting.set(request.id, { resolve: (w) => { settle(); resolve(w); }, reject: (e) => { settle(); reject(e); } });
      worker.postMessage(request, transfer);
    });
  const stopped = (): Promise<never> => Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_WRITER_STOPPED', 'The access log\'s writer thread has stopped', 'Restart the server'));
  const append = (records: readonly WrittenRecord[]): Promise<number> => {
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
    const batch: ThreadBatch = { kind: 'batch', id: next++, personIds, deferredUntil, leaves, leafHashes: leafHashes.buffer };
    return ask(batch, [batch.leafHashes]);
  };
  const journal = journalFile === undefined ? undefined : threadJournal(journalFile, leftOver.length > 0, (segmentNumber, end) => {
    if (failed !== undefined) return stopped();
    return ask({ kind: 'journal', id: next++, segmentNumber, end });
  });
  if (journal !== undefined) {
    written = (p) => {
      Atomics.store(position, 0, packPosition(p));
      journal.written(p);
    };
  }
  return {
    append,
    ...(journal === undefined ? {} : { journal }),
    // The thread commits batches in the order handed over; a few in flight keep it busy.
    depth: 2,
    indexed: async () => {
      if (failed !== undefined) return stopped();
      await ask({ kind: 'indexed', id: next++ });
    },
    close: async () => {
      if (failed === undefined) {
        // An orderly stop: the thread finishes its slice and closes its connection; terminate if it does not answer.
        const closing = ask({ kind: 'close', id: next++ }).catch(() => -1);
        const timer = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
        await Promise.race([closing, timer]);
      }
      failed ??= new Error('closed');
      await Promise.all([worker.terminate(), checkpointer.stop()]);
    },
  };
}

/**
 * PostgreSQL: appends serialised in the database. Each batch transaction first locks the head row
 * (every node's appends queue there, in commit order); holding it, the transaction reads the
 * committed size, reloads the frontier if another node moved it, and writes the records, their
 * subtrees and the new size. So no append is refused for contention, however many nodes append,
 * and the sequence has no gap and no fork. The frontier is kept between batches only once its
 * transaction has committed.
 */
function postgresTree(database: Database): { commit(records: readonly WrittenRecord[]): Promise<number> } {
  let kept: TreeState | undefined;
  return {
    async commit(records) {
      const state = kept;
      kept = undefined; // until this transaction is known to have committed
      const { size, next } = await database.db.transaction().execute(async (trx) => {
        const head = await sql<{ tree_size: string | number }>`select tree_size from access_log_head where id = 1 for update`.execute(trx);
        const committed = Number(head.rows[0]?.tree_size ?? 0);
        // Another node moved the tree: its frontier, from O(log n) stored subtrees, read under the lock.
        const current = state !== undefined && state.size === committed ? state : frontierFrom(committed, frontierKeys(committed), await accessLogRepository.nodes(trx, frontierKeys(committed)));
        const { frontier, nodes } = extendFrontier(current, records);
        const column = <K extends keyof WrittenRecord>(key: K): WrittenRecord[K][] => records.map((r) => r[key]);
        // The head, the records and their subtrees in one statement: the head row is held for as
        // few round trips as possible, since every node's appends wait for it.
        await sql`
          with moved as (update access_log_head set tree_size = ${committed + records.length} where id = 1),
          appended as (
            insert into access_records (${sql.join(recordColumns.map((c) => sql.ref(c)))})
            select * from unnest(${records.map((_, i) => committed + i)}::bigint[], ${column('person_id')}::text[], ${column('deferred_until')}::text[],
              ${column('leaf')}::text[], ${column('leaf_hash')}::bytea[]))
          insert into access_log_nodes (level, idx, hash)
          select * from unnest(${nodes.map((n) => n.level)}::int[], ${nodes.map((n) => n.index)}::bigint[], ${nodes.map((n) => n.hash)}::bytea[])`.execute(trx);
        return { size: committed, next: { size: committed + records.length, frontier } };
      });
      kept = next;
      return size;
    },
  };
}

/** A journal position as the writer thread polls it: the segment's number in the high 32 bits, its end in the low. */
export function packPosition(p: Pick<JournalPosition, 'segmentNumber' | 'end'>): bigint {
  return (BigInt(p.segmentNumber) << 32n) | BigInt(p.end);
}

export function unpackPosition(packed: bigint): { readonly segmentNumber: number; readonly end: number } {
  return { segmentNumber: Number(packed >> 32n), end: Number(packed & 0xffffffffn) };
}

/**
 * The journal in front of the writer thread. The thread polls the shared position of the last
 * write every 200 ms and folds what is new (no message a write: a message and its
 * answer cost the main thread more than the journal's write itself). `settled` asks for a fold at
 * once and waits for the one that covers what was written before it was called.
 */
function threadJournal(journal: AccessJournal, recovering: boolean, fold: (segmentNumber: number, end: number) => Promise<number>): WriterJournal & { written(position: JournalPosition): void } {
  let latest: JournalPosition | undefined;
  let folded = 0;
  let asking = false;
  let settling: { readonly total: number; readonly resolve: () => void; readonly reject: (error: unknown) => void }[] = [];
  // Left-over segments are folded before anything new: a first request, of nothing of the new segment, carries them.
  const recover = (): Promise<void> => fold(0, 0).then(() => undefined);
  let recovery: Promise<void> | undefined;
  let closed = false;
  const askFold = (): void => {
    // After close the writer thread's orderly stop folds the rest.
    if (closed || asking || latest === undefined || latest.total <= folded || settling.length === 0) return;
    asking = true;
    const target = latest;
    fold(target.segmentNumber, target.end).then(
      () => {
        asking = false;
        folded = Math.max(folded, target.total);
        const still: typeof settling = [];
        for (const s of settling) {
          if (s.total <= folded) s.resolve();
          else still.push(s);
        }
        settling = still;
        askFold();
      },
      (error: unknown) => {
        asking = false;
        // The records are safe in the journal; readers waiting for them are told (the thread's polls go on).
        for (const s of settling) s.reject(error);
        settling = [];
      },
    );
  };
  const startRecovery = (): void => {
    const attempt = recover();
    recovery = attempt;
    attempt.then(() => { recovery = undefined; }, () => undefined);
  };
  if (recovering) startRecovery();
  // The records of a turn's shared reads (officials' reads) written in that same turn.
  const stopExpecting = onSharedReadTurn(() => { journal.expectAppends(); });
  return {
    written: (position) => { latest = position; },
    append: (entry) => journal.append(entry),
    settled: async () => {
      if (recovery !== undefined) {
        try {
          await recovery;
        } catch (error) {
          startRecovery();
          throw error;
        }
      }
      const total = latest?.total ?? 0;
      if (total <= folded) return;
      await new Promise<void>((resolve, reject) => { settling.push({ total, resolve, reject }); askFold(); });
    },
    close: () => {
      stopExpecting();
      journal.close();
      closed = true;
    },
  };
}
