import { describe, expect, it } from 'vitest';
import { foldName, isPlainLatin, normaliseName } from './vietnamese-text.js';

describe('foldName', () => {
  it.each([
    ['Nguyễn Thị Đào', 'nguyen thi dao'],
    ['  TRẦN   văn  Đức ', 'tran van duc'],
    // decomposed input (NFD, as some keyboards send it) folds the same as composed
    ['Nguye\u0302\u0303n', 'nguyen'],
    ['Lê Hoàng Anh', 'le hoang anh'],
  ])('%s → %s', (input, folded) => {
    expect(foldName(input)).toBe(folded);
  });
});

describe('normaliseName', () => {
  it('composes to NFC and folds spaces but keeps marks and case', () => {
    expect(normaliseName(' Nguye\u0302\u0303n  Văn A ')).toBe('Nguyễn Văn A');
    expect(normaliseName('Nguye\u0302\u0303n').length).toBe(6);
  });
});

describe('isPlainLatin', () => {
  const plain: string[] = [];
  for (let c = 0; c <= 0xffff; c++) if (isPlainLatin(String.fromCharCode(c))) plain.push(String.fromCharCode(c));

  it('takes Vietnamese as written, and refuses combining marks, controls, format characters and U+FFFD', () => {
    expect(isPlainLatin('Nguyễn Thị Ánh, Số 5 ngõ 12/3 Hàng Bông')).toBe(true);
    expect(isPlainLatin('ĐẶNG VĂN ƯỚC')).toBe(true);
    for (const odd of ['Nguye\u0302\u0303n', 'a\tb', 'a\u00adb', 'a\u200bb', 'a\u202eb', 'a\ufffdb', 'a\ud800b', 'a\u2028b', '\u007f', '\u0085']) expect(isPlainLatin(odd)).toBe(false);
  });

  it('is true only of text that is NFC and that no free-text rule refuses, however its characters are paired', () => {
    const refused = /[\p{Cc}\u2028\u2029\p{Cs}\p{Cf}\uFFFD]/u;
    expect(plain.length).toBeGreaterThan(900);
    for (const a of plain) {
      expect(a.normalize('NFC')).toBe(a);
      expect(refused.test(a)).toBe(false);
      // Composition needs a character that combines with the one before it: none of them does.
      for (const b of plain) if ((a + b).normalize('NFC') !== a + b) throw new Error(`U+${a.charCodeAt(0).toString(16)} U+${b.charCodeAt(0).toString(16)} compose`);
    }
  });
});

describe('foldName on plain Latin text', () => {
  /** The fold written out in full: what foldName does to any text. */
  const reference = (name: string): string => name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();

  it('folds each character, and names made of them, as the full fold does', () => {
    const plain: string[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isPlainLatin(String.fromCharCode(c))) plain.push(String.fromCharCode(c));
    for (const char of plain) expect(foldName(`a${char}b`)).toBe(reference(`a${char}b`));
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n;
    for (let i = 0; i < 2_000; i++) {
      const name = Array.from({ length: 1 + next(30) }, () => (next(4) === 0 ? ' ' : plain[next(plain.length)] ?? '')).join('');
      expect(foldName(name)).toBe(reference(name));
    }
    expect(foldName(' ĐẶNG\u00a0 Thị  Ước ')).toBe('dang thi uoc');
  });
});
