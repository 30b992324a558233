/**
 * Vietnamese text files as agencies send them: UTF-8 (with or without BOM), UTF-16, or one of the
 * legacy 8-bit encodings still found in old spreadsheets: TCVN3 (ABC), VNI-Windows and Windows-1258.
 * Detects which one a file is in and converts it to Unicode NFC, or refuses it with a clear message.
 */
import { DomainError } from '../shared/domain-error.js';

/** What {@link detectEncoding} can tell about a file. */
export type DetectedEncoding =
  | 'utf-8'
  | 'utf-8-bom'
  | 'utf-16le'
  | 'utf-16be'
  | 'tcvn3'
  | 'vni'
  | 'windows-1258'
  | 'unknown-8bit';

/** The 8-bit Vietnamese encodings that are converted only when legacy conversion is allowed. */
export type LegacyEncoding = 'tcvn3' | 'vni' | 'windows-1258';

export interface DetectOptions {
  /**
   * True when the sample is the whole file. By default the sample is taken to be the start of a
   * longer file, so a UTF-8 sequence cut at its very end is not held against it.
   */
  readonly complete?: boolean;
}

export interface DecodeOptions {
  /** Convert TCVN3, VNI and Windows-1258 to Unicode (default true); when false they are refused. */
  readonly allowLegacy?: boolean;
}

export interface DecodedVietnamese {
  /** The text in Unicode NFC, without a byte order mark. */
  readonly text: string;
  readonly encoding: DetectedEncoding;
  /** True when the bytes were in a legacy 8-bit encoding and have been converted. */
  readonly converted: boolean;
}

/** Turns a byte stream into NFC text chunk by chunk; nothing is lost at chunk boundaries. */
export interface VietnameseStreamDecoder {
  /** Decodes the next chunk and returns the text that is final so far (a short tail is held back). */
  write(chunk: Uint8Array): string;
  /** Returns what was held back; call once, after the last chunk. */
  end(): string;
}

// ---------------------------------------------------------------------------------------------
// Tables. Tone order in each row: grave (huyền), hook (hỏi), tilde (ngã), acute (sắc), dot (nặng).

/**
 * TCVN3 (ABC), the TCVN 5712:1993 VN3 font encoding: precomposed lower-case letters in 0xA8–0xFE
 * and the seven upper-case base letters in 0xA1–0xA7. Upper-case letters with a tone were typed in
 * separate "H" fonts that reuse the lower-case codes (see {@link decodeVietnamese} on case).
 */
export const TCVN3_LETTERS: ReadonlyArray<readonly [letter: string, byte: number]> = [
  ['à', 0xb5], ['ả', 0xb6], ['ã', 0xb7], ['á', 0xb8], ['ạ', 0xb9],
  ['ă', 0xa8], ['ằ', 0xbb], ['ẳ', 0xbc], ['ẵ', 0xbd], ['ắ', 0xbe], ['ặ', 0xc6],
  ['â', 0xa9], ['ầ', 0xc7], ['ẩ', 0xc8], ['ẫ', 0xc9], ['ấ', 0xca], ['ậ', 0xcb],
  ['đ', 0xae],
  ['è', 0xcc], ['ẻ', 0xce], ['ẽ', 0xcf], ['é', 0xd0], ['ẹ', 0xd1],
  ['ê', 0xaa], ['ề', 0xd2], ['ể', 0xd3], ['ễ', 0xd4], ['ế', 0xd5], ['ệ', 0xd6],
  ['ì', 0xd7], ['ỉ', 0xd8], ['ĩ', 0xdc], ['í', 0xdd], ['ị', 0xde],
  ['ò', 0xdf], ['ỏ', 0xe1], ['õ', 0xe2], ['ó', 0xe3], ['ọ', 0xe4],
  ['ô', 0xab], ['ồ', 0xe5], ['ổ', 0xe6], ['ỗ', 0xe7], ['ố', 0xe8], ['ộ', 0xe9],
  ['ơ', 0xac], ['ờ', 0xea], ['ở', 0xeb], ['ỡ', 0xec], ['ớ', 0xed], ['ợ', 0xee],
  ['ù', 0xef], ['ủ', 0xf1], ['ũ', 0xf2], ['ú', 0xf3], ['ụ', 0xf4],
  ['ư', 0xad], ['ừ', 0xf5], ['ử', 0xf6], ['ữ', 0xf7], ['ứ', 0xf8], ['ự', 0xf9],
  ['ỳ', 0xfa], ['ỷ', 0xfb], ['ỹ', 0xfc], ['ý', 0xfd], ['ỵ', 0xfe],
  ['Ă', 0xa1], ['Â', 0xa2], ['Ê', 0xa3], ['Ô', 0xa4], ['Ơ', 0xa5], ['Ư', 0xa6], ['Đ', 0xa7],
];

/**
 * Codes that VN3 leaves free and TCVN 5712 VN1 (glibc's TCVN5712-1) fills with upper-case
 * letters or combining tone marks; decoding them costs nothing for ABC files.
 */
export const TCVN3_VN1_EXTRAS: ReadonlyArray<readonly [letter: string, byte: number]> = [
  ['\u00a0', 0xa0], ['Ằ', 0xaf],
  ['\u0300', 0xb0], ['\u0309', 0xb1], ['\u0303', 0xb2], ['\u0301', 0xb3], ['\u0323', 0xb4],
  ['Ẳ', 0xba], ['Ẵ', 0xbf], ['Ắ', 0xc0], ['Ầ', 0xc1], ['Ẩ', 0xc2], ['Ẫ', 0xc3], ['Ấ', 0xc4],
  ['Ề', 0xc5], ['Ể', 0xcd], ['Ễ', 0xd9], ['Ế', 0xda], ['Ồ', 0xdb], ['Ổ', 0xe0], ['Ỗ', 0xf0],
  ['Ố', 0xff],
];

/**
 * VNI-Windows: a base letter followed by one byte that draws both the vowel mark and the tone.
 * ơ, ư, đ and the tones of i (and ỵ) are single bytes. Upper case uses the upper-case Latin-1
 * byte of the same glyph (0x20 lower). Order in a row: none, grave, hook, tilde, acute, dot.
 */
export const VNI_LETTERS: ReadonlyArray<readonly [letter: string, bytes: readonly number[]]> = [
  ['à', [0x61, 0xf8]], ['ả', [0x61, 0xfb]], ['ã', [0x61, 0xf5]], ['á', [0x61, 0xf9]], ['ạ', [0x61, 0xef]],
  ['ă', [0x61, 0xea]], ['ằ', [0x61, 0xe8]], ['ẳ', [0x61, 0xfa]], ['ẵ', [0x61, 0xfc]], ['ắ', [0x61, 0xe9]], ['ặ', [0x61, 0xeb]],
  ['â', [0x61, 0xe2]], ['ầ', [0x61, 0xe0]], ['ẩ', [0x61, 0xe5]], ['ẫ', [0x61, 0xe3]], ['ấ', [0x61, 0xe1]], ['ậ', [0x61, 0xe4]],
  ['đ', [0xf1]],
  ['è', [0x65, 0xf8]], ['ẻ', [0x65, 0xfb]], ['ẽ', [0x65, 0xf5]], ['é', [0x65, 0xf9]], ['ẹ', [0x65, 0xef]],
  ['ê', [0x65, 0xe2]], ['ề', [0x65, 0xe0]], ['ể', [0x65, 0xe5]], ['ễ', [0x65, 0xe3]], ['ế', [0x65, 0xe1]], ['ệ', [0x65, 0xe4]],
  ['ì', [0xec]], ['ỉ', [0xe6]], ['ĩ', [0xf3]], ['í', [0xed]], ['ị', [0xf2]],
  ['ò', [0x6f, 0xf8]], ['ỏ', [0x6f, 0xfb]], ['õ', [0x6f, 0xf5]], ['ó', [0x6f, 0xf9]], ['ọ', [0x6f, 0xef]],
  ['ô', [0x6f, 0xe2]], ['ồ', [0x6f, 0xe0]], ['ổ', [0x6f, 0xe5]], ['ỗ', [0x6f, 0xe3]], ['ố', [0x6f, 0xe1]], ['ộ', [0x6f, 0xe4]],
  ['ơ', [0xf4]], ['ờ', [0xf4, 0xf8]], ['ở', [0xf4, 0xfb]], ['ỡ', [0xf4, 0xf5]], ['ớ', [0xf4, 0xf9]], ['ợ', [0xf4, 0xef]],
  ['ù', [0x75, 0xf8]], ['ủ', [0x75, 0xfb]], ['ũ', [0x75, 0xf5]], ['ú', [0x75, 0xf9]], ['ụ', [0x75, 0xef]],
  ['ư', [0xf6]], ['ừ', [0xf6, 0xf8]], ['ử', [0xf6, 0xfb]], ['ữ', [0xf6, 0xf5]], ['ứ', [0xf6, 0xf9]], ['ự', [0xf6, 0xef]],
  ['ỳ', [0x79, 0xf8]], ['ỷ', [0x79, 0xfb]], ['ỹ', [0x79, 0xf5]], ['ý', [0x79, 0xf9]], ['ỵ', [0xee]],
  ['À', [0x41, 0xd8]], ['Ả', [0x41, 0xdb]], ['Ã', [0x41, 0xd5]], ['Á', [0x41, 0xd9]], ['Ạ', [0x41, 0xcf]],
  ['Ă', [0x41, 0xca]], ['Ằ', [0x41, 0xc8]], ['Ẳ', [0x41, 0xda]], ['Ẵ', [0x41, 0xdc]], ['Ắ', [0x41, 0xc9]], ['Ặ', [0x41, 0xcb]],
  ['Â', [0x41, 0xc2]], ['Ầ', [0x41, 0xc0]], ['Ẩ', [0x41, 0xc5]], ['Ẫ', [0x41, 0xc3]], ['Ấ', [0x41, 0xc1]], ['Ậ', [0x41, 0xc4]],
  ['Đ', [0xd1]],
  ['È', [0x45, 0xd8]], ['Ẻ', [0x45, 0xdb]], ['Ẽ', [0x45, 0xd5]], ['É', [0x45, 0xd9]], ['Ẹ', [0x45, 0xcf]],
  ['Ê', [0x45, 0xc2]], ['Ề', [0x45, 0xc0]], ['Ể', [0x45, 0xc5]], ['Ễ', [0x45, 0xc3]], ['Ế', [0x45, 0xc1]], ['Ệ', [0x45, 0xc4]],
  ['Ì', [0xcc]], ['Ỉ', [0xc6]], ['Ĩ', [0xd3]], ['Í', [0xcd]], ['Ị', [0xd2]],
  ['Ò', [0x4f, 0xd8]], ['Ỏ', [0x4f, 0xdb]], ['Õ', [0x4f, 0xd5]], ['Ó', [0x4f, 0xd9]], ['Ọ', [0x4f, 0xcf]],
  ['Ô', [0x4f, 0xc2]], ['Ồ', [0x4f, 0xc0]], ['Ổ', [0x4f, 0xc5]], ['Ỗ', [0x4f, 0xc3]], ['Ố', [0x4f, 0xc1]], ['Ộ', [0x4f, 0xc4]],
  ['Ơ', [0xd4]], ['Ờ', [0xd4, 0xd8]], ['Ở', [0xd4, 0xdb]], ['Ỡ', [0xd4, 0xd5]], ['Ớ', [0xd4, 0xd9]], ['Ợ', [0xd4, 0xcf]],
  ['Ù', [0x55, 0xd8]], ['Ủ', [0x55, 0xdb]], ['Ũ', [0x55, 0xd5]], ['Ú', [0x55, 0xd9]], ['Ụ', [0x55, 0xcf]],
  ['Ư', [0xd6]], ['Ừ', [0xd6, 0xd8]], ['Ử', [0xd6, 0xdb]], ['Ữ', [0xd6, 0xd5]], ['Ứ', [0xd6, 0xd9]], ['Ự', [0xd6, 0xcf]],
  ['Ỳ', [0x59, 0xd8]], ['Ỷ', [0x59, 0xdb]], ['Ỹ', [0x59, 0xd5]], ['Ý', [0x59, 0xd9]], ['Ỵ', [0xce]],
];

// Bytes not used by the Vietnamese tables keep their Windows-1252 meaning: both legacy font
// encodings were used on Windows, so 0x80–0x9F hold the ANSI quotes and dashes.
const windows1252 = new TextDecoder('windows-1252');

function baseTable(): Uint16Array {
  const table = new Uint16Array(256);
  const text = windows1252.decode(Uint8Array.from({ length: 256 }, (_, index) => index));
  for (let byte = 0; byte < 256; byte++) table[byte] = text.charCodeAt(byte);
  return table;
}

const tcvn3Table: Uint16Array = (() => {
  const table = baseTable();
  for (const [letter, byte] of [...TCVN3_VN1_EXTRAS, ...TCVN3_LETTERS]) table[byte] = letter.charCodeAt(0);
  return table;
})();

const vniSingle: Uint16Array = (() => {
  const table = baseTable();
  for (const [letter, bytes] of VNI_LETTERS) {
    if (bytes.length === 1 && bytes[0] !== undefined) table[bytes[0]] = letter.charCodeAt(0);
  }
  return table;
})();

/** VNI pairs keyed by base byte, then mark byte. */
const vniPairs: ReadonlyMap<number, ReadonlyMap<number, number>> = (() => {
  const pairs = new Map<number, Map<number, number>>();
  for (const [letter, bytes] of VNI_LETTERS) {
    const [base, mark] = bytes;
    if (base === undefined || mark === undefined) continue;
    const marks = pairs.get(base) ?? new Map<number, number>();
    marks.set(mark, letter.charCodeAt(0));
    pairs.set(base, marks);
  }
  return pairs;
})();

const tcvn3UpperCase: ReadonlySet<number> = new Set(
  [...TCVN3_LETTERS, ...TCVN3_VN1_EXTRAS]
    .map(([letter]) => letter)
    .filter((letter) => letter !== letter.toLowerCase())
    .map((letter) => letter.charCodeAt(0)),
);

// ---------------------------------------------------------------------------------------------
// Byte decoders: one per encoding, each able to hold back an unfinished sequence.

interface ByteDecoder {
  decode(chunk: Uint8Array, final: boolean): string;
}

function fromCodeUnits(units: Uint16Array, length: number): string {
  let text = '';
  for (let start = 0; start < length; start += 8192) {
    text += String.fromCharCode(...units.subarray(start, Math.min(length, start + 8192)));
  }
  return text;
}

function tcvn3Decoder(): ByteDecoder {
  return {
    decode(chunk) {
      const units = new Uint16Array(chunk.length);
      for (let index = 0; index < chunk.length; index++) units[index] = tcvn3Table[chunk[index] ?? 0] ?? 0;
      return fromCodeUnits(units, chunk.length);
    },
  };
}

function vniDecoder(): ByteDecoder {
  let held: number | undefined;
  return {
    decode(chunk, final) {
      let bytes = chunk;
      if (held !== undefined) {
        bytes = new Uint8Array(chunk.length + 1);
        bytes[0] = held;
        bytes.set(chunk, 1);
        held = undefined;
      }
      const units = new Uint16Array(bytes.length);
      let length = 0;
      for (let index = 0; index < bytes.length; index++) {
        const byte = bytes[index] ?? 0;
        const marks = vniPairs.get(byte);
        if (marks !== undefined) {
          // The mark follows its base letter: a base at the end of a chunk waits for the next one.
          if (index + 1 === bytes.length && !final) {
            held = byte;
            break;
          }
          const letter = marks.get(bytes[index + 1] ?? -1);
          if (letter !== undefined) {
            units[length++] = letter;
            index++;
            continue;
          }
        }
        units[length++] = vniSingle[byte] ?? 0;
      }
      return fromCodeUnits(units, length);
    },
  };
}

function textDecoder(encoding: DetectedEncoding, label: string, fatal: boolean): ByteDecoder {
  const decoder = new TextDecoder(label, { fatal });
  const name = describeEncoding(encoding);
  let offset = 0;
  return {
    decode(chunk, final) {
      try {
        const text = decoder.decode(chunk, { stream: !final });
        offset += chunk.length;
        return text;
      } catch {
        throw new DomainError(
          'invalid',
          'FILE_ENCODING_INCONSISTENT',
          `The file starts as ${name} but has bytes that are not ${name} near byte ${offset}`,
          'Save the whole file again as UTF-8 (in Excel: "CSV UTF-8") and re-run the import',
          { offset },
        );
      }
    },
  };
}

function byteDecoder(encoding: DetectedEncoding, fatal: boolean): ByteDecoder {
  switch (encoding) {
    case 'utf-8':
    case 'utf-8-bom':
      return textDecoder(encoding, 'utf-8', fatal);
    case 'utf-16le':
    case 'utf-16be':
      return textDecoder(encoding, encoding, fatal);
    case 'windows-1258':
      return textDecoder(encoding, 'windows-1258', false);
    case 'tcvn3':
      return tcvn3Decoder();
    case 'vni':
      return vniDecoder();
    case 'unknown-8bit':
      throw unsupported(encoding);
  }
}

// ---------------------------------------------------------------------------------------------
// Text clean-up shared by every encoding: NFC, and upper case for TCVN3 words typed in H fonts.

const trailingWord = /[\p{L}\p{M}]*$/u;
const word = /[\p{L}\p{M}]+/gu;
const maxHeldWord = 64;
/**
 * Code points that NFC may join to what comes before them: combining marks (every code point with
 * a non-zero canonical combining class is one, and so are the Vietnamese tone and vowel marks), the
 * Hangul vowel and final jamo, and the Kirat Rai vowel sign that composes with a letter before it.
 */
const joinsBackward = /^[\p{M}\u1161-\u1175\u11a8-\u11c2\u{16d67}]/u;
/**
 * A run of more combining marks than this is cut even so: it is far beyond the 30 that Unicode's
 * stream-safe text format (UAX #15) allows, and holding it whole would let one line hold a file.
 */
const maxHeldMarks = 1024;

/** The index of the code point before `index` (which is above 0). */
function previousCodePoint(text: string, index: number): number {
  const low = text.charCodeAt(index - 1);
  const high = index >= 2 ? text.charCodeAt(index - 2) : 0;
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? index - 2 : index - 1;
}

/**
 * Where the tail held back from a chunk starts: the last word (its marks and, for TCVN3, its case
 * may depend on the next chunk), and in any case at a starter that nothing before it can join,
 * so the marks that follow a base and the base itself are normalised together (NFC of the pieces
 * is then NFC of the whole, whatever the boundaries).
 */
function heldTailStart(text: string): number {
  // Only the end of the text is searched: an unanchored regex over a whole chunk is slow.
  const tail = text.slice(-(maxHeldWord + 2));
  if (text.length === 0) return 0;
  // The last code point is always held: even a symbol ("←") may take a mark from the next chunk.
  const last = previousCodePoint(text, text.length);
  let cut = Math.min(last, text.length - (trailingWord.exec(tail)?.[0].length ?? 0));
  if (text.length - cut > maxHeldWord) cut = last;
  const floor = Math.max(0, cut - maxHeldMarks);
  // Step back over marks (and jamo) that may join what comes before, to the base they follow.
  while (cut > floor && joinsBackward.test(text.slice(cut, cut + 2))) cut = previousCodePoint(text, cut);
  return cut;
}

/**
 * A word in which at least two letters are certainly upper case and none certainly lower case was
 * typed in an ABC capitals ("H") font, whose toned letters use the lower-case codes: upper-case it.
 */
function upcaseCapitalWords(text: string): string {
  return text.replace(word, (candidate) => {
    let upper = 0;
    for (const char of candidate) {
      const code = char.charCodeAt(0);
      if (code >= 0x61 && code <= 0x7a) return candidate;
      if ((code >= 0x41 && code <= 0x5a) || tcvn3UpperCase.has(code)) upper++;
    }
    return upper >= 2 ? candidate.toUpperCase() : candidate;
  });
}

export interface StreamDecoderOptions {
  /**
   * What a UTF-8 or UTF-16 stream does with bytes that are not in its encoding: `throw`
   * FILE_ENCODING_INCONSISTENT (the default), or `replace` them with U+FFFD, for a reader that
   * refuses the line they are on and reads on.
   */
  readonly invalid?: 'throw' | 'replace';
}

/**
 * Creates a decoder for a whole stream in a known encoding. Legacy encodings are converted; the
 * caller decides beforehand whether that is allowed (see {@link assertSupportedEncoding}).
 *
 * @example
 * const decoder = createVietnameseDecoder('vni');
 * decoder.write(Uint8Array.of(0x4e, 0x67, 0x75, 0x79, 0x65)) + decoder.write(Uint8Array.of(0xe3, 0x6e)) + decoder.end(); // 'Nguyễn'
 */
export function createVietnameseDecoder(encoding: DetectedEncoding, options: StreamDecoderOptions = {}): VietnameseStreamDecoder {
  const bytes = byteDecoder(encoding, (options.invalid ?? 'throw') === 'throw');
  const fixCase = encoding === 'tcvn3' ? upcaseCapitalWords : (text: string): string => text;
  let pending = '';
  return {
    write(chunk) {
      const text = pending + bytes.decode(chunk, false);
      const cut = heldTailStart(text);
      pending = text.slice(cut);
      return fixCase(text.slice(0, cut)).normalize('NFC');
    },
    end() {
      const text = pending + bytes.decode(new Uint8Array(0), true);
      pending = '';
      return fixCase(text).normalize('NFC');
    },
  };
}

function decodeAll(encoding: DetectedEncoding, bytes: Uint8Array, complete: boolean): string {
  const decoder = createVietnameseDecoder(encoding);
  const head = decoder.write(bytes);
  return complete ? head + decoder.end() : head;
}

// ---------------------------------------------------------------------------------------------
// Plausibility of decoded text as Vietnamese.

const onsets = 'ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x';
const nuclei = [
  'iêu', 'yêu', 'oai', 'oay', 'oao', 'oeo', 'uây', 'uôi', 'uya', 'uyê', 'uyu', 'ươi', 'ươu',
  'ai', 'ao', 'au', 'ay', 'âu', 'ây', 'eo', 'êu', 'ia', 'iê', 'iu', 'oa', 'oă', 'oe', 'oi', 'oo', 'ôi',
  'ơi', 'ua', 'uâ', 'uê', 'ui', 'uô', 'uơ', 'uy', 'ưa', 'ưi', 'ươ', 'ưu', 'yê',
  'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y',
].join('|');
const syllable = new RegExp(`^(?:${onsets})?(?:${nuclei})(?:ch|ng|nh|c|m|n|p|t)?$`, 'u');
const toneMarks = /[\u0300\u0301\u0303\u0309\u0323]/gu;

/**
 * Whether a word has the shape of a Vietnamese syllable (onset, vowel cluster, final, at most one
 * tone). A shape check only: it says "could be Vietnamese", not "is a word".
 *
 * @example
 * isVietnameseSyllable('Nguyễn') // true
 * isVietnameseSyllable('NguyÔn') // false
 */
export function isVietnameseSyllable(candidate: string): boolean {
  const decomposed = candidate.toLowerCase().normalize('NFD');
  const tones = decomposed.match(toneMarks)?.length ?? 0;
  if (tones > 1) return false;
  return syllable.test(decomposed.replace(toneMarks, '').normalize('NFC'));
}

const frequentWords: ReadonlySet<string> = new Set([
  'nguyễn', 'trần', 'lê', 'phạm', 'hoàng', 'huỳnh', 'phan', 'vũ', 'võ', 'đặng', 'bùi', 'đỗ', 'hồ',
  'ngô', 'dương', 'lý', 'thị', 'văn', 'đức', 'hữu', 'thành', 'ngọc', 'hà', 'nội', 'việt', 'xã',
  'phường', 'huyện', 'tỉnh', 'thôn', 'số', 'đường', 'phố', 'họ', 'tên', 'ngày', 'sinh', 'giới', 'tính',
]);
// Non-ASCII punctuation that legacy files legitimately hold.
const harmlessSymbols = /[\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u00ab\u00bb\u00b0]/u;

interface Plausibility {
  readonly ratio: number;
  readonly score: number;
}

function plausibility(text: string): Plausibility {
  let candidates = 0;
  let valid = 0;
  let frequent = 0;
  for (const [token] of text.matchAll(word)) {
    if (/^[\p{ASCII}]*$/u.test(token)) continue;
    candidates++;
    if (isVietnameseSyllable(token)) {
      valid++;
      if (frequentWords.has(token.toLowerCase())) frequent++;
    }
  }
  let stray = 0;
  for (const [char] of text.matchAll(/[^\p{ASCII}\p{L}\p{M}]/gu)) {
    if (!harmlessSymbols.test(char)) stray++;
  }
  const total = candidates + stray;
  if (total === 0 || valid === 0) return { ratio: 0, score: 0 };
  return { ratio: valid / total, score: (valid + frequent) / total };
}

const legacyCandidates: readonly LegacyEncoding[] = ['tcvn3', 'vni', 'windows-1258'];
const minimumRatio = 0.6;

function isValidUtf8(sample: Uint8Array, complete: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF-8 text with a few bad rows (a line pasted from a TCVN3 file, a truncated character): many
 * well-formed multi-byte sequences and at most one malformed byte for every 20 of them. Legacy
 * Vietnamese text almost never forms a well-formed sequence (its letters are single high bytes
 * between ASCII ones), so it fails this test and is detected as before. The bad rows are refused
 * one by one by the reader, by line.
 */
function mostlyUtf8(sample: Uint8Array): boolean {
  let good = 0;
  let bad = 0;
  let index = 0;
  while (index < sample.length) {
    const lead = sample[index] ?? 0;
    if (lead < 0x80) {
      index++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    let ok = length > 0 && index + length <= sample.length;
    for (let k = 1; ok && k < length; k++) ok = ((sample[index + k] ?? 0) & 0xc0) === 0x80;
    if (ok) {
      good++;
      index += length;
    } else {
      // A sequence cut by the end of the sample is not held against the file.
      if (index + Math.max(length, 1) < sample.length || length === 0) bad++;
      index++;
    }
  }
  return good >= 20 && bad * 20 <= good;
}

/** UTF-16 without a BOM shows as one zero byte in most code units of Latin-script text. */
function utf16WithoutBom(sample: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const units = Math.floor(sample.length / 2);
  if (units < 2) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let index = 0; index + 1 < sample.length; index += 2) {
    if (sample[index] === 0) evenZeros++;
    if (sample[index + 1] === 0) oddZeros++;
  }
  if (oddZeros > units * 0.4 && evenZeros < units * 0.05) return 'utf-16le';
  if (evenZeros > units * 0.4 && oddZeros < units * 0.05) return 'utf-16be';
  return undefined;
}

function looksBinary(sample: Uint8Array): boolean {
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) controls++;
  }
  return controls > sample.length * 0.05;
}

/**
 * Tells which encoding a file is in from its first bytes (64 KiB is plenty). A BOM decides; valid
 * UTF-8 wins next; otherwise TCVN3, VNI and Windows-1258 are each tried and scored by how much of
 * the decoded text has the shape of Vietnamese syllables, with a bonus for frequent names and words.
 *
 * @example
 * detectEncoding(new TextEncoder().encode('Nguyễn Văn An')) // 'utf-8'
 * detectEncoding(Uint8Array.from([0x4e, 0x67, 0x75, 0x79, 0xd4, 0x6e])) // 'tcvn3' ("NguyÔn")
 */
export function detectEncoding(sample: Uint8Array, options: DetectOptions = {}): DetectedEncoding {
  const complete = options.complete ?? false;
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8-bom';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  const utf16 = utf16WithoutBom(sample);
  if (utf16 !== undefined) return utf16;
  if (isValidUtf8(sample, complete)) return 'utf-8';
  if (looksBinary(sample)) return 'unknown-8bit';
  if (mostlyUtf8(sample)) return 'utf-8';
  let best: { encoding: DetectedEncoding; score: number } = { encoding: 'unknown-8bit', score: 0 };
  for (const encoding of legacyCandidates) {
    const { ratio, score } = plausibility(decodeAll(encoding, sample, complete));
    if (ratio >= minimumRatio && score > best.score) best = { encoding, score };
  }
  return best.encoding;
}

// ---------------------------------------------------------------------------------------------
// Refusal and whole-buffer decoding.

const labels: Readonly<Record<DetectedEncoding, string>> = {
  'utf-8': 'UTF-8',
  'utf-8-bom': 'UTF-8 (with BOM)',
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
  tcvn3: 'TCVN3 (ABC)',
  vni: 'VNI-Windows',
  'windows-1258': 'Windows-1258',
  'unknown-8bit': 'an unrecognised 8-bit encoding',
};

/** A name for the encoding that an officer recognises, e.g. "TCVN3 (ABC)". */
export function describeEncoding(encoding: DetectedEncoding): string {
  return labels[encoding];
}

export function isLegacyEncoding(encoding: DetectedEncoding): encoding is LegacyEncoding {
  return encoding === 'tcvn3' || encoding === 'vni' || encoding === 'windows-1258';
}

function unsupported(encoding: DetectedEncoding): DomainError {
  if (encoding === 'unknown-8bit') {
    return new DomainError(
      'invalid',
      'FILE_ENCODING_UNSUPPORTED',
      'The file is in an unrecognised encoding: it is not UTF-8, UTF-16, TCVN3 (ABC), VNI-Windows or Windows-1258 Vietnamese text',
      'Check that this is the right file (not a spreadsheet or binary file), save it as UTF-8 (in Excel: "CSV UTF-8") and try again',
      { encoding },
    );
  }
  return new DomainError(
    'invalid',
    'FILE_ENCODING_UNSUPPORTED',
    `The file is in ${describeEncoding(encoding)}, not UTF-8`,
    'Convert the file to UTF-8 (e.g. with the UniKey converter) or re-run with --convert-legacy',
    { encoding },
  );
}

/**
 * Throws FILE_ENCODING_UNSUPPORTED for an encoding that cannot or may not be decoded.
 *
 * @example
 * assertSupportedEncoding('tcvn3', false) // throws: "The file is in TCVN3 (ABC), not UTF-8"
 */
export function assertSupportedEncoding(encoding: DetectedEncoding, allowLegacy: boolean): void {
  if (encoding === 'unknown-8bit' || (!allowLegacy && isLegacyEncoding(encoding))) throw unsupported(encoding);
}

/**
 * Decodes a whole buffer of Vietnamese text to NFC, converting legacy encodings when allowed.
 *
 * TCVN3 has no codes of its own for upper-case letters with a tone; a word whose other letters
 * are all upper case (at least two) is taken to be in capitals, so "NGUYÔN" reads "NGUYỄN", but
 * a lone capital ("Ánh" typed as "¸nh") stays lower case.
 *
 * @throws DomainError FILE_ENCODING_UNSUPPORTED when the encoding is unknown, or legacy and not allowed.
 * @example
 * decodeVietnamese(Uint8Array.from([0x56, 0x69, 0x65, 0xe4, 0x74])) // { text: 'Việt', encoding: 'vni', converted: true }
 */
export function decodeVietnamese(bytes: Uint8Array, options: DecodeOptions = {}): DecodedVietnamese {
  const encoding = detectEncoding(bytes, { complete: true });
  assertSupportedEncoding(encoding, options.allowLegacy ?? true);
  return { text: decodeAll(encoding, bytes, true), encoding, converted: isLegacyEncoding(encoding) };
}
