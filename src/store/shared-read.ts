import type SQLite from 'better-sqlite3';
import { driverOf } from './database.js';

/** A queued read, bound to its promise: `run` reads on the connection, `fallBack` the caller's other way. */
interface QueuedRead {
  readonly run: () => void;
  readonly fallBack: () => void;
}

/** A synchronous result: a read that returned a promise would finish outside the shared snapshot. */
export type Synchronous<T> = T extends PromiseLike<unknown> ? never : T;

/**
 * The reads queued on one SQLite connection during one event-loop turn. They run together at the
 * turn's end (setImmediate: after every request that arrived in the turn has been parsed) inside
 * one read transaction. In WAL mode each transaction of its own costs two lock calls and a stat of
 * the file (~5 µs of a ~14 µs lookup by ID), so under load a shared one pays that once per turn
 * rather than once per request.
 *
 * Every read sees the store as committed when the turn ended, never earlier than when its request
 * arrived. Results are handed over only after the transaction ends: promise continuations run as
 * microtasks, after this synchronous flush.
 */
class ReadTurn {
  private queue: QueuedRead[] = [];
  private scheduled = false;
  private readonly begin: SQLite.Statement;
  private readonly commit: SQLite.Statement;

  constructor(private readonly sqlite: SQLite.Database) {
    this.begin = sqlite.prepare('BEGIN');
    this.commit = sqlite.prepare('COMMIT');
  }

  add<T>(read: () => Synchronous<T>, fallback: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        run: () => {
          try {
            resolve(read());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        fallBack: () => { Promise.resolve().then(fallback).then(resolve, reject); },
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
        for (const listener of turnListeners) listener();
      }
    });
  }

  private readonly flush = (): void => {
    const queue = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (!this.sqlite.open || this.sqlite.inTransaction) {
      // A transaction left open across turns (Kysely's are async) would let the reads see its
      // uncommitted rows: the callers' own way waits for it instead.
      for (const q of queue) q.fallBack();
      return;
    }
    const shared = queue.length > 1 && this.tryBegin();
    try {
      for (const q of queue) q.run();
    } finally {
      if (shared) this.end();
    }
  };

  /** False when no transaction could be begun: each read then runs in its own, as it would alone. */
  private tryBegin(): boolean {
    try {
      this.begin.run();
      return true;
    } catch {
      return false;
    }
  }

  private end(): void {
    // Nothing was written, so nothing can be lost: if COMMIT fails, a ROLLBACK ends it the same.
    if (!this.sqlite.inTransaction) return;
    try {
      this.commit.run();
    } catch {
      this.rollback();
    }
  }

  private rollback(): void {
    try {
      if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
    } catch {
      // reported below: the reads have their answers, but the connection is stuck in a transaction
    }
    if (this.sqlite.inTransaction) {
      process.emitWarning('a shared read transaction could neither commit nor roll back; the SQLite connection is still inside it', { code: 'SACHSONG_SHARED_READ_STUCK' });
    }
  }
}

const turns = new WeakMap<SQLite.Database, ReadTurn>();
const turnListeners = new Set<() => void>();

/**
 * Calls `listener` whenever a turn of shared reads is scheduled, right after its setImmediate: an
 * immediate the listener schedules then runs in the same check phase, after the reads and the
 * promise continuations they resolve. The access journal uses it to write the records of the
 * turn's reads in the same event-loop turn, instead of the next one. Returns the unsubscribe.
 *
 * @example
 * const stop = onSharedReadTurn(() => { journal.expectAppends(); });
 */
export function onSharedReadTurn(listener: () => void): () => void {
  turnListeners.add(listener);
  return () => { turnListeners.delete(listener); };
}

/**
 * Runs a synchronous read on the SQLite connection behind `db` together with the other reads of
 * this event-loop turn, in one read transaction; `fallback` reads the same through Kysely when that
 * is not possible (PostgreSQL, or a transaction open on the connection when the turn ends).
 * `read` must only read, and only on that connection.
 *
 * @example
 * const byId = directStatement<[string], PersonValues>(db, sql, { raw: true });
 * const values = await sharedRead(db, () => byId?.get(id), () => readThroughKysely(db, id));
 */
export function sharedRead<T>(db: object, read: () => Synchronous<T>, fallback: () => Promise<T>): Promise<T> {
  const sqlite = driverOf(db)?.sqlite;
  if (sqlite === undefined) return fallback();
  let turn = turns.get(sqlite);
  if (turn === undefined) {
    try {
      turn = new ReadTurn(sqlite);
    } catch {
      // a closed connection cannot prepare BEGIN: the caller's own way reports it
      return fallback();
    }
    turns.set(sqlite, turn);
  }
  return turn.add(read, fallback);
}
