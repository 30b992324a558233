import { DomainError } from '../shared/domain-error.js';
import { isPlainLatin } from '../shared/vietnamese-text.js';

/**
 * Characters that no name, address or other free-text field of the registry may hold, with the
 * stable code each is refused under:
 * - control characters (C0, DEL, C1, and the line and paragraph separators): free-text fields are
 *   single lines, and a NUL or ESC in a record breaks or steers whatever later reads it;
 * - unpaired UTF-16 surrogates: not text at all, and they turn into U+FFFD or a crash downstream;
 * - format characters (`\p{Cf}`): the bidirectional embeddings, overrides and isolates
 *   (U+202A–202E, U+2066–2069), the LRM/RLM/ALM marks (U+200E, U+200F, U+061C), zero-width
 *   characters and a stray BOM. They are invisible, so two records that look the same on screen
 *   would differ (or a name would display reversed, "Trojan Source"). Vietnamese, including the
 *   minority languages written in Latin script, needs none of them;
 * - U+FFFD: the mark a decoder leaves where bytes were not text, so the value is already damaged.
 */
const forbidden: readonly { readonly pattern: RegExp; readonly code: string; readonly what: string }[] = [
  { pattern: /[\p{Cc}\u2028\u2029]/u, code: 'TEXT_CONTROL_CHARACTER', what: 'a control character' },
  { pattern: /\p{Cs}/u, code: 'TEXT_UNPAIRED_SURROGATE', what: 'an unpaired surrogate (not valid Unicode)' },
  { pattern: /\p{Cf}/u, code: 'TEXT_FORMAT_CHARACTER', what: 'an invisible formatting or bidirectional control character' },
  { pattern: /\uFFFD/u, code: 'TEXT_REPLACEMENT_CHARACTER', what: 'a replacement character (U+FFFD), left where bytes could not be decoded' },
];

const anyForbidden = /[\p{Cc}\u2028\u2029\p{Cs}\p{Cf}\uFFFD]/u;

/**
 * A leading `=`, `+` or `@` makes a spreadsheet run the value as a formula when an export is opened
 * (OWASP "CSV injection"). No Vietnamese name or address starts so, so such values are refused at
 * the door. A leading `-` is allowed ("- thôn 3", a dash for "none"); exports neutralise it instead.
 */
const formulaStart = /^[=+@]/u;

/**
 * Checks one free-text value and returns it in NFC. Refuses the characters above with a stable
 * code; the message and `details.field` name the field and the code point, never the value.
 *
 * @example
 * checkFreeText('Nguyễn Thị Ánh', 'fullName') // 'Nguyễn Thị Ánh' (NFC)
 * checkFreeText('abc\u202Edef', 'currentAddress') // throws TEXT_FORMAT_CHARACTER naming currentAddress
 */
export function checkFreeText(raw: string, field: string): string {
  // Most values are plain Latin text, NFC already and free of every character refused below.
  const text = isPlainLatin(raw) ? raw : checkedNfc(raw, field);
  if (formulaStart.test(text.trimStart())) {
    throw new DomainError('invalid', 'TEXT_FORMULA_START', `${field} starts with =, + or @, which spreadsheets run as a formula`, `Remove the leading character from ${field}`, { field });
  }
  return text;
}

/** The value in NFC once none of the refused characters is found in it. */
function checkedNfc(raw: string, field: string): string {
  // One scan for all of them; only a value holding one is scanned again, to name it.
  if (anyForbidden.test(raw)) {
    for (const { pattern, code, what } of forbidden) {
      const found = pattern.exec(raw);
      if (found !== null) {
        const point = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
        throw new DomainError('invalid', code, `${field} contains ${what} (U+${point})`, `Remove the character from ${field}; check how the value was copied or converted`, { field });
      }
    }
  }
  return raw.normalize('NFC');
}
