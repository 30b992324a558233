import { describe, expect, it } from 'vitest';
import { foldName, normaliseName } from './vietnamese-text.js';

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
