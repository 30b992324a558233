import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../shared/domain-error.js';
import { encodeFrameInto, frameBytesAtMost, segmentName, segmentWriterPid, type JournalEntry } from './access-journal.format.js';

/** Where a write of the journal ended: the segment, its length, and every byte this journal wrote so far. */
export interface JournalPosition {
  readonly segment: string;
  /** The segment's number in its name (segmentName). */
  readonly segmentNumber: number;
  readonly end: number;
  readonly total: number;
}

export interface AccessJournalOptions {
  /** The journal's folder (made if missing). */
  readonly dir: string;
  /** A segment is closed and a new one begun once it holds this many bytes. Default 64 MiB. */
  readonly maxSegmentBytes?: number;
  /** Told after each write that reached the file. */
  readonly onWritten: (position: JournalPosition) => void;
  /** The write call (tests give a failing one); fs.writeSync's signature. */
  readonly write?: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;
}

/**
 * The access log's write-ahead journal, on the main thread: the records of every append made
 * during one event-loop turn go to the end of the current segment file in ONE write, at the end of
 * the turn, and the appends resolve as soon as that write returned. The writer thread then folds
 * the journal into the Merkle tree (access-journal.folder.ts), in big transactions, off the path
 * of the answer.
 *
 * Durability is that of the log's SQLite store (WAL, synchronous=NORMAL): a written frame is in
 * the operating system's cache, so it survives the process being killed; neither survives a
 * power cut before the next flush to disk. A write that fails (a full disk) is cut off again, its
 * appends reject and nothing of them is acknowledged: the data they guard must not leave.
 *
 * @example
 * const journal = new AccessJournal({ dir, onWritten: (p) => { tellWriter(p); } });
 * await journal.append(lines); // durable now: release the data
 */
export class AccessJournal {
  private readonly maxSegmentBytes: number;
  private readonly write: NonNullable<AccessJournalOptions['write']>;
  /** When this journal began: the first part of its segments' names. */
  readonly startedMs = Date.now();
  private segmentNumber = 0;
  private currentNumber = 0;
  private segment = '';
  private fd = -1;
  private offset = 0;
  private total = 0;
  private pending: JournalEntry[] = [];
  /** The turn's one promise, shared by every append of the turn (an allocation less a read). */
  private turn: { readonly promise: Promise<void>; readonly resolve: () => void; readonly reject: (error: Error) => void } | undefined;
  private broken: Error | undefined;
  private closed = false;
  /** A flush is scheduled (setImmediate) and has not run yet. */
  private flushScheduled = false;
  /**
   * The turn's frame is encoded here and written from here: a turn of officers' reads (several
   * KiB) would otherwise take two fresh buffers past Buffer's pool each turn. A larger turn (a
   * bulk job's) gets a buffer of its own, so this one stays small.
   */
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);

  constructor(private readonly options: AccessJournalOptions) {
    this.maxSegmentBytes = options.maxSegmentBytes ?? 64 * 1024 * 1024;
    this.write = options.write ?? writeSync;
    mkdirSync(options.dir, { recursive: true });
    this.begin();
  }

  /** The segments left by processes that are no longer running (or by an earlier run of this pid): to be folded first. */
  static leftOver(dir: string, ownPid: number = process.pid, isRunning: (pid: number) => boolean = pidRunning): string[] {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => {
        const pid = segmentWriterPid(name);
        // A segment of a process still running is its own to append to (two servers on one data folder).
        return pid !== undefined && (pid === ownPid || !isRunning(pid));
      })
      .sort();
  }

  /** The segment now written to (the next fold request names it). */
  get currentSegment(): string {
    return this.segment;
  }

  /**
   * Appends `entry` (whole journal lines, or a read's records from a leaf template) with the turn's
   * other appends; resolves once written.
   */
  append(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new DomainError('unavailable', 'ACCESS_LOG_CLOSED', 'The access log is closed', 'Retry on a running server'));
    this.pending.push(entry);
    if (this.turn === undefined) {
      let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
      const promise = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
      // The executor has run: settle is set.
      const { resolve, reject } = settle as { resolve: () => void; reject: (error: Error) => void };
      this.turn = { promise, resolve, reject };
      this.scheduleFlush();
    }
    return this.turn.promise;
  }

  /**
   * Schedules the turn's write now, ahead of the appends it will take: called as a turn of shared
   * reads is scheduled (store/shared-read.ts), the write then runs in the same check phase right
   * after those reads, and takes the records their requests append meanwhile. With nothing
   * appended by then it does nothing.
   */
  expectAppends(): void {
    if (!this.closed) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /** Writes what is pending and stops taking appends. The files stay for the writer thread to fold. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const turn = this.turn;
    this.turn = undefined;
    if (turn === undefined || this.pending.length === 0) return;
    const most = frameBytesAtMost(this.pending);
    const frame = most <= this.scratch.length ? this.scratch : Buffer.allocUnsafe(most);
    const length = encodeFrameInto(frame, this.pending);
    this.pending = [];
    const at = this.offset;
    try {
      // No segment since a failure: try again to begin one (space may have been freed).
      if (this.fd < 0) this.begin();
      if (this.broken !== undefined) throw this.broken;
      for (let done = 0; done < length;) done += this.write(this.fd, frame, done, length - done, at + done);
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      this.cutBack(at);
      turn.reject(this.failure(cause));
      return;
    }
    this.offset = at + length;
    this.total += length;
    turn.resolve();
    this.options.onWritten({ segment: this.segment, segmentNumber: this.currentNumber, end: this.offset, total: this.total });
    if (this.offset >= this.maxSegmentBytes) this.rotate();
  };

  private failure(cause: Error): DomainError {
    const code = (cause as NodeJS.ErrnoException).code ?? cause.name;
    return new DomainError('unavailable', 'ACCESS_LOG_WRITE_FAILED', `The access log's write failed (${code}); nothing of it was acknowledged`, 'Retry the request; if it persists, free space under the data folder');
  }

  /** A failed write may have left part of its frame: cut it off, or go on in a new segment (the torn tail of the old one is never acknowledged, and ends what is read of it). */
  private cutBack(at: number): void {
    try {
      ftruncateSync(this.fd, at);
      return;
    } catch {
      // The folder reads a closed segment up to its first torn frame.
    }
    this.rotate();
  }

  private rotate(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closing a file whose write failed may fail too; the new segment is what matters.
    }
    this.fd = -1;
    this.begin();
  }

  private begin(): void {
    try {
      // A new number each attempt: a failed attempt may have left its file.
      const number = this.segmentNumber++;
      const name = segmentName(this.startedMs, process.pid, number);
      const fd = openSync(path.join(this.options.dir, name), 'wx');
      // The new file's name durable in its folder, as a record in it will be.
      const dir = openSync(this.options.dir, 'r');
      try { fsyncSync(dir); } finally { closeSync(dir); }
      this.segment = name;
      this.currentNumber = number;
      this.fd = fd;
      this.offset = 0;
      this.broken = undefined;
    } catch (error) {
      // No segment to write to: appends are refused until one can be begun.
      this.broken = error instanceof Error ? error : new Error(String(error));
    }
  }
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
