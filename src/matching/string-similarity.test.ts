import { describe, expect, it } from 'vitest';
import { codePointLength, jaro, jaroWinkler, levenshtein, levenshteinSimilarity } from './string-similarity.js';

/** Textbook full-matrix Levenshtein on code points, to check the two-row version against. */
function referenceLevenshtein(a: string, b: string): number {
  const x = Array.from(a); // code points, on purpose
  const y = Array.from(b);
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const previous = d[i - 1] ?? [];
      const current = d[i] ?? [];
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
  }
  return d[x.length]?.[y.length] ?? -1;
}

/** Deterministic pseudo-random strings over a small alphabet (with a Vietnamese and an astral letter). */
function randomStrings(count: number, seed: number): string[] {
  const alphabet = ['a', 'b', 'c', 'đ', 'ễ', 'n', '𝔸'];
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () => {
    const length = Math.floor(next() * 9);
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)] ?? 'a';
    return s;
  });
}

describe('jaro and jaroWinkler', () => {
  it.each([
    ['MARTHA', 'MARHTA', 0.944444, 0.961111],
    ['DWAYNE', 'DUANE', 0.822222, 0.84],
    ['DIXON', 'DICKSONX', 0.766667, 0.813333],
    ['JELLYFISH', 'SMELLYFISH', 0.896296, 0.896296],
  ])('%s ~ %s', (a, b, expectedJaro, expectedWinkler) => {
    expect(jaro(a, b)).toBeCloseTo(expectedJaro, 5);
    expect(jaroWinkler(a, b)).toBeCloseTo(expectedWinkler, 5);
    // symmetric
    expect(jaroWinkler(b, a)).toBeCloseTo(expectedWinkler, 5);
  });

  it('handles empty and disjoint strings', () => {
    expect(jaroWinkler('', '')).toBe(1);
    expect(jaroWinkler('abc', '')).toBe(0);
    expect(jaroWinkler('', 'abc')).toBe(0);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('a', 'a')).toBe(1);
  });

  it('caps the prefix boost at four code points', () => {
    // same 6-letter prefix, different tails: boost uses 4, not 6
    const j = jaro('abcdefxx', 'abcdefyy');
    expect(jaroWinkler('abcdefxx', 'abcdefyy')).toBeCloseTo(j + 0.4 * (1 - j), 10);
  });

  it('counts code points, not UTF-16 units', () => {
    // '𝔸' is one code point (two units): one different symbol out of three
    expect(jaro('a𝔸c', 'abc')).toBeCloseTo(jaro('axc', 'abc'), 10);
  });

  it('stays in [0, 1] and is symmetric on random strings', () => {
    const strings = randomStrings(200, 7);
    for (let i = 0; i + 1 < strings.length; i += 2) {
      const a = strings[i] ?? '';
      const b = strings[i + 1] ?? '';
      const s = jaroWinkler(a, b);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
      expect(jaroWinkler(b, a)).toBeCloseTo(s, 12);
    }
  });

  it('works on strings longer than the initial buffers', () => {
    const long = 'nguyen'.repeat(100);
    expect(jaroWinkler(long, long + 'x')).toBeGreaterThan(0.99);
    expect(levenshtein(long, long + 'xyz')).toBe(3);
  });
});

describe('levenshtein', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['', '', 0],
    ['Đức', 'Đực', 1],
    ['nguyen', 'nguyễn', 1],
  ])('%s → %s = %d', (a, b, distance) => {
    expect(levenshtein(a, b)).toBe(distance);
  });

  it('agrees with the full-matrix definition on random strings', () => {
    const strings = randomStrings(400, 42);
    for (let i = 0; i + 1 < strings.length; i += 2) {
      const a = strings[i] ?? '';
      const b = strings[i + 1] ?? '';
      expect(levenshtein(a, b)).toBe(referenceLevenshtein(a, b));
    }
  });

  it('gives a similarity in [0, 1]', () => {
    expect(levenshteinSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 10);
    expect(levenshteinSimilarity('', '')).toBe(1);
    expect(levenshteinSimilarity('abc', 'xyz')).toBe(0);
    expect(codePointLength('a𝔸c')).toBe(3);
  });
});
