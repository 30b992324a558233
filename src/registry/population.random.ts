import type { Weighted } from './vietnamese-names.data.js';

/**
 * A small, fast, seeded PRNG (sfc32, seeded through splitmix32) so that a synthetic population
 * is the same for the same seed on every machine. Never Math.random: that would make test
 * data and benchmarks unreproducible.
 *
 * @example
 * const random = new SeededRandom(42);
 * random.int(6) // 0..5, the same sequence for seed 42 every time
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    let s = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A normal deviate (Box-Muller), for ages and gaps that cluster around a mean. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** FNV-1a, to turn a string seed (or a key) into 32 bits. */
export function hashString(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Draws from weighted items in O(log n) with a cumulative table built once.
 *
 * @example
 * const surname = new WeightedPicker([['Nguyễn', 38], ['Trần', 11]]);
 * surname.pick(random)
 */
export class WeightedPicker<T> {
  private readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weighted: readonly (readonly [T, number])[]) {
    if (weighted.length === 0) throw new Error('a weighted picker needs at least one item');
    this.items = weighted.map(([item]) => item);
    this.cumulative = new Float64Array(weighted.length);
    let sum = 0;
    weighted.forEach(([, w], i) => {
      if (!(w >= 0)) throw new Error(`weight ${w} is not a non-negative number`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new Error('weights sum to zero');
    this.total = sum;
  }

  pick(random: SeededRandom): T {
    const x = random.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}

/** A picker over string weights (the data files' shape). */
export function picker(weighted: Weighted): WeightedPicker<string> {
  return new WeightedPicker(weighted);
}
