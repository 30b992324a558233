import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { driverOf } from '../store/database.js';
import type { DB } from '../store/database.types.js';

/** The identity change counter (one row, migration 0013; triggers bump it with every change). */
export const identityChangeRepository = {
  /** The counter now (0 when the row is missing: a store not migrated to 0013). */
  async read(db: Executor): Promise<number> {
    const row = await db.selectFrom('identity_changes').select('counter').where('id', '=', 1).executeTakeFirst();
    return row?.counter ?? 0;
  },
};

/**
 * Authenticated sessions held in memory, keyed by the hash of the session id, so that a request
 * does not read the session and its officer from the store.
 *
 * A revocation, sign-out, suspension, role or unit change or second factor reset made by any
 * process holds on the next request: each bumps the store's identity change counter in its own
 * transaction (triggers, migration 0013), and the cache is emptied whenever the counter differs
 * from the one it was filled under. The counter is looked at once per event-loop turn:
 * - SQLite: synchronously, at the first lookup of the turn (one prepared read);
 * - PostgreSQL: one query at a time for every lookup waiting; a lookup that arrives while one is in
 *   flight waits for the next, so it sees every commit made before it arrived.
 * Changes made through this process also empty it at once (`invalidate`).
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, T>();
  private readonly sqlite: SQLite.Database | undefined;
  private counterStatement: SQLite.Statement | undefined;
  private mark: number | undefined;
  /** Bumped at every emptying: an entry read from the store before one is not kept. */
  private generationValue = 0;
  private turnChecked = false;
  private counterRead: Promise<void> | undefined;
  private nextCounterRead: Promise<void> | undefined;

  constructor(private readonly db: Kysely<DB>, private readonly maxEntries = 50_000) {
    this.sqlite = driverOf(db)?.sqlite;
  }

  /** The entry when it is known current (the counter checked), or undefined. */
  async get(key: string): Promise<T | undefined> {
    if (this.sqlite === undefined) await this.checkAsync();
    else if (!this.checkSync()) this.emptyUnder(await identityChangeRepository.read(this.db));
    return this.entries.get(key);
  }

  /** Take it before reading the store; `set` keeps the entry only if nothing was emptied since. */
  generation(): number {
    return this.generationValue;
  }

  set(key: string, generation: number, entry: T): void {
    if (generation !== this.generationValue) return;
    // Bounded: a flood of sessions must not grow memory without end.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  invalidate(): void {
    this.generationValue += 1;
    this.entries.clear();
  }

  private emptyUnder(mark: number): void {
    if (mark !== this.mark) {
      this.invalidate();
      this.mark = mark;
    }
  }

  /**
   * SQLite: brings the cache up to the store at the turn's first lookup; false while a transaction
   * is open on the connection (a read inside it would see its snapshot, not later commits).
   */
  private checkSync(): boolean {
    const s = this.sqlite;
    if (s === undefined || s.inTransaction) return false;
    if (this.turnChecked) return true;
    this.turnChecked = true;
    setImmediate(this.endTurn);
    this.counterStatement ??= s.prepare('SELECT counter FROM identity_changes WHERE id = 1').pluck();
    this.emptyUnder((this.counterStatement.get() as number | undefined) ?? 0);
    return true;
  }

  private readonly endTurn = (): void => {
    this.turnChecked = false;
  };

  private checkAsync(): Promise<void> {
    if (this.counterRead === undefined) return this.readCounter();
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
    const read = identityChangeRepository.read(this.db).then((mark) => {
      this.emptyUnder(mark);
    });
    this.counterRead = read.finally(() => {
      this.counterRead = undefined;
    });
    return this.counterRead;
  }
}
