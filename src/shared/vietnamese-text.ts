/**
 * Vietnamese text as the registry compares it: NFC for storage and display, folded for matching.
 */

const marks = /[\u0300-\u036f]/g;

/**
 * Printable ASCII, Latin-1, Latin Extended-A/B, the IPA and spacing-modifier letters and Latin
 * Extended Additional (where Vietnamese's precomposed letters are), less the soft hyphen: text
 * made only of these has no control, format or surrogate character and is already NFC (none of
 * them decomposes in NFC or combines with a neighbour), which is how Vietnamese text comes.
 */
const plainLatin = /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u02ff\u1e00-\u1eff]*$/;

/**
 * True when `text` is made only of plain Latin letters, digits, spaces and punctuation (see
 * above): it is NFC and holds nothing a free-text field refuses, so neither needs checking.
 *
 * @example
 * isPlainLatin('Nguyễn Thị Ánh') // true
 * isPlainLatin('Nguye\u0302\u0303n') // false: combining marks, not yet NFC
 */
export function isPlainLatin(text: string): boolean {
  return plainLatin.test(text);
}
const spaces = /\s+/g;

/** NFC with single spaces, trimmed: the form in which names are stored. */
export function normaliseName(name: string): string {
  return (isPlainLatin(name) ? name : name.normalize('NFC')).replace(spaces, ' ').trim();
}

/**
 * Folds a name for comparison: lower case, marks removed, đ→d, single spaces.
 *
 * @example
 * foldName('  Nguyễn   Thị Đào ') // 'nguyen thi dao'
 */
export function foldName(name: string): string {
  if (!isPlainLatin(name)) return foldAny(name);
  // Character by character from a table: the same result, as no character here combines with another.
  let folded = '';
  for (let i = 0; i < name.length; i++) folded += foldedChar[name.charCodeAt(i)] ?? '';
  return folded.replace(spaces, ' ').trim();
}

function foldAny(name: string): string {
  return name
    .normalize('NFD')
    .replace(marks, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(spaces, ' ')
    .trim();
}

/** Each plain Latin character folded alone (spaces kept: foldName folds them after). */
const foldedChar: readonly string[] = ((): string[] => {
  const table = new Array<string>(0x1f00).fill('');
  for (let c = 0; c < table.length; c++) {
    const char = String.fromCharCode(c);
    if (isPlainLatin(char)) table[c] = char.normalize('NFD').replace(marks, '').replace(/[đĐ]/g, 'd').toLowerCase();
  }
  return table;
})();
