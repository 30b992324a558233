import type { Kysely } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { ChangeCounterWatch, counterSource } from '../store/change-counter.watch.js';
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
 * Authenticated sessions held in memory, keyed by the session id the cookie carries, so that a
 * request neither reads the session and its officer from the store nor hashes its cookie (the
 * store keeps only hashes; the ids held here live no longer than the process and go at every
 * emptying).
 *
 * A revocation, sign-out, suspension, role or unit change or second factor reset made by any
 * process holds on the next request: each bumps the store's identity change counter in its own
 * transaction (triggers, migration 0013), and the cache is emptied whenever the counter differs
 * from the one it was filled under, looked at once per event-loop turn
 * (src/store/change-counter.watch.ts). Changes made through this process also empty it at once
 * (`invalidate`).
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, T>();
  private readonly changes: ChangeCounterWatch;
  /** Bumped at every emptying: an entry read from the store before one is not kept. */
  private generationValue = 0;

  constructor(db: Kysely<DB>, private readonly maxEntries = 50_000) {
    this.changes = new ChangeCounterWatch(counterSource(db, 'identity_changes', () => identityChangeRepository.read(db)), () => { this.invalidate(); });
  }

  /** The entry when it is known current (the counter checked), or undefined. */
  async get(key: string): Promise<T | undefined> {
    await this.changes.check();
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
}
