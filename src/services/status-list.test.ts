import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeStatusBits, statusBitAt, statusListSize, statusPosition } from './status-list.js';

describe('the token status list bits', () => {
  it('sets index i at bit i % 8 of byte i / 8, least significant bit first (the draft\'s example)', () => {
    // draft-ietf-oauth-status-list §4.1: indices 0, 3, 4, 5, 7, 8, 9, 13, 15 of 16 give bytes B9 A3.
    const lst = encodeStatusBits([0, 3, 4, 5, 7, 8, 9, 13, 15], 16);
    expect([...inflateSync(Buffer.from(lst, 'base64url'))]).toEqual([0xb9, 0xa3]);
    expect([0, 1, 2, 3].map((i) => statusBitAt(lst, i))).toEqual([1, 0, 0, 1]);
  });

  it('compresses a large, mostly valid list small, and reads back every bit', () => {
    const revoked = [1, 77, 4_096, statusListSize - 1];
    const lst = encodeStatusBits(revoked);
    expect(lst.length).toBeLessThan(200);
    for (const i of [0, 1, 2, 76, 77, 78, 4_096, statusListSize - 2, statusListSize - 1]) expect(statusBitAt(lst, i)).toBe(revoked.includes(i) ? 1 : 0);
  });

  it('places a seq in its list and refuses an index outside it', () => {
    expect(statusPosition(5)).toEqual({ listId: 0, idx: 5 });
    expect(statusPosition(statusListSize + 3)).toEqual({ listId: 1, idx: 3 });
    expect(() => encodeStatusBits([statusListSize])).toThrow(RangeError);
    expect(() => statusBitAt(encodeStatusBits([], 8), 8)).toThrow(RangeError);
  });
});
