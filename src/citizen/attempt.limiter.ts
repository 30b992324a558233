/**
 * Failures per key (a network address) in a sliding window, in this process's memory: credential
 * stuffing and code guessing from one address are slowed here, while the account's own lockout
 * (in the store, every node counts) stops guessing one account from many addresses. Behind a
 * proxy the address is the client's only when the proxy is trusted (config.trustProxy).
 */
export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** The instant (epoch ms) from which the key may try again, or undefined when it may now. */
  blockedUntil(key: string): number | undefined {
    const list = this.live(key);
    return list.length >= this.limit ? (list[0] ?? 0) + this.windowMs : undefined;
  }

  fail(key: string): void {
    const list = this.live(key);
    list.push(this.now());
    this.failures.set(key, list);
    // Keep memory bounded under a spray from many addresses.
    if (this.failures.size > 100_000) {
      for (const k of this.failures.keys()) {
        if (this.live(k).length === 0) this.failures.delete(k);
      }
    }
  }

  private live(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
