import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/domain-error.js';
import { VerifyLimiter } from './document-verify.limiter.js';

describe('the public verify API\'s limit per address', () => {
  it('refuses past the limit within a minute, per address, and lets the next minute in', () => {
    let now = 1_000_000;
    const limiter = new VerifyLimiter(3, () => now);
    for (let i = 0; i < 3; i++) limiter.take('10.0.0.1');
    let refused: unknown;
    try {
      limiter.take('10.0.0.1');
    } catch (error) {
      refused = error;
    }
    expect(isDomainError(refused) && refused.code === 'VERIFY_RATE_LIMITED' && refused.kind === 'rate_limited').toBe(true);
    expect(() => { limiter.take('10.0.0.2'); }).not.toThrow();
    now += 60_000;
    expect(() => { limiter.take('10.0.0.1'); }).not.toThrow();
  });
});
