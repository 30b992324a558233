import { describe, expect, it } from 'vitest';
import { movableClock } from '../../test/officer-accounts.js';
import { SignInThrottle } from './sign-in.throttle.js';

describe('SignInThrottle', () => {
  it('blocks an address after its failures within the window, for what is left of the window, and forgets it after', () => {
    const clock = movableClock();
    const throttle = new SignInThrottle(clock, { maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 2; i++) throttle.failed('10.0.0.1');
    expect(throttle.blockedSeconds('10.0.0.1')).toBe(0);
    throttle.failed('10.0.0.1');
    expect(throttle.blockedSeconds('10.0.0.1')).toBe(60);
    expect(throttle.blockedSeconds('10.0.0.2')).toBe(0);
    clock.advance(45_000);
    expect(throttle.blockedSeconds('10.0.0.1')).toBe(15);
    clock.advance(15_000);
    expect(throttle.blockedSeconds('10.0.0.1')).toBe(0);
    throttle.failed('10.0.0.1');
    expect(throttle.blockedSeconds('10.0.0.1')).toBe(0);
  });

  it('remembers a bounded number of addresses, forgetting the oldest', () => {
    const throttle = new SignInThrottle(movableClock(), { maxFailures: 1, maxAddresses: 2 });
    throttle.failed('a');
    throttle.failed('b');
    throttle.failed('c');
    expect(throttle.blockedSeconds('a')).toBe(0);
    expect(throttle.blockedSeconds('b')).toBeGreaterThan(0);
    expect(throttle.blockedSeconds('c')).toBeGreaterThan(0);
  });
});
