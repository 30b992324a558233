import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/domain-error.js';
import { RequestReplayGuard } from './request-replay.guard.js';

const id = (n: number): string => `0190b7a2-0000-4000-8000-${String(n).padStart(12, '0')}`;

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a domain error';
  }
}

describe('the request replay guard', () => {
  it('refuses an id a client used within the window, in any case of its hex digits, and not another client\'s', () => {
    const guard = new RequestReplayGuard(60_000, 0);
    expect(guard.claim('VN/COM/BANK/ekyc', id(1), 0)).toBe(id(1));
    expect(code(() => guard.claim('VN/COM/BANK/ekyc', id(1), 1_000))).toBe('REQUEST_REPLAYED');
    expect(code(() => guard.claim('VN/COM/BANK/ekyc', id(1).toUpperCase(), 1_000))).toBe('REQUEST_REPLAYED');
    expect(guard.claim('VN/GOV/BHXH/portal', id(1), 1_000)).toBe(id(1));
  });

  it('remembers ids for one window at least, and forgets them two windows on', () => {
    const guard = new RequestReplayGuard(60_000, 0);
    guard.claim('VN/COM/BANK/ekyc', id(2), 0);
    // The next generation still holds the previous one's ids.
    expect(code(() => guard.claim('VN/COM/BANK/ekyc', id(2), 90_000))).toBe('REQUEST_REPLAYED');
    // Two windows on, with no call in between: forgotten.
    expect(guard.claim('VN/COM/BANK/ekyc', id(2), 200_000)).toBe(id(2));
  });

  it('refuses a missing or malformed id', () => {
    const guard = new RequestReplayGuard(60_000, 0);
    expect(code(() => guard.claim('VN/COM/BANK/ekyc', undefined, 0))).toBe('REQUEST_ID_INVALID');
    expect(code(() => guard.claim('VN/COM/BANK/ekyc', 'not-a-uuid', 0))).toBe('REQUEST_ID_INVALID');
  });

  it('tells 100,000 fresh ids from their replays', () => {
    const guard = new RequestReplayGuard(300_000, 0);
    for (let i = 0; i < 100_000; i++) guard.claim('VN/COM/BANK/ekyc', id(i), 1);
    for (let i = 0; i < 100_000; i += 997) expect(code(() => guard.claim('VN/COM/BANK/ekyc', id(i), 2))).toBe('REQUEST_REPLAYED');
    expect(guard.claim('VN/COM/BANK/ekyc', id(100_000), 2)).toBe(id(100_000));
  });
});
