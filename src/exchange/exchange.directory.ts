import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { driverOf } from '../store/database.js';
import type { DB } from '../store/database.types.js';
import { exchangeChangeRepository, sqliteChangeStatements, type SqliteChangeStatements } from './exchange-change.repository.js';
import type { Client, Grant, Member } from './exchange.types.js';
import { grantRepository } from './grant.repository.js';
import { memberRepository } from './member.repository.js';

/** Everything the request pipeline needs to know about one client, held in memory. */
export interface ClientEntry {
  readonly client: Client;
  readonly member: Member;
  /** Active officer ids of the client's member. */
  readonly officers: ReadonlySet<string>;
  /** Active grants by service. */
  readonly grants: ReadonlyMap<string, readonly Grant[]>;
}

/**
 * A read-through cache of clients, their member, officers and grants, so that a call does not
 * read them from the store.
 *
 * A change made by any process (this server, the CLI, another node) holds on the next call: every
 * change bumps the store's change counter (exchange_changes, migration 0008) in its own
 * transaction, and the cache is emptied whenever the counter differs from the one it was filled
 * under. The counter is looked at once per event-loop turn, not once per call:
 * - SQLite: synchronously, at the first call of the turn: one prepared read of the counter row
 *   (a read transaction of its own, a few µs, shared by every call of the turn).
 * - PostgreSQL: one query at a time for every call waiting; a call that arrives while one is in
 *   flight waits for the next, so it sees every commit made before it arrived.
 * Changes made through this process also drop their entries at once (`invalidate`).
 */
export class ExchangeDirectory {
  private readonly entries = new Map<string, { readonly entry: ClientEntry | null; readonly loadedAt: number }>();
  private readonly loading = new Map<string, { readonly generation: number; readonly entry: Promise<ClientEntry | undefined> }>();
  private readonly sqlite: SqliteChangeStatements | undefined;
  private readonly sqliteHandle: { readonly inTransaction: boolean } | undefined;
  /** The change counter the entries were filled under. */
  private mark: number | undefined;
  /** Bumped at every emptying: a load that started before one is not kept. */
  private generation = 0;
  private turnChecked = false;
  private counterRead: Promise<void> | undefined;
  private nextCounterRead: Promise<void> | undefined;

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly ttlMs?: number }) {
    const sqlite = driverOf(deps.db)?.sqlite;
    this.sqliteHandle = sqlite;
    this.sqlite = sqlite === undefined ? undefined : sqliteChangeStatements(sqlite);
  }

  /**
   * The cached entry when known fresh (null: known not to exist), undefined when it must be
   * loaded or, on PostgreSQL, when only `get` can tell whether it is still true.
   */
  peek(clientId: string): ClientEntry | null | undefined {
    if (!this.checkSync()) return undefined;
    return this.cached(clientId);
  }

  async get(clientId: string): Promise<ClientEntry | undefined> {
    if (this.sqlite === undefined) await this.checkAsync();
    // A transaction is open on the connection: read the counter through Kysely, which waits for it to end.
    else if (!this.checkSync()) this.emptyUnder(await exchangeChangeRepository.read(this.deps.db));
    const cached = this.cached(clientId);
    if (cached !== undefined) return cached ?? undefined;
    const pending = this.loading.get(clientId);
    // A load that started before the cache was last emptied may have read what has changed since.
    if (pending?.generation === this.generation) return pending.entry;
    const generation = this.generation;
    const entry = this.load(clientId).finally(() => {
      if (this.loading.get(clientId)?.generation === generation) this.loading.delete(clientId);
    });
    this.loading.set(clientId, { generation, entry });
    return entry;
  }

  /** Forget one client (or, for a member change, every client). */
  invalidate(clientId?: string): void {
    this.generation += 1;
    if (clientId === undefined) this.entries.clear();
    else this.entries.delete(clientId);
  }

  private cached(clientId: string): ClientEntry | null | undefined {
    const cached = this.entries.get(clientId);
    // The age limit is a backstop only: the change counter is what keeps entries true.
    if (cached === undefined || this.deps.clock.now().getTime() - cached.loadedAt > (this.deps.ttlMs ?? 10_000)) return undefined;
    return cached.entry;
  }

  private emptyUnder(mark: number): void {
    if (mark !== this.mark) {
      this.invalidate();
      this.mark = mark;
    }
  }

  /**
   * SQLite: brings the cache up to the store at the turn's first call; true when the entries may
   * be used. False on PostgreSQL, and while a transaction is open on the connection: a read inside
   * it would see its snapshot (not later commits of other processes) and its own uncommitted bump.
   */
  private checkSync(): boolean {
    const s = this.sqlite;
    if (s === undefined || this.sqliteHandle?.inTransaction !== false) return false;
    if (this.turnChecked) return true;
    this.turnChecked = true;
    setImmediate(this.endTurn);
    this.emptyUnder(s.counter());
    return true;
  }

  private readonly endTurn = (): void => {
    this.turnChecked = false;
  };

  /** PostgreSQL: resolves once the counter has been read by a query that started after this call. */
  private checkAsync(): Promise<void> {
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
    const read = exchangeChangeRepository.read(this.deps.db).then((mark) => {
      this.emptyUnder(mark);
    });
    this.counterRead = read.finally(() => {
      this.counterRead = undefined;
    });
    return this.counterRead;
  }

  private async load(clientId: string): Promise<ClientEntry | undefined> {
    const generation = this.generation;
    const store = (entry: ClientEntry | null): void => {
      // A change seen while this load read the store may not be in what it read.
      if (generation === this.generation) this.entries.set(clientId, { entry, loadedAt: this.deps.clock.now().getTime() });
    };
    const client = await memberRepository.findClient(this.deps.db, clientId);
    const member = client === undefined ? undefined : await memberRepository.findMember(this.deps.db, client.memberId);
    if (client === undefined || member === undefined) {
      // Unknown ids are remembered too, but bounded: a flood of made-up ids must not grow memory.
      if (this.entries.size > 100_000) this.entries.clear();
      store(null);
      return undefined;
    }
    const officers = new Set((await memberRepository.officersOf(this.deps.db, member.memberId)).filter((o) => o.status === 'active').map((o) => o.officerId));
    const grants = new Map<string, Grant[]>();
    for (const g of await grantRepository.activeFor(this.deps.db, clientId)) {
      const list = grants.get(g.service) ?? [];
      list.push(g);
      grants.set(g.service, list);
    }
    const entry: ClientEntry = { client, member, officers, grants };
    store(entry);
    return entry;
  }
}
