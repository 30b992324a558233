import { describe, expect, it } from 'vitest';
import { IdNumberSet } from './id-number.set.js';

describe('IdNumberSet', () => {
  it('answers as a Set of the same ID numbers does, through its growth', () => {
    const ids = new IdNumberSet(4);
    const reference = new Set<string>();
    let seed = 11;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 300_000; i++) {
      // Neighbouring numbers (one birth year and province) and repeats, as an import's are.
      const id = `0${String(next() % 96).padStart(2, '0')}1${String(next() % 100).padStart(2, '0')}${String(next() % 3_000).padStart(6, '0')}`;
      expect(ids.add(id)).toBe(!reference.has(id));
      reference.add(id);
    }
    expect(ids.size).toBe(reference.size);
    expect(ids.has('001085000001')).toBe(reference.has('001085000001'));
    expect(ids.has('999999999999')).toBe(false);
    expect(ids.add('000000000000')).toBe(true);
    expect(ids.add('000000000000')).toBe(false);
  });

  it('refuses what is not a 12-digit ID number', () => {
    const ids = new IdNumberSet();
    for (const bad of ['', '00108500000', '0010850000011', '00108500000a', ' 01085000001']) expect(() => ids.add(bad)).toThrow(/12 digits/);
  });

  it('holds more ID numbers than a JavaScript Set can (2^24)', () => {
    const ids = new IdNumberSet();
    const count = 2 ** 24 + 1_000;
    for (let i = 0; i < count; i++) ids.add(`0010${String(i).padStart(8, '0')}`);
    expect(ids.size).toBe(count);
    expect(ids.add('001000000000')).toBe(false);
    expect(ids.has(`0010${String(count - 1).padStart(8, '0')}`)).toBe(true);
    expect(ids.has(`0010${String(count).padStart(8, '0')}`)).toBe(false);
  }, 120_000);
});
