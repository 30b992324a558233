/**
 * Reads the CSV files of a linkage job into tables of strings (headers and cells trimmed, since
 * files like FEBRL put a space after each comma). UTF-8, with or without a byte-order mark; a name
 * ending in .gz is read through gunzip.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { DomainError } from '../shared/domain-error.js';
import type { LinkageConfig, LinkageFileConfig } from './linkage.config.js';
import type { LinkageTable } from './linkage.service.js';

/**
 * Why csv-parse refused a file, by its error code. Its own messages quote the offending cell
 * (`value is "…"`), and cells are personal data, so they are never passed on.
 */
const csvFailures: Readonly<Record<string, string>> = {
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (put the whole field in quotes and double the quote)',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a row has a different number of fields from the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'a row has a different number of fields from the header',
  CSV_MAX_RECORD_SIZE: 'a row is too long',
};

function csvFailure(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return csvFailures[code] ?? 'the file cannot be read as CSV';
}

/**
 * How messages name a file: as the config gives it, or by its base name when that is an absolute
 * path (a server's folders are not for the report).
 */
function fileName(given: string): string {
  return path.isAbsolute(given) ? path.basename(given) : given;
}

/**
 * Reads one CSV file. Throws DomainError LINKAGE_FILE_UNREADABLE (missing file),
 * LINKAGE_FILE_INVALID (broken CSV, with the line and a fixed reason; never a cell) or
 * LINKAGE_FILE_EMPTY (no header).
 *
 * @example
 * const table = readLinkageTable({ path: 'dataset4a.csv', id: 'rec_id' });
 */
export function readLinkageTable(file: LinkageFileConfig, baseDir = '.'): LinkageTable {
  const full = path.resolve(baseDir, file.path);
  const name = fileName(file.path);
  let text: string;
  try {
    const bytes = readFileSync(full);
    text = (full.toLowerCase().endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DomainError('invalid', 'LINKAGE_FILE_UNREADABLE', `cannot read ${name}: ${code.startsWith('Z_') ? 'not a valid gzip file' : code}`, 'Check the path in the config (relative paths are from the config file\'s folder)');
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, delimiter: file.delimiter ?? ',', relax_quotes: false });
  } catch (error) {
    const lines = typeof error === 'object' && error !== null && 'lines' in error ? error.lines : undefined;
    const near = typeof lines === 'number' && Number.isSafeInteger(lines) ? ` near line ${lines}` : '';
    throw new DomainError('invalid', 'LINKAGE_FILE_INVALID', `${name} is not valid CSV${near}: ${csvFailure(error)}`, 'Fix the file (quotes, delimiter, column count) and run again');
  }
  const [header, ...rows] = records;
  if (header === undefined) {
    throw new DomainError('invalid', 'LINKAGE_FILE_EMPTY', `${name} has no header line`, 'Give the file a header line naming its columns');
  }
  const width = header.length;
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new DomainError('invalid', 'LINKAGE_FILE_INVALID', `${name} line ${i + 2} has ${row.length} fields; the header has ${width}`, 'Fix the row (a missing or extra delimiter, or an unquoted comma) and run again');
    }
  });
  return { header, rows };
}

/** Reads the files a config names, relative to `baseDir` (the config file's folder). */
export function readLinkageTables(config: LinkageConfig, baseDir = '.'): { readonly left: LinkageTable; readonly right: LinkageTable | undefined } {
  return {
    left: readLinkageTable(config.left, baseDir),
    right: config.right === undefined ? undefined : readLinkageTable(config.right, baseDir),
  };
}
