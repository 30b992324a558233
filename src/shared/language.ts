/** The languages of the CLI and of the reports: Vietnamese first, English second. */
export const languages = ['vi', 'en'] as const;
export type Language = (typeof languages)[number];

/**
 * The text in the language: the Vietnamese and English words side by side where they are used.
 *
 * @example
 * pick('vi', 'Tệp không tồn tại', 'no such file') // 'Tệp không tồn tại'
 */
export function pick(lang: Language, vi: string, en: string): string {
  return lang === 'vi' ? vi : en;
}
