import { DomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import { accessLogRepository, nodeKey } from './access-log.repository.js';
import type { AccessLog, AccessRecordInput, AppendReceipt } from './access-log.types.js';
import { createAccessBatchWriter, type AccessLogWriter } from './access-log.writer.js';
import type { PersonIndexOptions } from './person-index.writer.js';
import { prepareAccessRecord, type PreparedAccessRecord } from './access-record.js';
import { frontierKeys, nodeHash, type TreeNode } from './merkle-tree.js';

export interface AccessLogOptions {
  /**
   * How long the first buffered append waits for others to share its transaction. Default 1 ms;
   * 0 with a writer thread, where appends gather while a batch is on the thread, so 0 ends the
   * wait with the event-loop turn.
   */
  readonly lingerMs?: number;
  /** Records per transaction at most (a single appendMany larger than this still goes in one). Default 5,000. */
  readonly maxBatch?: number;
  /** Called after each committed transaction with its number of records (for metrics and tests). */
  readonly onCommit?: (records: number) => void;
  /** SQLite: how long a write waits for another transaction on the shared connection to end. Default 10 s. */
  readonly busyLimitMs?: number;
  /**
   * SQLite file stores: run each transaction, and the person index behind them, on a writer
   * thread with its own connection, so that the main thread prepares the next batch (validation,
   * canonical JSON, hashes) meanwhile. On for the access log's own store (access-log.store.ts).
   * Off when the log shares the registry's file: there each commit by another connection changes
   * the store's data_version, which empties the exchange's consent cache (measured: exchange
   * verify 3,719 → 2,355 req/s with it on).
   */
  readonly writerThread?: boolean;
  /** The tracker's person index (run and slice sizes): written behind the appends. */
  readonly personIndex?: PersonIndexOptions;
  /** Told when a slice of the person index failed (it is tried again after the next append). */
  readonly onIndexError?: (error: unknown) => void;
}

/** An access log opened for appending. */
export interface AppendingAccessLog extends AccessLog {
  /** Resolves when the person index has caught up with every run due (tests, benchmarks). */
  indexed(): Promise<void>;
}

interface Pending {
  readonly records: readonly PreparedAccessRecord[];
  readonly resolve: (receipts: readonly AppendReceipt[]) => void;
  readonly reject: (error: unknown) => void;
}

interface TreeState {
  readonly size: number;
  readonly frontier: readonly TreeNode[];
}

/**
 * Opens the access log of a store for appending. Keep one per process and share it: appends are
 * group-committed (concurrent calls share one transaction), and the tree's frontier is kept in
 * memory. Writers in other processes are detected (the committed size moved) and resolved by
 * reloading the frontier, so several processes may append to one store.
 *
 * @example
 * const accessLog = openAccessLog(database);
 * const { index, leafHash } = await accessLog.append(record); // durable now: release the data
 */
export function openAccessLog(database: Database, options: AccessLogOptions = {}): AppendingAccessLog {
  const writer = createAccessBatchWriter(database, {
    ...(options.busyLimitMs === undefined ? {} : { busyLimitMs: options.busyLimitMs }),
    thread: options.writerThread ?? false,
    ...(options.personIndex === undefined ? {} : { personIndex: options.personIndex }),
    ...(options.onIndexError === undefined ? {} : { onIndexError: options.onIndexError }),
  });
  return new GroupCommitAccessLog(database, writer, options.lingerMs ?? (options.writerThread === true ? 0 : 1), options.maxBatch ?? 5_000, options.onCommit);
}

class GroupCommitAccessLog implements AppendingAccessLog {
  private queue: Pending[] = [];
  private queued = 0;
  /** Cancels the pending drain (a linger timer, or the end of the turn). */
  private cancelDrain: (() => void) | undefined;
  private writing: Promise<void> | undefined;
  private state: TreeState | undefined;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly writer: AccessLogWriter,
    private readonly lingerMs: number,
    private readonly maxBatch: number,
    private readonly onCommit: ((records: number) => void) | undefined,
  ) {}

  async append(record: AccessRecordInput): Promise<AppendReceipt> {
    const [receipt] = await this.appendMany([record]);
    if (receipt === undefined) throw new Error('the access log returned no receipt');
    return receipt;
  }

  appendMany(records: readonly AccessRecordInput[]): Promise<readonly AppendReceipt[]> {
    if (this.closed) {
      return Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_CLOSED', 'The access log is closed', 'Retry on a running server'));
    }
    let canonical: PreparedAccessRecord[];
    try {
      // Validation, leaf and leaf hash for the whole batch in one tight loop; the index is given at commit.
      canonical = new Array<PreparedAccessRecord>(records.length);
      for (let i = 0; i < records.length; i++) canonical[i] = prepareAccessRecord(records[i] as AccessRecordInput);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (canonical.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ records: canonical, resolve, reject });
      this.queued += canonical.length;
      this.schedule();
    });
  }

  async indexed(): Promise<void> {
    await this.writing;
    await this.writer.indexed();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    this.drain();
    await this.writing;
    await this.writer.close();
  }

  private schedule(): void {
    // While a transaction is being written, new appends gather; the write loop takes them next.
    if (this.writing !== undefined) return;
    if (this.queued >= this.maxBatch) {
      this.cancelTimer();
      this.drain();
      return;
    }
    if (this.cancelDrain !== undefined) return;
    const fire = (): void => {
      this.cancelDrain = undefined;
      this.drain();
    };
    if (this.lingerMs <= 0) {
      const immediate = setImmediate(fire);
      this.cancelDrain = () => { clearImmediate(immediate); };
    } else {
      const timer = setTimeout(fire, this.lingerMs);
      this.cancelDrain = () => { clearTimeout(timer); };
    }
  }

  private cancelTimer(): void {
    this.cancelDrain?.();
    this.cancelDrain = undefined;
  }

  private drain(): void {
    if (this.writing !== undefined || this.queue.length === 0) return;
    this.writing = (async () => {
      while (this.queue.length > 0) {
        const batch: Pending[] = [];
        let count = 0;
        while (this.queue.length > 0 && (batch.length === 0 || count + (this.queue[0]?.records.length ?? 0) <= this.maxBatch)) {
          const next = this.queue.shift();
          if (next === undefined) break;
          batch.push(next);
          count += next.records.length;
        }
        this.queued -= count;
        try {
          const receipts = await this.commit(batch.flatMap((p) => p.records));
          let offset = 0;
          for (const pending of batch) {
            pending.resolve(receipts.slice(offset, offset + pending.records.length));
            offset += pending.records.length;
          }
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** Writes one transaction; retries with a reloaded frontier when another writer moved the tree. */
  private async commit(records: readonly PreparedAccessRecord[]): Promise<AppendReceipt[]> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const state = this.state ?? (await this.load());
      this.state = undefined; // until this write is known to have committed (or not)
      const frontier = [...state.frontier];
      const nodes: TreeNode[] = [];
      const receipts = new Array<AppendReceipt>(records.length);
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as PreparedAccessRecord;
        const index = state.size + i;
        // appendToFrontier inlined: level 0 is the record's own leaf_hash column, so only the
        // interior subtrees the leaf completes go to the nodes table.
        let level = 0;
        let hash = record.leaf_hash;
        for (let last = frontier.at(-1); last?.level === level; last = frontier.at(-1)) {
          frontier.pop();
          hash = nodeHash(last.hash, hash);
          level++;
          // `last` is the left sibling (an even index): the parent is one level up at half its index.
          nodes.push({ level, index: last.index / 2, hash });
        }
        frontier.push(level === 0 ? { level, index, hash } : (nodes.at(-1) as TreeNode));
        receipts[i] = { index, leafHash: record.leaf_hash.toString('hex') };
      }
      if (await this.writer.write(state.size, records, nodes)) {
        this.state = { size: state.size + records.length, frontier };
        this.onCommit?.(records.length);
        return receipts;
      }
    }
    throw new DomainError('unavailable', 'ACCESS_LOG_CONTENDED', 'The access log is being appended to by other writers', 'Retry the request');
  }

  /** The committed size and the frontier of the tree, from O(log n) stored nodes. */
  private async load(): Promise<TreeState> {
    const size = await accessLogRepository.treeSize(this.database.db);
    const keys = frontierKeys(size);
    const found = await accessLogRepository.nodes(this.database.db, keys);
    const frontier = keys.map((k) => {
      const hash = found.get(nodeKey(k.level, k.index));
      if (hash === undefined) {
        throw new DomainError('unavailable', 'ACCESS_LOG_DAMAGED', `The access log lacks its subtree ${k.level}/${k.index}`, 'Run `sachsong audit verify` and restore the store from a backup');
      }
      return { ...k, hash };
    });
    return { size, frontier };
  }
}
