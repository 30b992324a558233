/**
 * Vietnamese text as the registry compares it: NFC for storage and display, folded for matching.
 */

const marks = /[\u0300-\u036f]/g;
const spaces = /\s+/g;

/** NFC with single spaces, trimmed: the form in which names are stored. */
export function normaliseName(name: string): string {
  return name.normalize('NFC').replace(spaces, ' ').trim();
}

/**
 * Folds a name for comparison: lower case, marks removed, đ→d, single spaces.
 *
 * @example
 * foldName('  Nguyễn   Thị Đào ') // 'nguyen thi dao'
 */
export function foldName(name: string): string {
  return name
    .normalize('NFD')
    .replace(marks, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(spaces, ' ')
    .trim();
}
