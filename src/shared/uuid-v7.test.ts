import { describe, expect, it } from 'vitest';
import { uuidV7Generator } from './uuid-v7.js';

describe('uuidV7Generator', () => {
  it('gives version 7, variant 10 UUIDs carrying the millisecond', () => {
    const id = uuidV7Generator(() => 0x0190_1234_5678)();
    expect(id).toMatch(/^01901234-5678-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps ids increasing within a millisecond, past the counter, and when the clock steps back', () => {
    let ms = 1_733_370_000_000;
    const newId = uuidV7Generator(() => ms);
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i++) ids.push(newId()); // more than the 4,096 a millisecond's counter holds
    ms -= 10;
    ids.push(newId());
    ms += 1_000;
    ids.push(newId());
    const sorted = [...ids].sort();
    expect(ids).toEqual(sorted);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
