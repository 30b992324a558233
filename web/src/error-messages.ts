/**
 * The server's error codes as an officer reads them, in each language: what happened and what to
 * do. The Vietnamese words are shared with the CLI (src/shared/error-words.vi.ts); in English the
 * console shows the server's own detail and action, which carry the specifics.
 */
import { errorWordsVi } from '../../src/shared/error-words.vi.js';
import type { Lang } from './i18n.js';

export interface ErrorText {
  readonly detail: string;
  readonly action: string;
}

/**
 * The officer's text for an error code, in the console's language; undefined where the server's
 * own words are used (English, or a code not listed).
 *
 * @example
 * errorText('vi', 'PERSON_NOT_FOUND') // { detail: 'Không có công dân nào mang số định danh này.', … }
 */
export function errorText(lang: Lang, code: string): ErrorText | undefined {
  if (lang !== 'vi') return undefined;
  const words = Object.hasOwn(errorWordsVi, code) ? errorWordsVi[code] : undefined;
  return words === undefined ? undefined : { detail: words[0], action: words[1] };
}
