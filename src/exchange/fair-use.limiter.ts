import { DomainError } from '../shared/domain-error.js';
import type { Grant } from './exchange.types.js';

interface Bucket {
  tokens: number;
  last: number;
  /** The UTC day, as whole days since the epoch (no date formatting per call). */
  day: number;
  today: number;
}

const dayMs = 86_400_000;

/**
 * Fair-use caps of a grant: a token bucket of `ratePerMinute` refilled evenly over a minute,
 * and a count per UTC day against `dailyCap`. Per node: with N nodes behind a balancer each
 * allows the whole rate (divide the caps by N, or move the buckets to a shared store).
 */
export class FairUseLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one call from the grant's allowance or throws RATE_LIMITED with the seconds to wait. */
  take(grant: Grant, now: number): void {
    const day = Math.floor(now / dayMs);
    let b = this.buckets.get(grant.grantId);
    if (b === undefined) {
      b = { tokens: grant.ratePerMinute, last: now, day, today: 0 };
      this.buckets.set(grant.grantId, b);
    }
    b.tokens = Math.min(grant.ratePerMinute, b.tokens + ((now - b.last) * grant.ratePerMinute) / 60_000);
    b.last = now;
    if (b.day !== day) {
      b.day = day;
      b.today = 0;
    }
    if (b.today >= grant.dailyCap) {
      const midnight = (day + 1) * dayMs;
      throw new DomainError('forbidden', 'RATE_LIMITED', `the daily cap of ${grant.dailyCap} calls for this grant is used up`, 'Wait until the next UTC day, or ask for a higher cap', { retryAfterSeconds: Math.ceil((midnight - now) / 1000) });
    }
    if (b.tokens < 1) {
      throw new DomainError('forbidden', 'RATE_LIMITED', `more than ${grant.ratePerMinute} calls a minute for this grant`, 'Slow down and retry after the time in Retry-After', { retryAfterSeconds: Math.ceil(((1 - b.tokens) * 60) / grant.ratePerMinute) });
    }
    b.tokens -= 1;
    b.today += 1;
  }
}
