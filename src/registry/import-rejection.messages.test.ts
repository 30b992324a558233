import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importRejectionTexts, rejectionIn, rejectionMessage } from './import-rejection.messages.js';

const source = (file: string): string => readFileSync(new URL(file, import.meta.url), 'utf8');

/**
 * Every code a row of an import can be refused with: the validators' codes (the whole files a row
 * goes through), the importer's own (`code: '…'`) and the reader's codes of unreadable rows.
 */
function rowCodes(): string[] {
  const codes = new Set<string>();
  for (const file of ['person.validation.ts', 'registration.prepare.ts', 'free-text.ts', 'id-number.ts', 'partial-date.ts']) {
    // Every code literal: some are thrown from a table or a list of inconsistencies, not a literal call.
    for (const m of source(file).matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) codes.add(m[1] ?? '');
  }
  for (const m of source('admin-unit.catalog.ts').matchAll(/'(ADMIN_UNIT_(?:UNKNOWN|NOT_YET_IN_FORCE|EXPIRED))'/g)) codes.add(m[1] ?? '');
  for (const file of ['person-import.prepare.ts', 'person-import.service.ts']) {
    for (const m of source(file).matchAll(/code: '([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1] ?? '');
  }
  const rowError = /readonly code: ((?:'[A-Z_]+'(?: \| )?)+);/.exec(source('person-file.reader.ts'))?.[1] ?? '';
  for (const m of rowError.matchAll(/'([A-Z_]+)'/g)) codes.add(m[1] ?? '');
  return [...codes].sort();
}

describe('import rejection messages', () => {
  it('finds the codes it checks (the scan reads the validators)', () => {
    expect(rowCodes()).toEqual(expect.arrayContaining(['FIELD_MISSING', 'NAME_INVALID', 'SEX_INVALID', 'ID_SEX_MISMATCH', 'TEXT_FORMULA_START', 'ADMIN_UNIT_EXPIRED', 'DUPLICATE_IN_FILE', 'ID_NUMBER_TAKEN', 'COLUMN_UNKNOWN', 'CSV_ROW_MALFORMED', 'NDJSON_LINE_MALFORMED']));
  });

  it.each(rowCodes())('has Vietnamese and English text for %s', (code) => {
    const text = importRejectionTexts[code];
    expect(text, `${code} has no text in import-rejection.messages.ts`).toBeDefined();
    expect(text?.vi).not.toBe('');
    expect(text?.en).not.toBe('');
    expect(text?.vi).not.toBe(text?.en);
    expect(rejectionMessage(code, 'vi')).toBe(text?.vi);
    expect(rejectionMessage(code, 'en')).toBe(text?.en);
  });

  it('gives the English report message in English, the code\'s Vietnamese text in Vietnamese', () => {
    const rejection = { rowNumber: 4, code: 'FIELD_MISSING', field: 'sex', message: rejectionMessage('FIELD_MISSING', 'en') };
    expect(rejectionIn(rejection, 'en')).toBe(rejection);
    expect(rejectionIn(rejection, 'vi')).toEqual({ ...rejection, message: 'một cột bắt buộc để đăng ký bị trống: cần họ tên, ngày sinh, giới tính và tỉnh nơi đăng ký khai sinh' });
  });

  it('says why a row could not be read, and on which lines, in Vietnamese', () => {
    const row = (code: string, message: string): string => rejectionIn({ rowNumber: 5, code, message }, 'vi').message;
    expect(row('CSV_ROW_MALFORMED', 'the row has 3 fields but the header has 7 (line 6)')).toBe('dòng có 3 trường nhưng dòng tên cột có 7 (dòng 6 của tệp)');
    expect(row('CSV_ROW_MALFORMED', 'a quoted field is not closed (lines 6–9)')).toBe('một trường mở dấu nháy kép mà không đóng (dòng 6–9 của tệp)');
    expect(row('NDJSON_LINE_MALFORMED', 'the line is not valid JSON (line 2)')).toBe('dòng không phải JSON hợp lệ (dòng 2 của tệp)');
    // A reason the list does not know: the code's words first, the reader's in brackets.
    expect(row('CSV_ROW_MALFORMED', 'something new (line 2)')).toBe('dòng không đọc được theo định dạng CSV (something new) (dòng 2 của tệp)');
  });
});
