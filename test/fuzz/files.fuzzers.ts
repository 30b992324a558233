import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readLinkageTable } from '../../src/matching/linkage-file.reader.js';
import { readPersonFile, type PersonFileFormat } from '../../src/registry/person-file.reader.js';
import { bytesArbitrary, fuzzer, invariant, nastyText, onlyDomainErrors, onlyDomainErrorsSync, type AnyFuzzer } from './fuzz-harness.js';

/**
 * Fuzzers of the file readers: the person CSV and NDJSON reader (import) and the linkage CSV
 * reader. Files are written to a folder of their own; {@link removeFuzzFiles} removes it.
 */

let folder: string | undefined;
let counter = 0;

function fuzzFile(extension: string, bytes: Uint8Array): string {
  folder ??= mkdtempSync(path.join(tmpdir(), 'sachsong-fuzz-'));
  const file = path.join(folder, `f${counter++ % 8}.${extension}`);
  writeFileSync(file, bytes);
  return file;
}

/** Removes the fuzzers' files. */
export function removeFuzzFiles(): void {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
}

/** Stands for personal data in a cell: no error message may repeat it. */
const marker = 'Qz9PII';
const cellArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.constant(marker) },
  { weight: 1, arbitrary: nastyText.map((t) => `${marker}${t}`) },
);

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le-bom' | 'latin1' | 'utf-16be';
const encodingArbitrary = fc.constantFrom<Encoding>('utf-8', 'utf-8', 'utf-8', 'utf-8-bom', 'utf-16le-bom', 'latin1', 'utf-16be');

function encode(text: string, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case 'utf-8': return Buffer.from(text, 'utf8');
    case 'utf-8-bom': return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le-bom': return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'latin1': return Buffer.from(text, 'latin1');
    case 'utf-16be': return Buffer.from(text, 'utf16le').swap16();
  }
}

/** Random bytes put into the file at a few places: broken encodings, stray quotes and line ends. */
interface Damage { readonly at: number; readonly bytes: Uint8Array }
const damageArbitrary: fc.Arbitrary<readonly Damage[]> = fc.array(fc.record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }), { maxLength: 3 });

function damage(bytes: Uint8Array, damages: readonly Damage[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const d of damages) {
    const at = out.length === 0 ? 0 : d.at % (out.length + 1);
    out = Buffer.concat([out.subarray(0, at), d.bytes, out.subarray(at)]);
  }
  return out;
}

interface CsvInput {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly delimiter: ',' | ';' | '\t';
  readonly quoting: 'proper' | 'none' | 'broken';
  readonly newline: '\n' | '\r\n' | '\r';
  readonly encoding: Encoding;
  readonly damages: readonly Damage[];
  readonly chunkSize: number;
}

const csvArbitrary: fc.Arbitrary<CsvInput> = fc.record({
  header: fc.array(fc.oneof(fc.constantFrom('id_number', 'full_name', 'birth_date', 'sex', 'commune_code', 'ho_ten', 'ngay_sinh'), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 6 }),
  rows: fc.array(fc.array(cellArbitrary, { minLength: 0, maxLength: 7 }), { maxLength: 8 }),
  delimiter: fc.constantFrom(',', ';', '\t'),
  quoting: fc.constantFrom('proper', 'proper', 'none', 'broken'),
  newline: fc.constantFrom('\n', '\r\n', '\r'),
  encoding: encodingArbitrary,
  damages: damageArbitrary,
  chunkSize: fc.integer({ min: 1, max: 80 }),
});

function csvText(input: CsvInput): string {
  const cell = (value: string, i: number): string => {
    if (input.quoting === 'proper') return `"${value.replaceAll('"', '""')}"`;
    if (input.quoting === 'broken') return i % 2 === 0 ? `"${value}` : `${value}"x"`;
    return value;
  };
  return [input.header, ...input.rows].map((row) => row.map(cell).join(input.delimiter)).join(input.newline) + input.newline;
}

const fileErrorCodes = ['FILE_ENCODING_UNSUPPORTED', 'FILE_ENCODING_INCONSISTENT', 'FILE_HEADER_MISSING', 'FILE_HEADER_INVALID', 'FILE_FORMAT_UNKNOWN', 'FILE_NOT_READABLE', 'FILE_TOO_LARGE'];
const rowErrorCodes = new Set(['CSV_ROW_MALFORMED', 'NDJSON_LINE_MALFORMED', 'ROW_ENCODING_INVALID']);

/**
 * Reads a person file to the end and checks what every reader promises. Chunks as small as one
 * byte test the boundaries on small files; large files are read in the reader's own 64 KiB chunks
 * (a byte a chunk over 100 KB measures the test's chunking, not the reader).
 */
async function readAll(file: string, size: number, format: PersonFileFormat, chunkSize: number): Promise<void> {
  const opened = await onlyDomainErrors(() => readPersonFile(file, { format, chunkSize: size > 1_024 ? 65_536 : chunkSize }), ['invalid'], fileErrorCodes);
  if ('error' in opened) {
    invariant(!opened.error.message.includes(marker), `a file refusal quotes no row data: ${opened.error.code}`);
    return;
  }
  const { header, rows } = opened.value;
  let expected = 1;
  const iterate = await onlyDomainErrors(async () => {
    for await (const row of rows) {
      invariant(row.rowNumber === expected, `rows are numbered 1, 2, 3… (got ${row.rowNumber}, expected ${expected})`);
      expected++;
      if ('error' in row) {
        invariant(rowErrorCodes.has(row.error.code), `a row error has a documented code (${row.error.code})`);
        invariant(!row.error.message.includes(marker), `a row error quotes no row data: ${row.error.code}`);
      } else {
        for (const [key, value] of Object.entries(row.record)) {
          invariant(value === null || typeof value === 'string', 'values are strings or null');
          invariant(format === 'ndjson' || (header ?? []).includes(key), 'a CSV record has only header columns');
        }
      }
    }
  }, ['invalid'], fileErrorCodes);
  if ('error' in iterate) invariant(!iterate.error.message.includes(marker), `a file refusal quotes no row data: ${iterate.error.code}`);
}

/** CSV person files: structured malicious ones (quotes, delimiters, line ends, encodings, damage) and junk bytes. */
export const personCsvFuzzer = fuzzer<{ readonly csv: CsvInput } | { readonly junk: Uint8Array; readonly chunkSize: number }>({
  name: 'person file, CSV (readPersonFile)',
  file: 'src/registry/person-file.reader.ts',
  weight: 0.5,
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: csvArbitrary.map((csv) => ({ csv })) },
    { weight: 1, arbitrary: fc.record({ junk: bytesArbitrary, chunkSize: fc.integer({ min: 1, max: 80 }) }) },
  ),
  check: async (input) => {
    if ('junk' in input) return readAll(fuzzFile('csv', input.junk), input.junk.length, 'csv', input.chunkSize);
    const bytes = damage(encode(csvText(input.csv), input.csv.encoding), input.csv.damages);
    return readAll(fuzzFile('csv', bytes), bytes.length, 'csv', input.csv.chunkSize);
  },
});

interface NdjsonInput {
  readonly lines: readonly string[];
  readonly newline: '\n' | '\r\n';
  readonly encoding: Encoding;
  readonly damages: readonly Damage[];
  readonly chunkSize: number;
}

const ndjsonLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('idNumber', 'fullName', 'birthDate', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), fc.oneof(cellArbitrary, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  // Deep nesting: an attack on recursive parsing and stringifying.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 10, max: 5_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => `{"fullName":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3_000 }), fc.constantFrom('[', '{"a":', '"', '\\')).map(([n, s]) => s.repeat(n)) },
  { weight: 1, arbitrary: nastyText },
);

/** NDJSON person files: objects, other JSON, deep nesting, broken lines, encodings, damage. */
export const personNdjsonFuzzer = fuzzer<NdjsonInput>({
  name: 'person file, NDJSON (readPersonFile)',
  file: 'src/registry/person-file.reader.ts',
  weight: 0.5,
  arbitrary: fc.record({
    lines: fc.array(ndjsonLine, { maxLength: 6 }),
    newline: fc.constantFrom('\n', '\r\n'),
    encoding: encodingArbitrary,
    damages: damageArbitrary,
    chunkSize: fc.integer({ min: 1, max: 4_096 }),
  }),
  check: (input) => {
    const bytes = damage(encode(input.lines.join(input.newline) + input.newline, input.encoding), input.damages);
    return readAll(fuzzFile('ndjson', bytes), bytes.length, 'ndjson', input.chunkSize);
  },
});

/** Linkage CSV files: only LINKAGE_FILE_* refusals, every row as wide as the header, no cell quoted in a message. */
export const linkageCsvFuzzer = fuzzer<{ readonly csv: CsvInput } | { readonly junk: Uint8Array }>({
  name: 'linkage CSV (readLinkageTable)',
  file: 'src/matching/linkage-file.reader.ts',
  weight: 0.5,
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: csvArbitrary.map((csv) => ({ csv })) },
    { weight: 1, arbitrary: fc.record({ junk: bytesArbitrary }) },
  ),
  check: (input) => {
    const delimiter = 'csv' in input ? input.csv.delimiter : ',';
    const bytes = 'junk' in input ? input.junk : damage(encode(csvText(input.csv), input.csv.encoding), input.csv.damages);
    const file = fuzzFile('csv', bytes);
    const result = onlyDomainErrorsSync(() => readLinkageTable({ path: file, id: 'id', delimiter }), ['invalid'], ['LINKAGE_FILE_INVALID', 'LINKAGE_FILE_EMPTY', 'LINKAGE_FILE_UNREADABLE']);
    if ('error' in result) {
      invariant(!result.error.message.includes(marker), `a refusal quotes no cell: ${result.error.message.slice(0, 200)}`);
      return;
    }
    for (const row of result.value.rows) invariant(row.length === result.value.header.length, 'every row is as wide as the header');
  },
});

/** Every file-reader fuzzer. */
export const fileFuzzers: readonly AnyFuzzer[] = [personCsvFuzzer, personNdjsonFuzzer, linkageCsvFuzzer];
