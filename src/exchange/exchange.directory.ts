import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import { ChangeCounterWatch, counterSource } from '../store/change-counter.watch.js';
import { exchangeChangeRepository } from './exchange-change.repository.js';
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
 * under, looked at once per event-loop turn (src/store/change-counter.watch.ts). Changes made
 * through this process also drop their entries at once (`invalidate`).
 */
export class ExchangeDirectory {
  private readonly entries = new Map<string, { readonly entry: ClientEntry | null; readonly loadedAt: number }>();
  private readonly loading = new Map<string, { readonly generation: number; readonly entry: Promise<ClientEntry | undefined> }>();
  private readonly changes: ChangeCounterWatch;
  /** Bumped at every emptying: a load that started before one is not kept. */
  private generation = 0;

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly ttlMs?: number }) {
    this.changes = new ChangeCounterWatch(counterSource(deps.db, 'exchange_changes', () => exchangeChangeRepository.read(deps.db)), () => { this.invalidate(); });
  }

  /**
   * The cached entry when known fresh (null: known not to exist), undefined when it must be
   * loaded or, on PostgreSQL, when only `get` can tell whether it is still true.
   */
  peek(clientId: string): ClientEntry | null | undefined {
    if (!this.changes.checkNow()) return undefined;
    return this.cached(clientId);
  }

  async get(clientId: string): Promise<ClientEntry | undefined> {
    await this.changes.check();
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
