import type SQLite from 'better-sqlite3';
import { driverOf } from './database.js';

/** Where a change counter is read: synchronously on a SQLite connection, through a query otherwise. */
export interface ChangeCounterSource {
  /** The SQLite connection and its prepared read of the counter; undefined on PostgreSQL. */
  readonly sqlite?: { readonly connection: { readonly inTransaction: boolean }; readonly counter: () => number } | undefined;
  /** The counter through the query builder (on SQLite it waits for an open transaction to end). */
  read(): Promise<number>;
}

/** A synchronous read of a one-row counter table, prepared at first use (the table exists once migrated). */
export function sqliteCounterRead(sqlite: SQLite.Database, table: string): () => number {
  let statement: SQLite.Statement | undefined;
  return () => {
    statement ??= sqlite.prepare(`SELECT counter FROM ${table} WHERE id = 1`).pluck();
    return (statement.get() as number | undefined) ?? 0;
  };
}

/**
 * The source for a one-row counter table of the store behind `db`: read synchronously on its
 * SQLite connection, through `read` (the module's repository) everywhere else. Modules build their
 * watches with it, so that only the store reaches the driver.
 *
 * @example
 * const watch = new ChangeCounterWatch(counterSource(db, 'identity_changes', () => identityChangeRepository.read(db)), () => cache.clear());
 */
export function counterSource(db: object, table: string, read: () => Promise<number>): ChangeCounterSource {
  const sqlite = driverOf(db)?.sqlite;
  return { sqlite: sqlite === undefined ? undefined : { connection: sqlite, counter: sqliteCounterRead(sqlite, table) }, read };
}

/**
 * Keeps an in-memory cache true to a store's change counter (a one-row table every change bumps in
 * its own transaction, by any process): `onChange` empties the cache whenever the counter differs
 * from the one it was filled under. The counter is looked at once per event-loop turn, not once a
 * call:
 * - SQLite: synchronously, at the first check of the turn (one prepared read, a few µs), except
 *   while a transaction is open on the connection: a read inside it would see its snapshot, not
 *   later commits of other processes, and its own uncommitted bump;
 * - PostgreSQL: one query at a time for every caller waiting; a caller that arrives while one is in
 *   flight waits for the next, so it sees every commit made before it arrived.
 *
 * @example
 * const watch = new ChangeCounterWatch({ read: () => changes.read(db) }, () => cache.clear());
 * await watch.check(); // then the cache may be read
 */
export class ChangeCounterWatch {
  private mark: number | undefined;
  private turnChecked = false;
  private counterRead: Promise<void> | undefined;
  private nextCounterRead: Promise<void> | undefined;

  constructor(private readonly source: ChangeCounterSource, private readonly onChange: () => void) {}

  /** SQLite only: brings the cache up to the store at the turn's first check; true when it may be used now. */
  checkNow(): boolean {
    const s = this.source.sqlite;
    if (s === undefined || s.connection.inTransaction) return false;
    if (this.turnChecked) return true;
    this.turnChecked = true;
    setImmediate(this.endTurn);
    this.seen(s.counter());
    return true;
  }

  /** Resolves once the cache reflects every change committed before this call. */
  async check(): Promise<void> {
    if (this.source.sqlite === undefined) return this.checkShared();
    if (!this.checkNow()) this.seen(await this.source.read());
  }

  private seen(mark: number): void {
    if (mark !== this.mark) {
      this.onChange();
      this.mark = mark;
    }
  }

  private readonly endTurn = (): void => {
    this.turnChecked = false;
  };

  private checkShared(): Promise<void> {
    if (this.counterRead === undefined) return this.readCounter();
    // The read in flight may have started before this call arrived: wait for the next one.
    this.nextCounterRead ??= this.counterRead.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.nextCounterRead;
  }

  private startNext(): Promise<void> {
    this.nextCounterRead = undefined;
    return this.counterRead ?? this.readCounter();
  }

  private readCounter(): Promise<void> {
    const read = this.source.read().then((mark) => {
      this.seen(mark);
    });
    this.counterRead = read.finally(() => {
      this.counterRead = undefined;
    });
    return this.counterRead;
  }
}
