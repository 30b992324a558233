/**
 * A set of 64-bit fingerprints kept in two typed arrays (open addressing, linear probing). Its
 * entries are numbers in one backing store each, not objects: the garbage collector never walks
 * them, however many millions there are. (0, 0) marks an empty slot; fingerprintOf never gives it.
 *
 * @example
 * const seen = new FingerprintSet();
 * const [hi, lo] = fingerprintOf('VN/COM/BANK/ekyc 0190b7a2-…', seed);
 * seen.add(hi, lo); // true: new
 * seen.add(hi, lo); // false: there already
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private count = 0;

  constructor(capacity = 1_024) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
  }

  get size(): number {
    return this.count;
  }

  has(hi: number, lo: number): boolean {
    checkFingerprint(hi, lo);
    const mask = this.hi.length - 1;
    for (let i = slotOf(hi, lo, mask); ; i = (i + 1) & mask) {
      const h = this.hi[i] as number;
      const l = this.lo[i] as number;
      if (h === hi && l === lo) return true;
      if (h === 0 && l === 0) return false;
    }
  }

  /** Adds the fingerprint; false when it was there already. */
  add(hi: number, lo: number): boolean {
    checkFingerprint(hi, lo);
    // At most half full, so that probes stay short.
    if ((this.count + 1) * 2 > this.hi.length) this.grow();
    const mask = this.hi.length - 1;
    for (let i = slotOf(hi, lo, mask); ; i = (i + 1) & mask) {
      const h = this.hi[i] as number;
      const l = this.lo[i] as number;
      if (h === hi && l === lo) return false;
      if (h === 0 && l === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.count++;
        return true;
      }
    }
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(oldHi.length * 2);
    this.lo = new Uint32Array(oldLo.length * 2);
    const mask = this.hi.length - 1;
    for (let j = 0; j < oldHi.length; j++) {
      const hi = oldHi[j] as number;
      const lo = oldLo[j] as number;
      if (hi === 0 && lo === 0) continue;
      let i = slotOf(hi, lo, mask);
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = hi;
      this.lo[i] = lo;
    }
  }
}

function checkFingerprint(hi: number, lo: number): void {
  if (hi === 0 && lo === 0) throw new RangeError('(0, 0) marks an empty slot and is no fingerprint');
}

function slotOf(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
}

/**
 * A 64-bit fingerprint of a text as two unsigned 32-bit halves: two multiply-xor lanes over its
 * UTF-16 code units, cross-mixed at the end, under a seed (a process picks its own at random, so
 * no one can prepare texts whose fingerprints meet). Never (0, 0).
 */
export function fingerprintOf(text: string, seed: number): readonly [number, number] {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2_654_435_761);
    // Rotated first: odd multipliers keep low bits as they were, and the two lanes would share them.
    h2 = Math.imul(((h2 << 13) | (h2 >>> 19)) ^ c, 1_597_334_677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2_246_822_507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3_266_489_909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2_246_822_507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3_266_489_909);
  const hi = h1 >>> 0;
  const lo = h2 >>> 0;
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}
