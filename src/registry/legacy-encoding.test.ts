import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/domain-error.js';
import {
  TCVN3_LETTERS,
  TCVN3_VN1_EXTRAS,
  VNI_LETTERS,
  createVietnameseDecoder,
  decodeVietnamese,
  detectEncoding,
  isVietnameseSyllable,
} from './legacy-encoding.js';
import { toTcvn3 as tcvn3, toVni as vni } from './legacy-encoding.test-helper.js';

const lower = 'aàảãáạăằẳẵắặâầẩẫấậđeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵ';
const vietnameseLetters = Array.from(lower + lower.toUpperCase());


const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));

function decodeIn(encoding: Parameters<typeof createVietnameseDecoder>[0], bytes: Uint8Array, chunkSize = bytes.length): string {
  const decoder = createVietnameseDecoder(encoding);
  let text = '';
  for (let start = 0; start < bytes.length; start += Math.max(1, chunkSize)) {
    text += decoder.write(bytes.subarray(start, start + Math.max(1, chunkSize)));
  }
  return text + decoder.end();
}

const sentence = 'Nguyễn Thị Hồng Nhung, Trần Văn Đức, số 12 đường Lê Lợi, phường Bến Thành, thành phố Hồ Chí Minh';

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('TCVN3 table', () => {
  it('has one code per letter and no code twice', () => {
    const bytes = [...TCVN3_LETTERS, ...TCVN3_VN1_EXTRAS].map(([, byte]) => byte);
    expect(new Set(bytes).size).toBe(bytes.length);
    expect(TCVN3_LETTERS).toHaveLength(67 + 7);
  });

  it('covers every lower-case letter and the seven upper-case base letters', () => {
    const covered = new Set(TCVN3_LETTERS.map(([letter]) => letter));
    for (const letter of lower) if (letter.charCodeAt(0) >= 0x80) expect(covered, letter).toContain(letter);
    for (const letter of Array.from('ĂÂÊÔƠƯĐ')) expect(covered).toContain(letter);
  });

  it('round-trips every letter it defines', () => {
    for (const [letter, byte] of [...TCVN3_LETTERS, ...TCVN3_VN1_EXTRAS.filter(([l]) => /\p{L}/u.test(l))]) {
      expect(decodeIn('tcvn3', Uint8Array.of(byte)), letter).toBe(letter);
    }
  });

  it('reads the well-known TCVN3 strings', () => {
    // "Céng hßa x· héi chñ nghÜa ViÖt Nam" and "§éc lËp - Tù do - H¹nh phóc", as Latin-1 bytes.
    expect(decodeIn('tcvn3', latin1('Céng hßa x· héi chñ nghÜa ViÖt Nam'))).toBe('Cộng hòa xã hội chủ nghĩa Việt Nam');
    expect(decodeIn('tcvn3', latin1('§éc lËp - Tù do - H¹nh phóc'))).toBe('Độc lập - Tự do - Hạnh phúc');
    expect(decodeIn('tcvn3', latin1('NguyÔn TrÇn ThÞ V¨n'))).toBe('Nguyễn Trần Thị Văn');
    expect(decodeIn('tcvn3', latin1('B¶o Th¾ng, M\u00adêng Kh\u00ad¬ng'))).toBe('Bảo Thắng, Mường Khương');
  });

  // Without glibc's iconv (e.g. macOS) the check is reported as skipped, not passed; the
  // hand-checked strings above still hold.
  const glibcIconv = spawnSync('iconv', ['-f', 'TCVN5712-1', '-t', 'UTF-8'], { input: Buffer.from([0x41]) }).status === 0;
  it.skipIf(!glibcIconv)('agrees with glibc TCVN5712-1 on 0xA0–0xFF (skipped where glibc iconv is missing)', () => {
    const bytes = Buffer.from(Array.from({ length: 0x60 }, (_, index) => 0xa0 + index));
    const glibc = spawnSync('iconv', ['-f', 'TCVN5712-1', '-t', 'UTF-16LE'], { input: bytes }).stdout.toString('utf16le');
    const ours = [...bytes].map((byte) => decodeIn('tcvn3', Uint8Array.of(byte)).normalize('NFD'));
    expect(ours).toEqual(Array.from(glibc).map((char) => char.normalize('NFD')));
  });

  it('upper-cases words typed in the capitals font, but not a lone capital', () => {
    expect(decodeIn('tcvn3', latin1('NGUYÔN V¡N §÷NG'))).toBe('NGUYỄN VĂN ĐỮNG');
    expect(decodeIn('tcvn3', latin1('§µ N½ng'))).toBe('Đà Nẵng');
  });
});

describe('VNI table', () => {
  it('has one sequence per letter and covers all 134 letters', () => {
    const sequences = VNI_LETTERS.map(([, bytes]) => bytes.join(','));
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(new Set(VNI_LETTERS.map(([letter]) => letter))).toEqual(new Set(vietnameseLetters.filter((l) => l.charCodeAt(0) >= 0x80)));
  });

  it('round-trips every Vietnamese letter, alone and inside words', () => {
    for (const letter of vietnameseLetters) {
      expect(decodeIn('vni', vni(letter)), letter).toBe(letter);
      expect(decodeIn('vni', vni(`x${letter}n`)), letter).toBe(`x${letter}n`);
    }
  });

  it('reads hand-checked VNI byte sequences', () => {
    // Nguyễn = "Nguye" + 0xE3 ("ã" mark: circumflex + tilde); Việt = "Vie" + 0xE4; Trường = "Tr" ö ô ø "ng".
    expect(decodeIn('vni', Uint8Array.of(0x4e, 0x67, 0x75, 0x79, 0x65, 0xe3, 0x6e))).toBe('Nguyễn');
    expect(decodeIn('vni', latin1('Vieät Nam'))).toBe('Việt Nam');
    expect(decodeIn('vni', latin1('Xin chaøo caùc baïn'))).toBe('Xin chào các bạn');
    expect(decodeIn('vni', latin1('Tröôøng Ñaïi hoïc'))).toBe('Trường Đại học');
    expect(decodeIn('vni', latin1('Traàn Thò Vaên, Ñaëng, Hoà Chí Minh'))).toBe('Trần Thị Văn, Đặng, Hồ Chí Minh');
    expect(decodeIn('vni', latin1('NGUYEÃN VAÊN ÑÖÙC'))).toBe('NGUYỄN VĂN ĐỨC');
  });

  it('keeps a mark that arrives in the next chunk with its base letter', () => {
    const bytes = vni(sentence);
    for (const chunkSize of [1, 2, 3, 5, 7]) expect(decodeIn('vni', bytes, chunkSize)).toBe(sentence);
  });
});

describe('detectEncoding', () => {
  it('prefers a BOM, then valid UTF-8', () => {
    expect(detectEncoding(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('utf-8-bom');
    expect(detectEncoding(Uint8Array.of(0xff, 0xfe, 0x41, 0x00))).toBe('utf-16le');
    expect(detectEncoding(Uint8Array.of(0xfe, 0xff, 0x00, 0x41))).toBe('utf-16be');
    expect(detectEncoding(new TextEncoder().encode(sentence))).toBe('utf-8');
    expect(detectEncoding(new Uint8Array(0))).toBe('utf-8');
  });

  it('accepts UTF-8 cut mid-character at the end of a sample, but not of a whole file', () => {
    const bytes = new TextEncoder().encode('Nguyễn');
    const cut = bytes.subarray(0, bytes.length - 2); // inside the three bytes of "ễ"
    expect(detectEncoding(cut)).toBe('utf-8');
    expect(detectEncoding(cut, { complete: true })).not.toBe('utf-8');
  });

  it('finds UTF-16 without a BOM', () => {
    expect(detectEncoding(Uint8Array.from(Buffer.from('ho_ten,ngay_sinh\nNguyễn An,1990', 'utf16le')))).toBe('utf-16le');
  });

  it('tells TCVN3, VNI and Windows-1258 apart', () => {
    expect(detectEncoding(tcvn3(sentence))).toBe('tcvn3');
    expect(detectEncoding(vni(sentence))).toBe('vni');
    // Windows-1258: "Nguyễn" is ê (0xEA) then a combining tilde (0xDE).
    expect(detectEncoding(Uint8Array.of(0x4e, 0x67, 0x75, 0x79, 0xea, 0xde, 0x6e, 0x20, 0x54, 0x68, 0xf2, 0x69))).toBe('windows-1258');
  });

  it('detects a short name list', () => {
    expect(detectEncoding(tcvn3('Trần Thị Bích\nLê Văn Tám\n'))).toBe('tcvn3');
    expect(detectEncoding(vni('Trần Thị Bích\nLê Văn Tám\n'))).toBe('vni');
  });

  it('calls random binary unknown', () => {
    let seed = 42;
    const random = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    expect(detectEncoding(random)).toBe('unknown-8bit');
    expect(detectEncoding(latin1('©®±²³¼½¾×÷þð¤¦¯ ±²³ ¼½¾ ×÷þ'))).toBe('unknown-8bit');
  });
});

describe('decodeVietnamese', () => {
  it('decodes UTF-8 with and without BOM to NFC', () => {
    const nfd = new TextEncoder().encode(sentence.normalize('NFD'));
    expect(decodeVietnamese(nfd)).toEqual({ text: sentence, encoding: 'utf-8', converted: false });
    const withBom = Uint8Array.of(0xef, 0xbb, 0xbf, ...new TextEncoder().encode(sentence));
    expect(decodeVietnamese(withBom)).toEqual({ text: sentence, encoding: 'utf-8-bom', converted: false });
  });

  it('decodes UTF-16 with a BOM, both byte orders', () => {
    const le = Uint8Array.of(0xff, 0xfe, ...Buffer.from(sentence, 'utf16le'));
    expect(decodeVietnamese(le)).toEqual({ text: sentence, encoding: 'utf-16le', converted: false });
    const be = Uint8Array.from(Buffer.from(sentence, 'utf16le').swap16());
    expect(decodeVietnamese(Uint8Array.of(0xfe, 0xff, ...be))).toEqual({ text: sentence, encoding: 'utf-16be', converted: false });
  });

  it('converts TCVN3, VNI and Windows-1258', () => {
    expect(decodeVietnamese(tcvn3(sentence))).toEqual({ text: sentence, encoding: 'tcvn3', converted: true });
    expect(decodeVietnamese(vni(sentence))).toEqual({ text: sentence, encoding: 'vni', converted: true });
    const cp1258 = Uint8Array.of(0x4e, 0x67, 0x75, 0x79, 0xea, 0xde, 0x6e, 0x20, 0x54, 0x68, 0x69, 0xf2);
    expect(decodeVietnamese(cp1258)).toEqual({ text: 'Nguyễn Thị', encoding: 'windows-1258', converted: true });
  });

  it('refuses a legacy file when conversion is not allowed, naming the encoding', () => {
    const error = caught(() => decodeVietnamese(tcvn3(sentence), { allowLegacy: false }));
    expect(isDomainError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'invalid', code: 'FILE_ENCODING_UNSUPPORTED', message: 'The file is in TCVN3 (ABC), not UTF-8' });
    expect((error as { action: string }).action).toContain('--convert-legacy');
    expect(caught(() => decodeVietnamese(vni(sentence), { allowLegacy: false }))).toMatchObject({ message: 'The file is in VNI-Windows, not UTF-8' });
  });

  it('refuses an unrecognised encoding', () => {
    const error = caught(() => decodeVietnamese(Uint8Array.of(0x00, 0x9f, 0x01, 0xfe, 0x02, 0x03, 0x04, 0x05)));
    expect(error).toMatchObject({ code: 'FILE_ENCODING_UNSUPPORTED', details: { encoding: 'unknown-8bit' } });
    expect((error as Error).message).toContain('unrecognised encoding');
  });
});

describe('streaming', () => {
  it('gives the same NFC text whatever the chunk size, for every encoding', () => {
    const cases = [
      ['utf-8', new TextEncoder().encode(sentence.normalize('NFD'))],
      ['utf-16le', Uint8Array.from(Buffer.from(sentence, 'utf16le'))],
      ['tcvn3', tcvn3(sentence)],
      ['vni', vni(sentence)],
    ] as const;
    for (const [encoding, bytes] of cases) {
      for (const chunkSize of [1, 2, 3, 4, 7, 64]) expect(decodeIn(encoding, bytes, chunkSize), `${encoding}/${chunkSize}`).toBe(sentence);
    }
  });

  it('normalises a base and its combining marks together, wherever the chunks break', () => {
    const texts = [
      '\u2190\u0338', // ← and a combining long solidus: NFC is ↚
      'x =\u0338 y', // a symbol base inside a line
      'Vie\u0323\u0302t Nam', // decomposed Vietnamese, marks in the wrong canonical order
      `${'a'.repeat(100)}e\u0301\u0302`, // a word longer than the held-back limit
      '\u1100\u1161\u11a8', // Hangul jamo that compose into one syllable
      `\u2190${'\u0316\u0301'.repeat(40)}`, // a long run of marks that NFC reorders
    ];
    for (const text of texts) {
      const bytes = new TextEncoder().encode(text);
      for (const chunkSize of [1, 2, 3, 4, 5, 7, bytes.length]) {
        expect(decodeIn('utf-8', bytes, chunkSize), `${JSON.stringify(text).slice(0, 40)}/${chunkSize}`).toBe(text.normalize('NFC'));
      }
    }
    expect(decodeVietnamese(Uint8Array.of(0xe2, 0x86, 0x90, 0xcc, 0xb8)).text).toBe('\u219a');
  });

  it('fails clearly when a UTF-8 file has non-UTF-8 bytes further on', () => {
    const decoder = createVietnameseDecoder('utf-8');
    decoder.write(new TextEncoder().encode('ok\n'));
    expect(caught(() => decoder.write(tcvn3('Trần')))).toMatchObject({ code: 'FILE_ENCODING_INCONSISTENT' });
  });

  it('refuses to make a decoder for an unknown encoding', () => {
    expect(caught(() => createVietnameseDecoder('unknown-8bit'))).toMatchObject({ code: 'FILE_ENCODING_UNSUPPORTED' });
  });
});

describe('isVietnameseSyllable', () => {
  it('accepts syllables and rejects other shapes', () => {
    for (const good of ['Nguyễn', 'trường', 'khuya', 'giữa', 'quyển', 'nghiêng', 'gì', 'Đặng', 'ươi', 'y']) {
      expect(isVietnameseSyllable(good), good).toBe(true);
    }
    for (const bad of ['NguyÔn', 'Vieät', 'chñ', 'café', 'hàá', 'xyz', 'Straße']) expect(isVietnameseSyllable(bad), bad).toBe(false);
  });
});
