import { DomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import type { AccessLog, AccessRecordInput, AppendReceipt } from './access-log.types.js';
import { createAccessBatchWriter, type AccessLogWriter } from './access-log.writer.js';
import type { PersonIndexOptions } from './person-index.writer.js';
import { journalDirOf, journalLine, templatedRecords, type JournaledRecord, type TemplatedLeaves } from './access-journal.format.js';
import { prepareAccessLeaf, prepareAccessRecord, type PreparedAccessRecord } from './access-record.js';

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
  /**
   * With the writer thread: a write-ahead journal in front of the tree (access-journal.ts) for
   * appendUnindexed, in this folder. Default: `<store file>.journal.d`; false for none.
   */
  readonly journal?: string | false;
  /** The journal's segment size in bytes (default 64 MiB): a new segment is begun past it. */
  readonly journalSegmentBytes?: number;
}

/** An access log opened for appending. */
export interface AppendingAccessLog extends AccessLog {
  appendUnindexed(records: readonly AccessRecordInput[]): Promise<void>;
  appendLeaves(leaves: TemplatedLeaves): Promise<void>;
  /** Resolves once every record acknowledged before the call is in the tree (readers of the log call it first). */
  settled(): Promise<void>;
  /** Resolves when the person index has caught up with every run due (tests, benchmarks). */
  indexed(): Promise<void>;
}

interface Pending {
  readonly records: readonly PreparedAccessRecord[];
  readonly resolve: (receipts: readonly AppendReceipt[]) => void;
  readonly reject: (error: unknown) => void;
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
  const thread = options.writerThread ?? false;
  const journalDir = !thread || options.journal === false || database.location === ':memory:' ? undefined : options.journal ?? journalDirOf(database.location);
  const writer = createAccessBatchWriter(database, { ...options, thread, ...(journalDir === undefined ? {} : { journalDir }) });
  return new GroupCommitAccessLog(writer, options.lingerMs ?? (options.writerThread === true ? 0 : 1), options.maxBatch ?? 5_000, options.onCommit);
}

class GroupCommitAccessLog implements AppendingAccessLog {
  private queue: Pending[] = [];
  private queued = 0;
  /** Cancels the pending drain (a linger timer, or the end of the turn). */
  private cancelDrain: (() => void) | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
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

  appendUnindexed(records: readonly AccessRecordInput[]): Promise<void> {
    const journal = this.writer.journal;
    if (journal === undefined) return this.appendMany(records).then(() => undefined);
    if (this.closed) {
      return Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_CLOSED', 'The access log is closed', 'Retry on a running server'));
    }
    let lines = '';
    try {
      for (const record of records) lines += journalLine(prepareAccessLeaf(record));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return lines === '' ? Promise.resolve() : journal.append(lines);
  }

  appendLeaves(leaves: TemplatedLeaves): Promise<void> {
    const journal = this.writer.journal;
    if (journal === undefined) return this.appendMany(templatedRecords(leaves).map((r) => recordOfLeaf(r))).then(() => undefined);
    if (this.closed) {
      return Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_CLOSED', 'The access log is closed', 'Retry on a running server'));
    }
    if (leaves.personIds.length === 0) return Promise.resolve();
    // The template's bytes and the read's three values go to the journal; the fold assembles the leaves.
    return journal.append(leaves);
  }

  async settled(): Promise<void> {
    await this.writer.journal?.settled();
  }

  async indexed(): Promise<void> {
    await this.settled();
    await this.writing;
    await this.writer.indexed();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    this.drain();
    await this.writing;
    // What the journal holds is folded by the writer's orderly stop (or by the next start).
    this.writer.journal?.close();
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
      // Up to the writer's depth of batches are handed over at once; they commit in that order.
      const inFlight: Promise<void>[] = [];
      while (this.queue.length > 0 || inFlight.length > 0) {
        while (this.queue.length > 0 && inFlight.length < this.writer.depth) inFlight.push(this.commit(this.takeBatch()));
        await inFlight.shift();
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** The oldest appends, up to maxBatch records (a single larger appendMany goes whole). */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + (this.queue[0]?.records.length ?? 0) <= this.maxBatch)) {
      const next = this.queue.shift();
      if (next === undefined) break;
      batch.push(next);
      count += next.records.length;
    }
    this.queued -= count;
    return batch;
  }

  /** One transaction for the batch's records; each append learns its indexes, or the error. */
  private async commit(batch: readonly Pending[]): Promise<void> {
    const records = batch.flatMap((p) => p.records);
    try {
      const first = await this.writer.append(records);
      this.onCommit?.(records.length);
      let offset = first;
      for (const pending of batch) {
        const at = offset;
        pending.resolve(pending.records.map((r, i) => ({ index: at + i, leafHash: r.leaf_hash.toString('hex') })));
        offset += pending.records.length;
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}

/** The record a canonical leaf states (the path without a journal checks it again as it appends). */
function recordOfLeaf(record: JournaledRecord): AccessRecordInput {
  return JSON.parse(record.leaf) as AccessRecordInput;
}
