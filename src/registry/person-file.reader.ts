/**
 * Reads an agency's or officer's person file (CSV or NDJSON) for import, row by row, in constant
 * memory whatever the file's size. The encoding is detected from the first 64 KiB; legacy
 * Vietnamese encodings are converted on the fly. A bad row becomes a row error and reading goes on.
 * Row contents are personal data: nothing here logs them or copies them into error messages.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse, type Options as CsvOptions } from 'csv-parse/sync';
import { DomainError } from '../shared/domain-error.js';
import { csvUnquoteCell } from './csv-safety.js';
import {
  assertSupportedEncoding,
  createVietnameseDecoder,
  detectEncoding,
  isLegacyEncoding,
  type DetectedEncoding,
} from './legacy-encoding.js';

export type PersonFileFormat = 'csv' | 'ndjson';

export interface ReadPersonFileOptions {
  /** Default: from the extension (.csv → csv; .ndjson or .jsonl → ndjson). */
  readonly format?: PersonFileFormat;
  /** Convert TCVN3, VNI and Windows-1258 files (default true); when false they are refused. */
  readonly allowLegacy?: boolean;
  /** CSV field delimiter; default: whichever of , ; or tab is most frequent in the header line. */
  readonly delimiter?: ',' | ';' | '\t';
  /** Bytes read at a time (default 64 KiB); smaller values are for tests of chunk boundaries. */
  readonly chunkSize?: number;
  /** Give each row read the line of the file it starts on (`line`), for reports that name it. */
  readonly withLines?: boolean;
}

/**
 * A row-level problem: the row is skipped, the file goes on. `message` says what is wrong and on
 * which physical line(s), e.g. "the row has 3 fields but the header has 2 (line 7)"; it never
 * quotes row data.
 */
export interface FileRowError {
  /** ROW_ENCODING_INVALID: the row has bytes that are not in the file's encoding (UTF-8 or UTF-16). */
  readonly code: 'CSV_ROW_MALFORMED' | 'NDJSON_LINE_MALFORMED' | 'ROW_ENCODING_INVALID';
  readonly message: string;
}

/**
 * One data row of a person file, or why it could not be read.
 *
 * `rowNumber` is 1-based and counts data rows only: the CSV header, blank lines and CSV lines with
 * only empty fields are not counted; a malformed row is. Error messages also give the physical line
 * number(s) in the file, for an officer opening it in an editor.
 */
export type FileRow =
  | { readonly rowNumber: number; readonly record: Readonly<Record<string, string | null>>; readonly line?: number }
  | { readonly rowNumber: number; readonly error: FileRowError };

export interface PersonFile {
  readonly encoding: DetectedEncoding;
  /** True when the file was in a legacy encoding and is converted to Unicode as it is read. */
  readonly converted: boolean;
  readonly format: PersonFileFormat;
  /** The CSV column names (trimmed, NFC); null for NDJSON and for an empty CSV file. */
  readonly header: readonly string[] | null;
  /** The rows; each iteration reads the file again from the start. */
  readonly rows: AsyncIterable<FileRow>;
  /** The same rows in arrays, one a piece of the file read (possibly empty), for readers of many rows. */
  readonly rowChunks: AsyncIterable<readonly FileRow[]>;
}

const sampleBytes = 64 * 1024;
const maxRecordChars = 1024 * 1024;
/**
 * The deepest nesting an NDJSON value may have. A person row is flat (an object of scalars, perhaps
 * an address object); a row nested thousands deep is an attack on the recursive JSON.stringify
 * that would otherwise overflow the stack and stop the whole import.
 */
const maxJsonDepth = 16;
/** What a UTF-8 or UTF-16 decoder leaves where bytes were not text (the reader decodes with `replace`). */
const REPLACEMENT = '\uFFFD';
const notText = 'the row has bytes that are not valid text in the file\'s encoding, or a U+FFFD replacement character';
/** A quoted field still open after this many line breaks is taken to be an unclosed quote. */
const maxRecordLines = 32;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const quoteOrLineEnd = /["\n\r]/g;

// ---------------------------------------------------------------------------------------------
// Splitting text into CSV records, with recovery from unclosed quotes and oversized records.

interface Lines {
  readonly firstLine: number;
  readonly lastLine: number;
}
type CsvPiece = (Lines & { readonly kind: 'record'; readonly text: string }) | (Lines & { readonly kind: 'malformed'; readonly reason: string });

/** A line end: CRLF (Windows), LF (Unix) or a lone CR (old Mac exports); a file may mix them. */
const lineEnd = /\r\n?|\n/u;

/**
 * Finds record boundaries as csv-parse does (a quote opens a quoted field only at the start of a
 * field; "" inside is a quote; any other quote is left for csv-parse to reject), so that each
 * record can be parsed alone and a bad one cannot pull the next ones into it. CRLF, LF and a lone
 * CR each end a line (an LF right after a CR is part of the same line end, even across chunks).
 * A quoted field that stays open too long, or to the end of the file, makes only its first line a
 * malformed row; reading resumes on the next line instead of swallowing the rest of the file.
 */
class CsvRecordSplitter {
  private buffer = '';
  private start = 0;
  private scan = 0;
  private newlines = 0;
  private inQuotes = false;
  private fieldStart = true;
  private skipping = false;
  /** The last character scanned was a CR: an LF now completes its line end. */
  private afterCR = false;

  constructor(
    private readonly delimiter: number,
    private line = 1,
  ) {}

  push(text: string): CsvPiece[] {
    this.buffer += text;
    return this.run(false);
  }

  end(): CsvPiece[] {
    return this.run(true);
  }

  private run(final: boolean): CsvPiece[] {
    const out: CsvPiece[] = [];
    const buffer = this.buffer;
    let index = this.scan;
    for (;;) {
      if (index >= buffer.length) {
        if (!final) break;
        if (this.inQuotes && !this.skipping) {
          index = this.resync(out);
          continue;
        }
        if (!this.skipping && this.start < buffer.length) this.emit(out, buffer, buffer.length);
        this.start = buffer.length;
        break;
      }
      const code = buffer.charCodeAt(index);
      if (code !== QUOTE && code !== LF && code !== CR && !this.skipping && index - this.start <= maxRecordChars) {
        // Only a quote or a line end changes the state: a run of other characters is passed over in
        // one search, as the loop below would go through it, up to where the length check fires.
        quoteOrLineEnd.lastIndex = index + 1;
        // test(), not exec(): no match array; lastIndex is then one past the character found.
        const found = quoteOrLineEnd.test(buffer) ? quoteOrLineEnd.lastIndex - 1 : buffer.length;
        const next = Math.min(found, this.start + maxRecordChars + 1);
        if (!this.inQuotes) this.fieldStart = buffer.charCodeAt(next - 1) === this.delimiter;
        this.afterCR = false;
        index = next;
        continue;
      }
      const afterCR = this.afterCR;
      this.afterCR = code === CR;
      if (this.skipping) {
        index++;
        if (code === CR || (code === LF && !afterCR)) {
          this.skipping = false;
          this.line++;
        }
        this.reset(index); // drop what is skipped, so that an endless line does not fill memory
        continue;
      }
      if (code === LF && afterCR && index === this.start) {
        // The LF of a CRLF whose CR has ended the record already.
        this.reset(index + 1);
        index++;
        continue;
      }
      if (index - this.start > maxRecordChars) {
        out.push({ kind: 'malformed', reason: 'the row is longer than 1 MiB', firstLine: this.line, lastLine: this.line + this.newlines });
        this.line += this.newlines;
        this.skipping = true;
        this.afterCR = afterCR; // the same character is read again, skipping
        continue;
      }
      if (this.inQuotes) {
        if (code === QUOTE) {
          if (index + 1 >= buffer.length && !final) break; // is it "" or a closing quote? wait for more
          if (buffer.charCodeAt(index + 1) === QUOTE) {
            index += 2;
            continue;
          }
          this.inQuotes = false;
        } else if ((code === CR || (code === LF && !afterCR)) && ++this.newlines > maxRecordLines) {
          index = this.resync(out);
          continue;
        }
        index++;
        continue;
      }
      if (code === QUOTE && this.fieldStart) {
        this.inQuotes = true;
        this.fieldStart = false;
      } else if (code === this.delimiter) {
        this.fieldStart = true;
      } else if (code === LF || code === CR) {
        this.emit(out, buffer, index);
        this.line += this.newlines + 1;
        this.reset(index + 1);
      } else {
        this.fieldStart = false;
      }
      index++;
    }
    this.scan = index - this.start;
    this.buffer = buffer.slice(this.start);
    this.start = 0;
    return out;
  }

  private emit(out: CsvPiece[], buffer: string, end: number): void {
    const stop = end > this.start && buffer.charCodeAt(end - 1) === CR ? end - 1 : end;
    out.push({ kind: 'record', text: buffer.slice(this.start, stop), firstLine: this.line, lastLine: this.line + this.newlines });
  }

  /** Reports the first line of an unclosed record as malformed; returns where to scan again. */
  private resync(out: CsvPiece[]): number {
    out.push({ kind: 'malformed', reason: 'a quoted field is not closed', firstLine: this.line, lastLine: this.line });
    const newline = lineEnd.exec(this.buffer.slice(this.start));
    this.line++;
    if (newline === null) {
      this.reset(this.buffer.length);
      this.afterCR = false;
    } else {
      const end = this.start + newline.index + newline[0].length;
      this.reset(end);
      // A CR at the very end may be the first half of a CRLF still to come.
      this.afterCR = newline[0] === '\r' && end === this.buffer.length;
    }
    return this.start;
  }

  private reset(start: number): void {
    this.start = start;
    this.newlines = 0;
    this.inQuotes = false;
    this.fieldStart = true;
  }
}

// ---------------------------------------------------------------------------------------------
// From CSV records to rows.

type Parsed = string[] | { readonly failure: string };

function csvOptions(delimiter: string): CsvOptions {
  return { delimiter, record_delimiter: '\n', relax_column_count: true, bom: false };
}

function failureReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return 'a closing quote is followed by other characters';
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field is not closed';
  if (code === 'INVALID_OPENING_QUOTE') return 'a quote inside an unquoted field; put the whole field in quotes and double the quote';
  return `the row is not valid CSV (${code})`;
}

function parseOne(text: string, delimiter: string): Parsed {
  try {
    const records = parse(text, csvOptions(delimiter));
    const [record] = records;
    return records.length === 1 && record !== undefined ? record : { failure: 'the row is not valid CSV (it reads as several rows)' };
  } catch (error) {
    return { failure: failureReason(error) };
  }
}

/**
 * The fields of a well-formed record: each either without any quote, or wholly quoted with "" for
 * a quote inside. Undefined for anything else (a stray or unclosed quote, text after a closing
 * quote), which csv-parse then reads and names the fault of. The same fields as csv-parse gives,
 * at a fraction of its cost: this runs for every row of an import.
 */
export function splitCsvRecord(text: string, delimiter: string): string[] | undefined {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let start = i + 1;
      for (;;) {
        const quote = text.indexOf('"', start);
        if (quote === -1) return undefined;
        if (text.charCodeAt(quote + 1) === QUOTE) {
          value += text.slice(start, quote + 1);
          start = quote + 2;
          continue;
        }
        value += text.slice(start, quote);
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== delimiter) return undefined;
      i++;
    } else {
      const next = text.indexOf(delimiter, i);
      const end = next === -1 ? n : next;
      const value = text.slice(i, end);
      // A line break outside quotes never reaches here from the record splitter; csv-parse judges it.
      if (value.includes('"') || value.includes('\n') || value.includes('\r')) return undefined;
      fields.push(value);
      if (next === -1) return fields;
      i = next + 1;
    }
  }
}

/** Parses records: the well-formed ones by splitCsvRecord, the others by csv-parse together. */
function parseBatch(texts: readonly string[], delimiter: string): Parsed[] {
  const out: Parsed[] = new Array<Parsed>(texts.length);
  const quoted: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const fields = splitCsvRecord(texts[i] ?? '', delimiter);
    if (fields === undefined) quoted.push(i);
    else out[i] = fields;
  }
  if (quoted.length === 0) return out;
  const parsed = parseWithCsvParse(quoted.map((i) => texts[i] ?? ''), delimiter);
  for (const [k, i] of quoted.entries()) out[i] = parsed[k] ?? { failure: 'the row is not valid CSV' };
  return out;
}

/** Parses records in one csv-parse call; any doubt about alignment falls back to one call each. */
function parseWithCsvParse(texts: readonly string[], delimiter: string): Parsed[] {
  if (texts.length === 0) return [];
  try {
    // With raw, csv-parse returns { record, raw } objects, which its typings do not express.
    const parsed = parse(texts.join('\n'), { ...csvOptions(delimiter), raw: true }) as unknown as readonly { record: string[]; raw: string }[];
    const aligned =
      parsed.length === texts.length &&
      parsed.every(({ raw }, index) => (raw.endsWith('\n') ? raw.slice(0, -1) : raw) === texts[index]);
    if (aligned) return parsed.map(({ record }) => record);
  } catch {
    // A bad record in the batch: find it by parsing each record alone.
  }
  return texts.map((text) => parseOne(text, delimiter));
}

const valueLike = /^[+-]?[\d\s./:-]+$/u;

function validateHeader(fields: readonly string[]): readonly string[] {
  const names = fields.map((field) => field.trim());
  if (names.filter((name) => valueLike.test(name)).length * 2 > names.length) {
    throw new DomainError(
      'invalid',
      'FILE_HEADER_MISSING',
      'The first row of the file holds values, not column names: the header row is missing',
      'Add a header row with the column names as the first line of the file',
    );
  }
  const empty = names.findIndex((name) => name === '');
  if (empty !== -1) {
    throw new DomainError('invalid', 'FILE_HEADER_INVALID', `Column ${empty + 1} of the header row has no name`, 'Give every column a name in the header row');
  }
  const duplicate = names.findIndex((name, index) => names.indexOf(name) !== index);
  if (duplicate !== -1) {
    // By position only: a file whose first row is data would otherwise have its cells quoted here.
    const first = names.indexOf(names[duplicate] ?? '');
    throw new DomainError(
      'invalid',
      'FILE_HEADER_INVALID',
      `Columns ${first + 1} and ${duplicate + 1} of the header row have the same name`,
      'Make every column name unique',
    );
  }
  return names;
}

function fieldCount(count: number): string {
  return count === 1 ? '1 field' : `${count} fields`;
}

function lineText({ firstLine, lastLine }: Lines): string {
  return firstLine === lastLine ? `line ${firstLine}` : `lines ${firstLine}–${lastLine}`;
}

class CsvRows {
  private rowNumber = 0;
  header: readonly string[] | undefined;
  /** Every column of the header, null: the record each row starts from. */
  private blank: Readonly<Record<string, string | null>> = {};

  constructor(private readonly delimiter: string, private readonly withLines = false) {}

  *rows(pieces: readonly CsvPiece[]): Generator<FileRow> {
    let batch: (Lines & { readonly text: string })[] = [];
    for (const piece of pieces) {
      if (piece.kind === 'record') {
        if (piece.text.trim() !== '') batch.push(piece);
        continue;
      }
      yield* this.parsed(batch);
      batch = [];
      if (this.header !== undefined) yield this.malformed(piece, piece.reason);
      else throw headerMissing();
    }
    yield* this.parsed(batch);
  }

  private *parsed(batch: readonly (Lines & { readonly text: string })[]): Generator<FileRow> {
    const parsed = parseBatch(batch.map(({ text }) => text), this.delimiter);
    for (const [index, fields] of parsed.entries()) {
      const lines = batch[index];
      if (lines === undefined) continue;
      if ('failure' in fields) {
        if (this.header === undefined) throw headerMissing();
        if (lines.lastLine === lines.firstLine) {
          yield this.malformed(lines, fields.failure);
          continue;
        }
        // A record over several lines that does not parse most likely starts with a quote that
        // never closes: blame its first line only and read the following lines again.
        yield this.malformed({ firstLine: lines.firstLine, lastLine: lines.firstLine }, 'a quoted field is not closed');
        const again = new CsvRecordSplitter(this.delimiter.charCodeAt(0), lines.firstLine + 1);
        const firstEnd = lineEnd.exec(lines.text);
        const rest = firstEnd === null ? '' : lines.text.slice(firstEnd.index + firstEnd[0].length);
        yield* this.rows([...again.push(rest), ...again.end()]);
        continue;
      }
      // The quote that the export puts before a formula-like value ("'- thôn 3") is taken off.
      // Plain loops: this runs for every row of an import. The fields become the values in place.
      const values = fields;
      let empty = true;
      for (let c = 0; c < values.length; c++) {
        const value = csvUnquoteCell((values[c] ?? '').trim());
        values[c] = value;
        if (value !== '') empty = false;
      }
      if (empty) continue;
      if (this.header === undefined) {
        this.header = validateHeader(fields);
        // A record of every column, null, in fast mode (JSON.parse builds it so): each row's record
        // is a copy of it, one allocation, instead of an object grown key by key into a hash table.
        this.blank = JSON.parse(JSON.stringify(Object.fromEntries(this.header.map((name) => [name, null])))) as Record<string, string | null>;
        continue;
      }
      // Unquoting and trimming add no U+FFFD: a record without one in its text has none in its values.
      if (lines.text.includes(REPLACEMENT) && values.some((value) => value.includes(REPLACEMENT))) {
        yield this.malformed(lines, notText, 'ROW_ENCODING_INVALID');
        continue;
      }
      if (values.length !== this.header.length) {
        yield this.malformed(lines, `the row has ${fieldCount(values.length)} but the header has ${this.header.length}`);
        continue;
      }
      const header = this.header;
      const record: Record<string, string | null> = { ...this.blank };
      for (let c = 0; c < values.length; c++) {
        const value = values[c] ?? '';
        if (value !== '') record[header[c] ?? ''] = value;
      }
      yield this.withLines ? { rowNumber: ++this.rowNumber, record, line: lines.firstLine } : { rowNumber: ++this.rowNumber, record };
    }
  }

  private malformed(lines: Lines, reason: string, code: FileRowError['code'] = 'CSV_ROW_MALFORMED'): FileRow {
    const rowNumber = ++this.rowNumber;
    return { rowNumber, error: { code, message: `${reason} (${lineText(lines)})` } };
  }
}

function headerMissing(): DomainError {
  return new DomainError('invalid', 'FILE_HEADER_MISSING', 'The first line of the file cannot be read as a CSV header row', 'Check that the first line holds the column names, separated by commas');
}

/** Picks the delimiter that appears most often (outside quotes) in the first non-blank line. */
function guessDelimiter(text: string): ',' | ';' | '\t' {
  const firstLine = text.split(lineEnd).find((line) => line.trim() !== '') ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/gu, '');
  const counts = ([',', ';', '\t'] as const).map((delimiter) => [delimiter, unquoted.split(delimiter).length - 1] as const);
  return counts.reduce((best, candidate) => (candidate[1] > best[1] ? candidate : best))[0];
}

// ---------------------------------------------------------------------------------------------
// NDJSON.

type NdjsonPiece = { readonly line: number; readonly text: string } | { readonly line: number; readonly oversized: true };

class LineSplitter {
  private buffer = '';
  private line = 1;
  private skipping = false;

  push(text: string): NdjsonPiece[] {
    this.buffer += text;
    const out: NdjsonPiece[] = [];
    let start = 0;
    for (let newline = this.buffer.indexOf('\n'); newline !== -1; newline = this.buffer.indexOf('\n', start)) {
      if (this.skipping) this.skipping = false;
      else if (newline - start > maxRecordChars) out.push({ line: this.line, oversized: true });
      else out.push({ line: this.line, text: this.buffer.slice(start, newline) });
      this.line++;
      start = newline + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > maxRecordChars) {
      if (!this.skipping) out.push({ line: this.line, oversized: true });
      this.skipping = true;
      this.buffer = '';
    }
    return out;
  }

  end(): NdjsonPiece[] {
    const rest = this.buffer;
    this.buffer = '';
    return this.skipping || rest === '' ? [] : [{ line: this.line, text: rest }];
  }
}

function coerce(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value.normalize('NFC');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value).normalize('NFC');
}

/** Whether a parsed JSON value nests deeper than `limit`, found without recursion. */
function nestedDeeperThan(root: object, limit: number): boolean {
  const stack: { readonly value: object; readonly depth: number }[] = [{ value: root, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth > limit) return true;
    for (const inner of Object.values(item.value)) {
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner as object, depth: item.depth + 1 });
    }
  }
  return false;
}

class NdjsonRows {
  private rowNumber = 0;

  constructor(private readonly withLines = false) {}

  *rows(pieces: readonly NdjsonPiece[]): Generator<FileRow> {
    for (const piece of pieces) {
      if ('oversized' in piece) {
        yield this.malformed(piece.line, 'the line is longer than 1 MiB');
        continue;
      }
      const text = piece.text.trim();
      if (text === '') continue;
      if (text.includes(REPLACEMENT)) {
        yield this.malformed(piece.line, notText.replace('row', 'line'), 'ROW_ENCODING_INVALID');
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // The parser's own message quotes the line, so it is not passed on.
        yield this.malformed(piece.line, 'the line is not valid JSON');
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield this.malformed(piece.line, 'the line is not a JSON object');
        continue;
      }
      if (nestedDeeperThan(value, maxJsonDepth)) {
        yield this.malformed(piece.line, `a value is nested more than ${maxJsonDepth} levels deep`);
        continue;
      }
      const record = Object.freeze(Object.fromEntries(Object.entries(value).map(([key, field]) => [key.normalize('NFC'), coerce(field)])));
      yield this.withLines ? { rowNumber: ++this.rowNumber, record, line: piece.line } : { rowNumber: ++this.rowNumber, record };
    }
  }

  private malformed(line: number, reason: string, code: FileRowError['code'] = 'NDJSON_LINE_MALFORMED'): FileRow {
    const rowNumber = ++this.rowNumber;
    return { rowNumber, error: { code, message: `${reason} (line ${line})` } };
  }
}

// ---------------------------------------------------------------------------------------------
// The file.

function formatOf(path: string): PersonFileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new DomainError(
    'invalid',
    'FILE_FORMAT_UNKNOWN',
    `Cannot tell the file format from the extension "${extension}"`,
    'Name the file .csv, .ndjson or .jsonl, or give the format explicitly',
  );
}

async function readSample(path: string): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') throw new DomainError('not_found', 'FILE_NOT_FOUND', `There is no file at ${path}`, 'Check the file path');
    if (code === 'EACCES' || code === 'EPERM') throw new DomainError('forbidden', 'FILE_NOT_READABLE', `The file at ${path} cannot be read`, 'Check the file permissions');
    throw error;
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new DomainError('invalid', 'FILE_NOT_READABLE', `${path} is not a regular file`, 'Give the path of a CSV or NDJSON file');
    const buffer = new Uint8Array(sampleBytes);
    let length = 0;
    while (length < sampleBytes) {
      const { bytesRead } = await handle.read(buffer, length, sampleBytes - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), complete: length < sampleBytes || stat.size <= sampleBytes };
  } finally {
    await handle.close();
  }
}

async function* decodedText(path: string, encoding: DetectedEncoding, chunkSize: number): AsyncGenerator<string> {
  // Bad bytes become U+FFFD, and the row they are on is refused with its line: one damaged row
  // never refuses a file whose other rows are good (nor half-way through an import).
  const decoder = createVietnameseDecoder(encoding, { invalid: 'replace' });
  for await (const chunk of createReadStream(path, { highWaterMark: chunkSize })) {
    yield decoder.write(chunk as Buffer);
  }
  yield decoder.end();
}

/** The rows of each piece of text read, as one array: a reader taking thousands of rows awaits once a piece, not once a row. */
async function* csvRowChunks(path: string, encoding: DetectedEncoding, delimiter: string, chunkSize: number, withLines: boolean): AsyncGenerator<readonly FileRow[]> {
  const splitter = new CsvRecordSplitter(delimiter.charCodeAt(0));
  const rows = new CsvRows(delimiter, withLines);
  for await (const text of decodedText(path, encoding, chunkSize)) yield [...rows.rows(splitter.push(text))];
  yield [...rows.rows(splitter.end())];
}

async function* ndjsonRowChunks(path: string, encoding: DetectedEncoding, chunkSize: number, withLines: boolean): AsyncGenerator<readonly FileRow[]> {
  const splitter = new LineSplitter();
  const rows = new NdjsonRows(withLines);
  for await (const text of decodedText(path, encoding, chunkSize)) yield [...rows.rows(splitter.push(text))];
  yield [...rows.rows(splitter.end())];
}

async function* eachRow(chunks: AsyncIterable<readonly FileRow[]>): AsyncGenerator<FileRow> {
  for await (const chunk of chunks) yield* chunk;
}

/** The rows and the rows a piece at a time, both reading the file again at each iteration. */
function rowsOf(chunks: () => AsyncGenerator<readonly FileRow[]>): Pick<PersonFile, 'rows' | 'rowChunks'> {
  return {
    rows: { [Symbol.asyncIterator]: () => eachRow({ [Symbol.asyncIterator]: chunks }) },
    rowChunks: { [Symbol.asyncIterator]: chunks },
  };
}

/** Reads and checks the CSV header from the sample, so that a missing header fails at once. */
function csvHeader(sample: Uint8Array, complete: boolean, encoding: DetectedEncoding, delimiter: string): readonly string[] | null {
  const decoder = createVietnameseDecoder(encoding, { invalid: 'replace' });
  const text = decoder.write(sample) + (complete ? decoder.end() : '');
  const splitter = new CsvRecordSplitter(delimiter.charCodeAt(0));
  const rows = new CsvRows(delimiter);
  const pieces = [...splitter.push(text), ...(complete ? splitter.end() : [])];
  for (const piece of pieces) {
    // Runs the row reader over one piece at a time and stops as soon as it has taken the header.
    rows.rows([piece]).next();
    if (rows.header !== undefined) return rows.header;
  }
  if (complete) return null; // empty, or blank lines only
  throw new DomainError('invalid', 'FILE_HEADER_MISSING', 'No header row was found in the first 64 KiB of the file', 'Check that the first line holds the column names');
}

/**
 * Opens a person file for import: detects its encoding (from the first 64 KiB), refuses what cannot
 * be read, checks the CSV header, and returns the rows as an async iterable that streams the file.
 *
 * CSV: a header row is required (column names trimmed); values are trimmed and an empty value is
 * null; a row with the wrong number of fields or broken quoting is a CSV_ROW_MALFORMED row error.
 * NDJSON: one JSON object per line, values coerced to string or null (objects and arrays as JSON
 * text); blank lines are skipped; a line that is not a JSON object is an NDJSON_LINE_MALFORMED row
 * error. An empty file, or a CSV header alone, gives no rows.
 *
 * @throws DomainError FILE_ENCODING_UNSUPPORTED (unknown encoding, or legacy and not allowed),
 *   FILE_HEADER_MISSING / FILE_HEADER_INVALID (CSV), FILE_FORMAT_UNKNOWN, FILE_NOT_FOUND,
 *   FILE_NOT_READABLE. A row with bytes that are not in the detected encoding (UTF-8 or UTF-16), at
 *   any place in the file, is a ROW_ENCODING_INVALID row error with its line number.
 * @example
 * const file = await readPersonFile('agency-upload.csv', { allowLegacy: true });
 * for await (const row of file.rows) {
 *   if ('error' in row) report(row.rowNumber, row.error.code);
 *   else importRecord(row.record);
 * }
 */
export async function readPersonFile(path: string, options: ReadPersonFileOptions = {}): Promise<PersonFile> {
  const format = options.format ?? formatOf(path);
  const chunkSize = Math.max(1, options.chunkSize ?? sampleBytes);
  const { bytes, complete } = await readSample(path);
  const encoding = detectEncoding(bytes, { complete });
  assertSupportedEncoding(encoding, options.allowLegacy ?? true);
  const converted = isLegacyEncoding(encoding);
  if (format === 'ndjson') {
    return { encoding, converted, format, header: null, ...rowsOf(() => ndjsonRowChunks(path, encoding, chunkSize, options.withLines ?? false)) };
  }
  const delimiter = options.delimiter ?? guessDelimiter(decodeSampleText(bytes, encoding));
  const header = csvHeader(bytes, complete, encoding, delimiter);
  return { encoding, converted, format, header, ...rowsOf(() => csvRowChunks(path, encoding, delimiter, chunkSize, options.withLines ?? false)) };
}

function decodeSampleText(bytes: Uint8Array, encoding: DetectedEncoding): string {
  return createVietnameseDecoder(encoding, { invalid: 'replace' }).write(bytes);
}
