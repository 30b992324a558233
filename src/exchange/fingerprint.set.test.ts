import { describe, expect, it } from 'vitest';
import { FingerprintSet, fingerprintOf } from './fingerprint.set.js';

describe('the fingerprint set', () => {
  it('holds every fingerprint added, through its growth, and nothing else', () => {
    const set = new FingerprintSet(16);
    const seed = 12_345;
    const keys = Array.from({ length: 50_000 }, (_, i) => `VN/COM/BANK${i % 7}/ekyc ${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    for (const key of keys) expect(set.add(...fingerprintOf(key, seed))).toBe(true);
    expect(set.size).toBe(keys.length);
    for (const key of keys) {
      expect(set.has(...fingerprintOf(key, seed))).toBe(true);
      expect(set.add(...fingerprintOf(key, seed))).toBe(false);
    }
    expect(set.size).toBe(keys.length);
    for (let i = 0; i < 50_000; i++) expect(set.has(...fingerprintOf(`VN/COM/OTHER/ekyc ${i}`, seed))).toBe(false);
  });

  it('gives 64 bits that differ with the text and the seed, never the empty slot (0, 0)', () => {
    const a = fingerprintOf('VN/COM/BANK/ekyc 0190b7a2-0000-7000-8000-000000000001', 1);
    expect(fingerprintOf('VN/COM/BANK/ekyc 0190b7a2-0000-7000-8000-000000000001', 1)).toEqual(a);
    expect(fingerprintOf('VN/COM/BANK/ekyc 0190b7a2-0000-7000-8000-000000000002', 1)).not.toEqual(a);
    expect(fingerprintOf('VN/COM/BANK/ekyc 0190b7a2-0000-7000-8000-000000000001', 2)).not.toEqual(a);
    for (const part of a) expect(part).toBeGreaterThanOrEqual(0);
    // The two halves do not share bits: over many texts each low bit of one agrees with the other's about half the time.
    let agree = 0;
    for (let i = 0; i < 10_000; i++) {
      const [hi, lo] = fingerprintOf(`VN/COM/BANK/ekyc ${i}`, 3);
      if ((hi & 3) === (lo & 3)) agree++;
    }
    expect(agree).toBeGreaterThan(2_000);
    expect(agree).toBeLessThan(3_000);
    expect(() => new FingerprintSet().add(0, 0)).toThrow(RangeError);
    // 200,000 near-identical texts: no two fingerprints meet (a collision has odds of about 2^-30 here).
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(fingerprintOf(`VN/COM/BANK/ekyc 0190b7a2-0000-7000-8000-${String(i).padStart(12, '0')}`, 7).join(':'));
    expect(seen.size).toBe(200_000);
  });
});
