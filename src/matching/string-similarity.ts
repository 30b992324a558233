/**
 * String similarity measures used by the comparators: Jaro, Jaro-Winkler and Levenshtein.
 *
 * All three work on Unicode code points (not UTF-16 units), so 'Nguyễn' has six symbols whether
 * or not it contains astral characters. They reuse module-level typed-array buffers, so a call
 * allocates nothing once the buffers have grown to the longest string seen. Not re-entrant across
 * workers sharing memory, which JavaScript does not do for plain module state.
 */

let codesA = new Int32Array(64);
let codesB = new Int32Array(64);
let flagsA = new Uint8Array(64);
let flagsB = new Uint8Array(64);
let row = new Int32Array(65);

function grow(size: number): void {
  if (size <= codesA.length) return;
  const capacity = Math.max(size, codesA.length * 2);
  codesA = new Int32Array(capacity);
  codesB = new Int32Array(capacity);
  flagsA = new Uint8Array(capacity);
  flagsB = new Uint8Array(capacity);
  row = new Int32Array(capacity + 1);
}

/** Writes the code points of `text` into `into` and returns how many there are. */
function toCodePoints(text: string, into: Int32Array): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        into[n++] = (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    into[n++] = unit;
  }
  return n;
}

let lengthA = 0;
let lengthB = 0;

/** Loads both strings into the shared buffers and sets lengthA / lengthB (no tuple: this runs per pair). */
function load(a: string, b: string): void {
  // a string never has more code points than UTF-16 units
  grow(Math.max(a.length, b.length));
  lengthA = toCodePoints(a, codesA);
  lengthB = toCodePoints(b, codesB);
}

function jaroLoaded(la: number, lb: number): number {
  if (la === 0 && lb === 0) return 1;
  if (la === 0 || lb === 0) return 0;
  const window = Math.max(0, (Math.max(la, lb) >> 1) - 1);
  flagsA.fill(0, 0, la);
  flagsB.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(lb - 1, i + window);
    const code = codesA[i];
    for (let j = from; j <= to; j++) {
      if (flagsB[j] === 0 && codesB[j] === code) {
        flagsA[i] = 1;
        flagsB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let halfTranspositions = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (flagsA[i] === 0) continue;
    while (flagsB[k] === 0) k++;
    if (codesA[i] !== codesB[k]) halfTranspositions++;
    k++;
  }
  const m = matches;
  return (m / la + m / lb + (m - (halfTranspositions >> 1)) / m) / 3;
}

/**
 * Jaro similarity in [0, 1]: 1 for equal strings, 0 when nothing matches (or exactly one is empty).
 * Two empty strings are equal (1).
 *
 * @example
 * jaro('MARTHA', 'MARHTA') // 0.9444…
 */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  load(a, b);
  return jaroLoaded(lengthA, lengthB);
}

/**
 * Jaro-Winkler similarity in [0, 1] (Winkler 1990): Jaro boosted by the common prefix, with the
 * standard prefix scale 0.1 and a prefix of at most 4 code points. The boost is applied whatever
 * the Jaro score (no 0.7 boost threshold), as in most libraries (Splink, jellyfish, rapidfuzz).
 *
 * @example
 * jaroWinkler('MARTHA', 'MARHTA') // 0.9611…
 * jaroWinkler('nguyen', 'nguyen') // 1
 */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  load(a, b);
  const la = lengthA;
  const lb = lengthB;
  const j = jaroLoaded(la, lb);
  const limit = Math.min(4, la, lb);
  let prefix = 0;
  while (prefix < limit && codesA[prefix] === codesB[prefix]) prefix++;
  return j + prefix * 0.1 * (1 - j);
}

/**
 * Levenshtein edit distance (insertions, deletions, substitutions, each costing 1) on code points.
 *
 * @example
 * levenshtein('kitten', 'sitting') // 3
 * levenshtein('Đức', 'Đực') // 1
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  load(a, b);
  const la = lengthA;
  const lb = lengthB;
  if (la === 0) return lb;
  if (lb === 0) return la;
  for (let j = 0; j <= lb; j++) row[j] = j;
  for (let i = 1; i <= la; i++) {
    let diagonal = row[0] ?? 0; // the value of row[i-1][j-1]
    row[0] = i;
    const code = codesA[i - 1];
    for (let j = 1; j <= lb; j++) {
      const above = row[j] ?? 0;
      const cost = codesB[j - 1] === code ? 0 : 1;
      const left = (row[j - 1] ?? 0) + 1;
      const substitute = diagonal + cost;
      const remove = above + 1;
      row[j] = left < substitute ? (left < remove ? left : remove) : substitute < remove ? substitute : remove;
      diagonal = above;
    }
  }
  return row[lb] ?? 0;
}

/**
 * Levenshtein distance turned into a similarity in [0, 1]: `1 - distance / max(length)`.
 * Two empty strings are equal (1).
 *
 * @example
 * levenshteinSimilarity('kitten', 'sitting') // 1 - 3/7
 */
export function levenshteinSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const distance = levenshtein(a, b);
  const longest = Math.max(codePointLength(a), codePointLength(b));
  return longest === 0 ? 1 : 1 - distance / longest;
}

/** Number of code points in a string (astral characters count once). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
