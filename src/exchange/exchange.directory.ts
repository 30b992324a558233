import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
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
 * read them from the store. Changes made through this node invalidate at once; other nodes see
 * them within `ttlMs`.
 */
export class ExchangeDirectory {
  private readonly entries = new Map<string, { readonly entry: ClientEntry | null; readonly loadedAt: number }>();
  private readonly loading = new Map<string, Promise<ClientEntry | undefined>>();

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly ttlMs?: number }) {}

  /** The cached entry when fresh (null: known not to exist), undefined when it must be loaded. */
  peek(clientId: string): ClientEntry | null | undefined {
    const cached = this.entries.get(clientId);
    if (cached === undefined || this.deps.clock.now().getTime() - cached.loadedAt > (this.deps.ttlMs ?? 10_000)) return undefined;
    return cached.entry;
  }

  async get(clientId: string): Promise<ClientEntry | undefined> {
    const cached = this.peek(clientId);
    if (cached !== undefined) return cached ?? undefined;
    let pending = this.loading.get(clientId);
    if (pending === undefined) {
      pending = this.load(clientId).finally(() => this.loading.delete(clientId));
      this.loading.set(clientId, pending);
    }
    return pending;
  }

  /** Forget one client (or, for a member change, every client). */
  invalidate(clientId?: string): void {
    if (clientId === undefined) this.entries.clear();
    else this.entries.delete(clientId);
  }

  private async load(clientId: string): Promise<ClientEntry | undefined> {
    const client = await memberRepository.findClient(this.deps.db, clientId);
    const member = client === undefined ? undefined : await memberRepository.findMember(this.deps.db, client.memberId);
    if (client === undefined || member === undefined) {
      // Unknown ids are remembered too, but bounded: a flood of made-up ids must not grow memory.
      if (this.entries.size > 100_000) this.entries.clear();
      this.entries.set(clientId, { entry: null, loadedAt: this.deps.clock.now().getTime() });
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
    this.entries.set(clientId, { entry, loadedAt: this.deps.clock.now().getTime() });
    return entry;
  }
}
