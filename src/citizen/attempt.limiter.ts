import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import { addressFailureRepository } from './address-failure.repository.js';

/**
 * Failed attempts per network address in a sliding window: credential stuffing and code guessing
 * from one address are slowed here, while the account's own lockout stops guessing one account
 * from many addresses. Behind a proxy the address is the client's only when the proxy is trusted
 * (config.trustProxy).
 */
export interface AddressLimiter {
  /** The instant (epoch ms) from which the key may try again, or undefined when it may now. */
  blockedUntil(key: string): Promise<number | undefined>;
  fail(key: string): Promise<void>;
}

/** In this process's memory (tests, and a single node). */
export class AttemptLimiter implements AddressLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  blockedUntil(key: string): Promise<number | undefined> {
    const list = this.live(key);
    return Promise.resolve(list.length >= this.limit ? (list[0] ?? 0) + this.windowMs : undefined);
  }

  fail(key: string): Promise<void> {
    const list = this.live(key);
    list.push(this.now());
    this.failures.set(key, list);
    // Keep memory bounded under a spray from many addresses.
    if (this.failures.size > 100_000) {
      for (const k of this.failures.keys()) {
        if (this.live(k).length === 0) this.failures.delete(k);
      }
    }
    return Promise.resolve();
  }

  private live(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}

/**
 * In the store: every node counts the same failures (a spray spread over the nodes behind a
 * balancer is limited as one). The address is kept as an HMAC under a key of the store's, never
 * as it is; rows past the window are pruned now and then by the writes.
 */
export class StoreAttemptLimiter implements AddressLimiter {
  private writes = 0;

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly scope: string; readonly limit: number; readonly windowMs: number; readonly secret: () => Promise<string>; readonly now?: () => number }) {}

  private nowMs(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async hash(key: string): Promise<string> {
    return createHmac('sha256', await this.deps.secret()).update(`${this.deps.scope}\n${key}`).digest('base64url');
  }

  async blockedUntil(key: string): Promise<number | undefined> {
    const since = new Date(this.nowMs() - this.deps.windowMs).toISOString();
    const { count, oldest } = await addressFailureRepository.since(this.deps.db, this.deps.scope, await this.hash(key), since);
    return count >= this.deps.limit && oldest !== null ? Date.parse(oldest) + this.deps.windowMs : undefined;
  }

  async fail(key: string): Promise<void> {
    const now = this.nowMs();
    await addressFailureRepository.insert(this.deps.db, this.deps.scope, await this.hash(key), new Date(now).toISOString());
    this.writes += 1;
    if (this.writes % 1000 === 0) await addressFailureRepository.prune(this.deps.db, new Date(now - this.deps.windowMs).toISOString());
  }
}
