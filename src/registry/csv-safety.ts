/**
 * Keeps a CSV file that a spreadsheet will open from running what it holds (OWASP "CSV injection")
 * and from carrying raw control bytes.
 *
 * Policy, for every CSV this project writes (the registry export, reconciliation results, linkage
 * pairs):
 * - a cell that starts with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'`, which spreadsheets
 *   show as text and do not evaluate. `-` is included although a registry value may legitimately
 *   start with it (an address "- thôn 3"): `-1+cmd|…` is a formula, and the quote is cheap. The
 *   person importer takes that one quote off again, so an export imports back unchanged;
 * - control characters (C0 but for none, DEL, C1, U+2028/2029) are written as U+FFFD: a NUL
 *   truncates the line in many readers, and new input never holds them (the registry refuses
 *   them), so they only mark damaged old data. The importer refuses U+FFFD, so damaged values are
 *   noticed on the way back rather than stored again.
 */
const formulaStart = /^[=+\-@\t\r]/u;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;

/**
 * A value as it may be written into a CSV cell (the CSV writer still quotes it as needed).
 *
 * @example
 * csvSafeCell('=HYPERLINK("http://x")') // "'=HYPERLINK(\"http://x\")"
 * csvSafeCell('Nguyễn\u0000An') // 'Nguyễn\uFFFDAn'
 */
export function csvSafeCell(value: string): string {
  const clean = value.replace(control, '\uFFFD');
  return formulaStart.test(clean) ? `'${clean}` : clean;
}

/** Whether a value read from a CSV cell carries the quote that {@link csvSafeCell} added. */
const quotedFormulaStart = /^'[=+\-@\t\r]/u;

/**
 * Undoes {@link csvSafeCell}'s leading quote, for reading a file this project wrote.
 *
 * @example
 * csvUnquoteCell("'- thôn 3") // '- thôn 3'
 */
export function csvUnquoteCell(value: string): string {
  // The first character alone decides most cells: the import calls this for every cell.
  return value.charCodeAt(0) === 0x27 && quotedFormulaStart.test(value) ? value.slice(1) : value;
}

/** JSON text with every control character escaped (JSON.stringify leaves DEL, C1 and U+2028/2029 raw). */
const rawInJson = /[\u007f-\u009f\u2028\u2029]/gu;

/**
 * JSON.stringify whose output holds no raw control character: the ones JSON.stringify keeps are
 * written as `\uXXXX` escapes, which parse back to the same value.
 */
export function jsonWithoutControls(value: unknown): string {
  return JSON.stringify(value).replace(rawInJson, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
