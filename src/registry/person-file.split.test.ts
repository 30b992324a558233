import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { splitCsvRecord } from './person-file.reader.js';

/** csv-parse's reading of one record, as the reader configures it; undefined when it refuses or sees several. */
function csvParseFields(text: string, delimiter: string): string[] | undefined {
  try {
    const records: string[][] = parse(text, { delimiter, record_delimiter: '\n', relax_column_count: true, bom: false });
    return records.length === 1 ? records[0] : undefined;
  } catch {
    return undefined;
  }
}

// No lone CR: csv-stringify leaves it unquoted, and in a file it ends the line before any parser sees it.
const cell = fc.string({ unit: fc.constantFrom('a', 'ễ', ' ', ',', ';', '"', '\n', '\t', "'", 'Đ'), maxLength: 12 });

describe('splitCsvRecord', () => {
  it('gives back the fields csv-stringify wrote, quoted or not', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 2, maxLength: 6 }), fc.constantFrom(',', ';', '\t'), (fields, delimiter) => {
        const text = stringify([fields], { delimiter, record_delimiter: '\n' }).replace(/\n$/u, '');
        expect(splitCsvRecord(text, delimiter)).toEqual(fields);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with csv-parse on any text it accepts, and leaves the rest to csv-parse', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'ễ', ',', '"', ' ', '\n', ';'), maxLength: 24 }), (text) => {
        fc.pre(text.trim() !== '');
        const fields = splitCsvRecord(text, ',');
        if (fields !== undefined) expect(fields).toEqual(csvParseFields(text, ','));
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses a stray quote, an unclosed quote and text after a closing quote', () => {
    expect(splitCsvRecord('a,b"c,d', ',')).toBeUndefined();
    expect(splitCsvRecord('a,"b,c', ',')).toBeUndefined();
    expect(splitCsvRecord('a,"b"c,d', ',')).toBeUndefined();
    expect(splitCsvRecord('a,"b ""x"", c",', ',')).toEqual(['a', 'b "x", c', '']);
  });
});
