import { DomainError } from '../shared/domain-error.js';

/**
 * A fixed one-minute window per caller address: the public verify API writes a record per call,
 * so one address may not fill the store. Bounded: past 100,000 addresses the windows restart.
 */
export class VerifyLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perMinute: number, private readonly now: () => number) {}

  /** Throws VERIFY_RATE_LIMITED past the limit. */
  take(address: string): void {
    const now = this.now();
    let w = this.windows.get(address);
    if (w === undefined || now - w.start >= 60_000) {
      if (this.windows.size >= 100_000) this.windows.clear();
      w = { start: now, count: 0 };
      this.windows.set(address, w);
    }
    w.count += 1;
    if (w.count > this.perMinute) {
      throw new DomainError('rate_limited', 'VERIFY_RATE_LIMITED', `more than ${String(this.perMinute)} verifications a minute from this address`, 'Wait a minute, or verify offline against the published key (docs/residence-documents.md)');
    }
  }
}
