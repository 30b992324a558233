/**
 * Reads the CSV files of a linkage job into tables of strings (headers and cells trimmed, since
 * files like FEBRL put a space after each comma). UTF-8, with or without a byte-order mark.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DomainError } from '../shared/domain-error.js';
import type { LinkageConfig, LinkageFileConfig } from './linkage.config.js';
import type { LinkageTable } from './linkage.service.js';

/**
 * Reads one CSV file. Throws DomainError LINKAGE_FILE_UNREADABLE (missing file),
 * LINKAGE_FILE_INVALID (broken CSV, with the line) or LINKAGE_FILE_EMPTY (no header).
 *
 * @example
 * const table = readLinkageTable({ path: 'dataset4a.csv', id: 'rec_id' });
 */
export function readLinkageTable(file: LinkageFileConfig, baseDir = '.'): LinkageTable {
  const full = path.resolve(baseDir, file.path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new DomainError('invalid', 'LINKAGE_FILE_UNREADABLE', `cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'Check the path in the config (relative paths are from the config file\'s folder)');
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, delimiter: file.delimiter ?? ',', relax_quotes: false });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DomainError('invalid', 'LINKAGE_FILE_INVALID', `${full} is not valid CSV${line === undefined ? '' : ` near line ${line}`}: ${(error as Error).message}`, 'Fix the file (quotes, delimiter, column count) and run again');
  }
  const [header, ...rows] = records;
  if (header === undefined) {
    throw new DomainError('invalid', 'LINKAGE_FILE_EMPTY', `${full} has no header line`, 'Give the file a header line naming its columns');
  }
  const width = header.length;
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new DomainError('invalid', 'LINKAGE_FILE_INVALID', `${full} line ${i + 2} has ${row.length} fields; the header has ${width}`, 'Fix the row (a missing or extra delimiter, or an unquoted comma) and run again');
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
