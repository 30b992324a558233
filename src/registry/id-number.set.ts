/**
 * A set of 12-digit ID numbers held as numbers in one typed array (open addressing, linear
 * probing): an import of a whole country's file remembers every ID number it has accepted, and a
 * JavaScript Set of strings stops at 2^24 (16.7 million) entries and costs some 60 bytes each.
 * This takes 8 to 16 bytes an ID number, outside the JavaScript heap: 100 million in 1-2 GB.
 *
 * @example
 * const seen = new IdNumberSet();
 * seen.add('001085000001'); // true: it was not there
 * seen.add('001085000001'); // false
 */
export class IdNumberSet {
  private slots: Float64Array;
  private count = 0;

  constructor(expected = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity * 0.7 < expected) capacity *= 2;
    this.slots = new Float64Array(capacity).fill(empty);
  }

  /** How many ID numbers the set holds. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds an ID number; true when it was not in the set.
   *
   * @throws Error when `idNumber` is not 12 digits (import rows reach here checked)
   */
  add(idNumber: string): boolean {
    const key = keyOf(idNumber);
    if (this.insert(key)) {
      this.count++;
      if (this.count > this.slots.length * 0.7) this.grow();
      return true;
    }
    return false;
  }

  has(idNumber: string): boolean {
    const key = keyOf(idNumber);
    const mask = this.slots.length - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i];
      if (slot === key) return true;
      if (slot === empty) return false;
    }
  }

  private insert(key: number): boolean {
    const mask = this.slots.length - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i];
      if (slot === key) return false;
      if (slot === empty) {
        this.slots[i] = key;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2).fill(empty);
    for (const key of old) if (key !== empty) this.insert(key);
  }
}

/** No ID number is negative. */
const empty = -1;
const idPattern = /^\d{12}$/;

/** The ID number as a number: 12 digits are below 2^53, so every one is exact and distinct. */
function keyOf(idNumber: string): number {
  if (!idPattern.test(idNumber)) throw new Error('an ID number of the set must be 12 digits');
  return Number(idNumber);
}

/** Mixes the number's high and low bits (its last digits alone would crowd runs of the table). */
function hash(key: number): number {
  const low = key % 4_294_967_296;
  const high = (key - low) / 4_294_967_296;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
