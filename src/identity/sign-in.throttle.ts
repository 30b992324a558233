import type { Clock } from '../shared/clock.js';

export interface SignInThrottleOptions {
  /** Failed sign-ins an address may make within the window. Default 20. */
  readonly maxFailures?: number;
  /** Default 15 minutes, as the account lockout. */
  readonly windowMs?: number;
  /** Addresses remembered at most (the oldest are forgotten first). Default 100,000. */
  readonly maxAddresses?: number;
}

/**
 * Failed sign-ins per network address. The account lockout stops guessing one officer's
 * password; this stops one address spraying many accounts (credential stuffing). Only failures
 * count, so an office behind one NAT address signing in at 8:00 is not held up; a success does
 * not clear the count (one valid account must not reset a spray). In memory, per node: with
 * several nodes an address gets the limit on each, which the lockout per account still bounds.
 *
 * @example
 * const throttle = new SignInThrottle(clock);
 * if (throttle.blockedSeconds(ip) > 0) return tooMany();
 * if (!ok) throttle.failed(ip);
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(private readonly clock: Clock, options: SignInThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.maxAddresses = options.maxAddresses ?? 100_000;
  }

  /** Seconds until the address may try again; 0 when it may now. */
  blockedSeconds(address: string): number {
    const entry = this.current(address);
    if (entry === undefined || entry.count < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((entry.windowStart + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  failed(address: string): void {
    const entry = this.current(address);
    if (entry !== undefined) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= this.maxAddresses) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
    this.failures.set(address, { count: 1, windowStart: this.clock.now().getTime() });
  }

  /** The address's count in its current window (an ended window is forgotten). */
  private current(address: string): { count: number; windowStart: number } | undefined {
    const entry = this.failures.get(address);
    if (entry === undefined) return undefined;
    if (this.clock.now().getTime() - entry.windowStart >= this.windowMs) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
