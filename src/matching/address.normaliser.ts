/**
 * Addresses for matching: commune codes across the 2025 reform (through the official conversion
 * in the admin-unit catalog) and free address text (folded, abbreviations expanded).
 *
 * Stable API, used by bulk reconciliation: {@link compareCommunes}, {@link addressForms},
 * {@link compareAddresses}.
 */
import { adminUnitCatalog, LAST_DAY_BEFORE_REFORM } from '../registry/admin-unit.catalog.js';
import { foldName } from '../shared/vietnamese-text.js';
import { jaroWinkler } from './string-similarity.js';
import type { FieldOutcome } from './verify.types.js';

const communeCode = /^\d{3}(\d{2})?$/;

/**
 * The 2025 communes an agency's commune code can stand for: itself when it is a 2025 code, and the
 * successors of the old (pre-reform) commune with that code. Codes are reused across eras, so a code
 * can mean both. Cached: there are about 14,000 codes.
 */
const successorCache = new Map<string, ReadonlySet<string>>();

/**
 * The 2025 commune codes that `code` (old or new) may denote today.
 *
 * @example
 * currentCommunes('00013') // Set { '00004' } (Phường Cống Vị → Phường Ba Đình), plus '00013' if that is a 2025 code
 */
export function currentCommunes(code: string, today: string): ReadonlySet<string> {
  const key = `${code}|${today}`;
  const cached = successorCache.get(key);
  if (cached !== undefined) return cached;
  const units = adminUnitCatalog();
  const found = new Set<string>();
  if (communeCode.test(code)) {
    if (units.findCommune(code, today >= '2025-07-01' ? today : '2025-07-01') !== undefined) found.add(code);
    if (units.findCommune(code, LAST_DAY_BEFORE_REFORM) !== undefined) {
      try {
        for (const s of units.resolve(code, LAST_DAY_BEFORE_REFORM, today >= '2025-07-01' ? today : '2025-07-01').current) found.add(s.commune.code);
      } catch {
        // an old unit without an official successor: only its own code can match
      }
    }
  }
  successorCache.set(key, found);
  return found;
}

/**
 * Compares an agency's commune code with the registry's (a 2025 code): 'exact' when the same code
 * and that code is a 2025 commune; 'close' when the agency's code is an old commune that became
 * (or partly became) the registry's; 'different' otherwise; 'missing' when either is empty.
 */
export function compareCommunes(agencyCode: string, registryCode: string, today: string): FieldOutcome {
  const a = agencyCode.trim();
  if (a === '' || registryCode === '') return 'missing';
  const candidates = currentCommunes(a, today);
  if (a === registryCode && candidates.has(a)) return 'exact';
  if (candidates.has(registryCode)) return 'close';
  return a === registryCode ? 'exact' : 'different';
}

/** Abbreviations of unit words and street words in folded form. */
const abbreviations: readonly (readonly [RegExp, string])[] = [
  [/\btp\.?\s*/g, 'thanh pho '],
  [/\bt\.p\.?\s*/g, 'thanh pho '],
  [/\btx\.?\s*/g, 'thi xa '],
  [/\btt\.?\s*/g, 'thi tran '],
  [/\bp\.\s*/g, 'phuong '],
  [/\bq\.\s*/g, 'quan '],
  [/\bh\.\s*/g, 'huyen '],
  [/\bx\.\s*/g, 'xa '],
  [/\bt\.\s*/g, 'tinh '],
  [/\bd\.\s*/g, 'duong '],
  [/\bkp\.?\s*/g, 'khu pho '],
  [/\bng\.\s*/g, 'ngo '],
];

/** Words that say what kind of unit follows; dropped for the token comparison. */
const unitWords = new Set(['so', 'nha', 'duong', 'pho', 'phuong', 'xa', 'quan', 'huyen', 'tinh', 'thanh', 'thi', 'tran', 'khu', 'to', 'ap', 'xom', 'thon', 'ngo', 'ngach', 'hem', 'kiet', 'dac']);

export interface AddressForms {
  /** Folded, abbreviations expanded, punctuation as spaces. */
  readonly folded: string;
  /** Folded tokens without unit words ('so', 'phuong', …). */
  readonly tokens: readonly string[];
}

/**
 * The forms of an address text that comparisons need.
 *
 * @example
 * addressForms('Số 62 Trường Chinh, P. Thới Sơn, TP.HCM').folded // 'so 62 truong chinh phuong thoi son thanh pho hcm'
 */
export function addressForms(address: string): AddressForms {
  let folded = foldName(address);
  for (const [pattern, replacement] of abbreviations) folded = folded.replace(pattern, replacement);
  folded = folded.replace(/[^a-z0-9]+/g, ' ').trim();
  const tokens = folded === '' ? [] : folded.split(' ').filter((t) => !unitWords.has(t));
  return { folded, tokens };
}

/** Share of `a`'s tokens found in `b` (allowing a typo per token), in [0, 1]. */
function containment(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0) return 0;
  let hits = 0;
  for (const t of a) {
    if (b.some((u) => u === t || (t.length > 3 && jaroWinkler(t, u) >= 0.9))) hits++;
  }
  return hits / a.length;
}

/**
 * Compares address texts: 'exact' when equal once folded with abbreviations expanded; 'close' when
 * most of the shorter address's words (at least 80%) appear in the other, so that an address with
 * or without its district or province still agrees; 'different' otherwise; 'missing' when either is empty.
 */
export function compareAddresses(a: AddressForms, b: AddressForms): FieldOutcome {
  if (a.folded === '' || b.folded === '') return 'missing';
  if (a.folded === b.folded) return 'exact';
  const [short, long] = a.tokens.length <= b.tokens.length ? [a.tokens, b.tokens] : [b.tokens, a.tokens];
  if (short.length === 0) return 'different';
  return containment(short, long) >= 0.8 ? 'close' : 'different';
}
