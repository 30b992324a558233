/**
 * Vietnamese personal names for matching: canonical forms at three levels (marked, folded,
 * variant-folded) and a comparison into exact / close / different.
 *
 * Stable API, used by bulk reconciliation and linkage: {@link nameForms}, {@link compareNames},
 * {@link nameSimilarity}.
 */
import { foldName } from '../shared/vietnamese-text.js';
import { jaroWinkler } from './string-similarity.js';
import type { FieldOutcome } from './verify.types.js';

export { foldName, normaliseName } from '../shared/vietnamese-text.js';

/** The combining tone marks: grave, acute, tilde, hook above, dot below. */
const toneMarks = /[\u0300\u0301\u0303\u0309\u0323]/g;
const toneMark = /[\u0300\u0301\u0303\u0309\u0323]/;
const nonLetters = /[^\p{L}\p{M}\s]/gu;
const spaces = /\s+/;

/**
 * A syllable with its tone mark moved to the end, lower case, NFC otherwise: 'Thuý' and 'Thúy',
 * 'hoà' and 'hòa' (old and new tone placement) give the same key.
 */
function syllableKey(syllable: string): string {
  const decomposed = syllable.toLowerCase().normalize('NFD');
  const tone = toneMark.exec(decomposed)?.[0] ?? '';
  return decomposed.replace(toneMarks, '').normalize('NFC') + tone;
}

/** Surname variants that are one family name written two ways (regional or historical). */
const surnameVariants: Readonly<Record<string, string>> = {
  huynh: 'hoang', // southern form of Hoàng (a 19th-century naming taboo)
  vo: 'vu', // Võ / Vũ
};

/** A consonant onset followed by a final 'y' (Lý/Lí, Kỳ/Kì, Mỹ/Mĩ): the spelling reform left both in use. */
const finalY = /^(b|c|d|g|h|k|l|m|n|p|r|s|t|v|x|ch|gh|kh|nh|ph|th|tr|ngh?)y$/;

/**
 * Folds a syllable further: y/i variants and surname variants. The surname variants apply to every
 * word, since the surname is not always first ('Mai Huỳnh Thị' written given-name-first).
 */
function variantToken(token: string): string {
  const m = finalY.exec(token);
  const base = m === null ? token : `${m[1] ?? ''}i`;
  return surnameVariants[base] ?? base;
}

/** A name at each level of comparison. */
export interface NameForms {
  /** A comparison key, not for display: lower case, single spaces, punctuation removed, each syllable's tone mark moved to its end (so old and new tone placement agree). 'exact' compares this. */
  readonly marked: string;
  /** Folded: no marks, đ→d ('nguyen thi dao'). */
  readonly folded: string;
  /** Folded syllables. */
  readonly tokens: readonly string[];
  /** Folded, with y/i and surname variants unified. */
  readonly variant: string;
  /** The variant tokens sorted: equal for the same name in another order ('an nguyen van' / 'nguyen van an'). */
  readonly sorted: string;
}

/**
 * Every form of a name a comparison needs, computed once per name.
 *
 * @example
 * nameForms('  NGUYỄN thị Thuý ').marked  // 'nguyễn thị thuý' (tone keys canonical)
 * nameForms('Huỳnh Văn Lý').variant       // 'hoang van li'
 */
export function nameForms(name: string): NameForms {
  // names repeat a great deal (the registry holds a few hundred thousand distinct ones): a bounded
  // cache turns most calls into one lookup; it is cleared, not evicted, when full (cheap, rare)
  const cached = formsCache.get(name);
  if (cached !== undefined) return cached;
  const forms = computeForms(name);
  if (formsCache.size >= cacheLimit) formsCache.clear();
  formsCache.set(name, forms);
  return forms;
}

const cacheLimit = 100_000;
const formsCache = new Map<string, NameForms>();
const syllableCache = new Map<string, { readonly key: string; readonly folded: string }>();

function syllable(text: string): { readonly key: string; readonly folded: string } {
  let found = syllableCache.get(text);
  if (found === undefined) {
    found = { key: syllableKey(text), folded: foldName(text) };
    if (syllableCache.size >= cacheLimit) syllableCache.clear();
    syllableCache.set(text, found);
  }
  return found;
}

function computeForms(name: string): NameForms {
  const cleaned = name.normalize('NFC').replace(nonLetters, ' ').trim();
  const syllables = cleaned === '' ? [] : cleaned.split(spaces);
  const parts = syllables.map(syllable);
  const marked = parts.map((p) => p.key).join(' ');
  const tokens = parts.map((p) => p.folded);
  const variants = tokens.map((t) => variantToken(t));
  return {
    marked,
    folded: tokens.join(' '),
    tokens,
    variant: variants.join(' '),
    sorted: [...variants].sort().join(' '),
  };
}

/**
 * Similarity of two names in [0, 1] on their variant-folded forms: the better of Jaro-Winkler on
 * the whole name and on the sorted syllables (so an inverted order still scores high).
 */
export function nameSimilarity(a: NameForms, b: NameForms): number {
  if (a.variant === b.variant) return 1;
  return Math.max(jaroWinkler(a.variant, b.variant), jaroWinkler(a.sorted, b.sorted));
}

/** True when one name is the other with middle syllables dropped (same surname and given name). */
function missingMiddle(a: readonly string[], b: readonly string[]): boolean {
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (short.length < 2 || short.length === long.length) return false;
  if (short[0] !== long[0] || short[short.length - 1] !== long[long.length - 1]) return false;
  let j = 1;
  for (let i = 1; i < short.length - 1; i++) {
    while (j < long.length - 1 && long[j] !== short[i]) j++;
    if (j >= long.length - 1) return false;
    j++;
  }
  return true;
}

/** The Jaro-Winkler similarity at or above which two different spellings count as 'close' (a typo). */
export const closeNameSimilarity = 0.92;

/**
 * Compares two names: 'exact' when equal but for case, spacing, punctuation and tone placement;
 * 'close' when equal once folded (marks, đ), in another order, with a variant spelling, with a
 * middle name dropped, or within a typo (Jaro-Winkler ≥ 0.92); 'different' otherwise, and
 * 'missing' when either is empty.
 *
 * @example
 * compareNames(nameForms('Nguyễn Thị Đào'), nameForms('NGUYEN THI DAO')) // 'close'
 * compareNames(nameForms('Nguyễn Thị Thuý'), nameForms('nguyễn thị thúy')) // 'exact'
 */
export function compareNames(a: NameForms, b: NameForms): FieldOutcome {
  if (a.folded === '' || b.folded === '') return 'missing';
  if (a.marked === b.marked) return 'exact';
  if (a.variant === b.variant || a.sorted === b.sorted) return 'close';
  if (missingMiddle(a.tokens, b.tokens)) return 'close';
  return nameSimilarity(a, b) >= closeNameSimilarity ? 'close' : 'different';
}
