import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import { defaultDuckDbLimits, openDuckDb } from '../store/duckdb.bounds.js';
import { readSnapshotManifest, snapshotFiles, snapshotNameKeysTable, sqlText, type SnapshotManifest } from './registry-snapshot.engine.js';
import { searchCandidates, sortedNameSql } from './reconcile.candidates.js';
import {
  comparedFields, reconcileStatuses, withHeaderAliases, type CanonicalField, type ComparedField, type ReconcilePreset, type ReconcileStatus,
} from './reconcile.presets.js';
import { badRowReason } from './bad-row.reasons.js';
import type { BadRow, ReconcileEngine, ReconcilePhase, ReconcileRequest, ReconcileSummary } from './reconcile.types.js';

/** Thresholds of the link decision on Jaro-Winkler similarity of folded names (see linkRule). */
export const linkThresholds = {
  /** With a date of birth that agrees (or agrees once day and month are swapped back), whatever the given name. */
  withBirth: 0.92,
  /** With a date of birth that agrees and the same given name (a typo in the surname or middle name). */
  withBirthAndGivenName: 0.75,
  /** With only the year and month agreeing, or no usable date in the agency row. (Equal folded names link whatever the date says.) */
  nameAlone: 0.95,
} as const;

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** DuckDB's fold of a name, the same as foldName: NFC, lower case, đ→d, marks removed, single spaces. */
function unmarkedSql(column: string): string {
  // strip_accents removes the marks of composed and decomposed text alike; only đ needs mapping.
  return `strip_accents(replace(lower(${column}), 'đ', 'd'))`;
}

/** Trimmed, with runs of white space made one space. */
function collapseSql(expression: string): string {
  return `trim(regexp_replace(${expression}, '\\s+', ' ', 'g'))`;
}

/** Valid first three digits of a personal ID number. */
function idProvinceCodes(): readonly string[] {
  const units = adminUnitCatalog();
  const codes: string[] = [];
  for (let i = 0; i < 100; i++) {
    const code = String(i).padStart(3, '0');
    if (units.idProvince(code) !== undefined) codes.push(code);
  }
  return codes;
}

/** The text columns of results.csv, in order, after row_no and line. */
const textColumns = [
  'record', 'status', 'reason', 'linked_id', 'mismatch_fields', 'registry_id_number', 'registry_full_name', 'registry_birth_date',
  'registry_commune', 'suggested_id', 'match_score', 'action',
] as const;

/**
 * DuckDB's form of csvSafeCell (src/registry/csv-safety.ts): control characters become U+FFFD, and
 * a value starting with = + - @ TAB or CR gets a leading quote so that a spreadsheet shows it as text.
 */
function csvSafeCellSql(column: string): string {
  const clean = `regexp_replace(${column}, '[\\x00-\\x1f\\x7f-\\x{9f}\\x{2028}\\x{2029}]', '\uFFFD', 'g')`;
  return `CASE WHEN regexp_matches(${column}, '^[=+\\-@\\t\\r]') THEN '''' || ${clean} ELSE ${clean} END`;
}

async function withProgress<T>(connection: DuckDBConnection, report: ((fraction: number) => void) | undefined, work: () => Promise<T>): Promise<T> {
  if (report === undefined) return work();
  const timer = setInterval(() => {
    const p = connection.progress.percentage;
    if (p >= 0) report(Math.min(p, 100) / 100);
  }, 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A DuckDB value read back as text (VARCHAR columns come back as strings, counts as bigint). */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? value.toString() : '';
}

/** The delimiter of a header line: whichever of comma, semicolon (spreadsheets in Vietnamese locale) or tab occurs most outside quotes. */
export function sniffDelimiter(line: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  return counts[';'] > counts[','] && counts[';'] >= counts['\t'] ? ';' : counts['\t'] > counts[','] ? '\t' : ',';
}

/** The header line of a CSV file (the first line, at most 64 KiB), parsed as CSV with its sniffed delimiter. */
function csvHeader(file: string): { readonly header: string[]; readonly delimiter: string } {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(65_536);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const newline = buffer.subarray(0, n).indexOf(10);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, newline === -1 ? n : newline)).replace(/\r$/, '');
    const delimiter = sniffDelimiter(text);
    const first = parse(text, { delimiter })[0] ?? [];
    if (first.length === 0 || first.every((c) => c.trim() === '')) {
      throw new DomainError('invalid', 'RECONCILE_FILE_UNREADABLE', 'the agency file has no header line', 'Put the column names on the first line');
    }
    return { header: first.map((c) => c.replace(/^\uFEFF/, '').trim()), delimiter };
  } finally {
    closeSync(fd);
  }
}

/** Up to this many rejected lines, the line numbers are computed with a search tree in SQL rather than an ASOF join. */
export const maxRejectsInline = 4_096;

/**
 * How many rejected lines come before read row `rn`, as a binary search written out in nested CASE
 * expressions: `okBefore[i - 1]` is the number of read rows before the i-th rejected line (ascending),
 * so the answer is the largest i with okBefore[i - 1] < rn. Each row passes log2(n) comparisons;
 * an ASOF join over every row costs far more when the rejected lines are few.
 */
export function rejectedBeforeSql(rn: string, okBefore: readonly number[]): string {
  const tree = (lo: number, hi: number): string => {
    if (lo === hi) return String(lo);
    const mid = Math.ceil((lo + hi) / 2);
    return `(CASE WHEN ${rn} > ${String(okBefore[mid - 1] ?? 0)} THEN ${tree(mid, hi)} ELSE ${tree(lo, mid - 1)} END)`;
  };
  return tree(0, okBefore.length);
}

async function scalar(connection: DuckDBConnection, query: string): Promise<number> {
  const value = (await connection.runAndReadAll(query)).getRowsJS()[0]?.[0];
  return Number(value ?? 0);
}

/** The agency file's header and how it is read: its columns, the preset with header aliases, its reader. */
interface SourceShape {
  readonly preset: ReconcilePreset;
  readonly header: readonly string[];
  readonly reader: string;
  readonly columnsMissing: readonly string[];
  readonly has: (field: CanonicalField) => boolean;
  readonly pick: (field: CanonicalField) => string;
}

type Progress = (phase: ReconcilePhase, from: number, to: number) => (f: number) => void;

/** The file exists and is not empty, and a complete snapshot is there: else the error says which. */
function checkInput(request: ReconcileRequest): SnapshotManifest {
  const { input } = request;
  if (!existsSync(input) || !statSync(input).isFile()) {
    throw new DomainError('not_found', 'RECONCILE_FILE_NOT_FOUND', `the agency file ${path.basename(input)} does not exist`, 'Check the path of the file to reconcile');
  }
  if (statSync(input).size === 0) {
    throw new DomainError('invalid', 'RECONCILE_FILE_EMPTY', 'the agency file is empty', 'Send a file with a header line and at least one row');
  }
  const manifest = readSnapshotManifest(request.snapshotDir);
  if (manifest === undefined) {
    throw new DomainError('unavailable', 'RECONCILE_SNAPSHOT_MISSING', 'no complete registry snapshot', 'Build the registry snapshot first (it is built automatically by the service)');
  }
  return manifest;
}

/** Which mapped columns the file has; a file without the ID or name columns cannot be reconciled. */
async function sourceShape(connection: DuckDBConnection, request: ReconcileRequest, format: 'csv' | 'parquet'): Promise<SourceShape> {
  const file = sqlText(request.input);
  let header: string[];
  let delimiter = ',';
  try {
    if (format === 'parquet') header = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`)).getRowsJson().map((r) => text(r[0]));
    else ({ header, delimiter } = csvHeader(request.input));
  } catch (error) {
    if (isDomainError(error)) throw error;
    // DuckDB's own message can hold the server's paths and cells of the file: neither is passed on.
    throw new DomainError('invalid', 'RECONCILE_FILE_UNREADABLE', `the agency file could not be read as ${format.toUpperCase()}`, 'Send a comma-separated UTF-8 file with a header line, or a Parquet file');
  }
  // Columns the mapping does not name, found under their usual Vietnamese headers ("Họ và tên", "Số CCCD").
  const preset = withHeaderAliases(request.preset, header);
  // The header read once; every column as text, so that nothing is left to type inference.
  const columnSpec = `{${header.map((h) => `${sqlText(h)}: 'VARCHAR'`).join(', ')}}`;
  const reader = format === 'parquet'
    ? `read_parquet(${file}, file_row_number = true)`
    : `read_csv(${file}, header = true, columns = ${columnSpec}, delim = ${sqlText(delimiter)}, quote = '"', escape = '"', strict_mode = true, ignore_errors = true, store_rejects = true, null_padding = false, auto_detect = false)`;
  const mapped = Object.entries(preset.columns) as [CanonicalField, string][];
  const columnsMissing = mapped.filter(([, column]) => !header.includes(column)).map(([field, column]) => `${field}:${column}`);
  for (const required of ['id', 'name'] as const) {
    const column = preset.columns[required];
    if (column === undefined || !header.includes(column)) {
      // One error for the header, naming the columns expected as well as those found.
      const expected = (Object.entries(preset.columns) as [CanonicalField, string][]).map(([field, name]) => `${name} (${field})`).join(', ');
      throw new DomainError('invalid', 'RECONCILE_COLUMN_MISSING', `the file has no column "${column ?? required}" for the ${required === 'id' ? 'ID number' : 'full name'}; expected columns: ${expected}; its columns are: ${header.join(', ')}`, `Map the column with --map ${required}=<column> (or in the console's column mapping) or rename it`, { columns: header, expected: Object.values(preset.columns) });
    }
  }
  const has = (field: CanonicalField): boolean => {
    const column = preset.columns[field];
    return column !== undefined && header.includes(column);
  };
  const pick = (field: CanonicalField): string => (has(field) ? `CAST(${ident(preset.columns[field] ?? '')} AS VARCHAR)` : 'NULL::VARCHAR');
  return { preset, header, reader, columnsMissing, has, pick };
}

/** The file into a table, numbered in file order, and its unreadable rows into `rejects`; how many there were. */
async function loadSource(connection: DuckDBConnection, shape: SourceShape, format: 'csv' | 'parquet', progress: Progress): Promise<number> {
  await withProgress(connection, progress('loading', 0, 0.3), () => connection.run(`
        CREATE TABLE src AS
        SELECT ${format === 'parquet' ? 'file_row_number + 1' : 'row_number() OVER ()'} AS rn,
               ${canonicalSelect(shape.pick)}
        FROM ${shape.reader}`));
  // Row numbers are fixed now; what follows joins, aggregates and sorts explicitly, so DuckDB may reorder freely.
  await connection.run('SET preserve_insertion_order = false');
  if (format === 'csv') {
    await connection.run(`
          CREATE TABLE rejects AS
          SELECT line::BIGINT AS line, min(error_type::VARCHAR) AS error_type, row_number() OVER (ORDER BY line) AS i
          FROM reject_errors GROUP BY line`);
  } else {
    await connection.run('CREATE TABLE rejects (line BIGINT, error_type VARCHAR, i BIGINT)');
  }
  return scalar(connection, 'SELECT count(*) FROM rejects');
}

/** Every row classified against the snapshot, the failed IDs searched by name and birth date, repeats and limits ranked. */
async function classifyRows(connection: DuckDBConnection, request: ReconcileRequest, shape: SourceShape, manifest: SnapshotManifest, progress: Progress, lap: (name: string) => void): Promise<void> {
  // The DuckDB copy of the snapshot when there is one (older snapshots have only the Parquet file).
  const database = path.join(request.snapshotDir, snapshotFiles.personsDatabase);
  let persons = `read_parquet(${sqlText(path.join(request.snapshotDir, snapshotFiles.persons))})`;
  if (existsSync(database)) {
    await connection.run(`ATTACH ${sqlText(database)} AS snapshot_db (READ_ONLY)`);
    persons = 'snapshot_db.persons';
  }
  const communes = sqlText(path.join(request.snapshotDir, snapshotFiles.communes));
  // Old 9-digit card numbers are resolved first, for the few rows that carry one, so that the
  // main join has a single key and the old-card column is read only when it is needed.
  await connection.run(`CREATE TABLE card_rows AS SELECT rn, id9 FROM (SELECT rn, ${idSql('in_id')} AS id9 FROM src) WHERE ${cmndSql('id9')}`);
  const cardRows = manifest.oldCards > 0 ? await scalar(connection, 'SELECT count(*) FROM card_rows') : 0;
  if (cardRows > 0) {
    await connection.run(`
          CREATE TABLE cards AS
          SELECT c.rn, oc.id_number FROM card_rows c
          JOIN (SELECT old_card, id_number FROM ${persons} WHERE old_card IS NOT NULL) oc ON oc.old_card = c.id9`);
  }
  const { classify, finish } = classifySql({ preset: shape.preset, persons, communes, has: shape.has, today: request.today, provinces: idProvinceCodes(), cards: cardRows > 0 });
  const statements = [...classify, ...finish];
  const step = (done: number): ((f: number) => void) => progress('classifying', 0.3 + (0.4 * done) / statements.length, 0.3 + (0.4 * (done + 1)) / statements.length);
  for (const [i, statement] of classify.entries()) await withProgress(connection, step(i), () => connection.run(statement));
  lap('classify');
  // The rows whose ID failed: a search by name and birth date (reconcile.candidates.ts).
  const hasNameKeys = persons === 'snapshot_db.persons' && await scalar(connection, `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'snapshot_db' AND table_name = '${snapshotNameKeysTable}'`) > 0;
  await searchCandidates(connection, persons, hasNameKeys ? `SELECT id_number, sorted_key, birth_year FROM snapshot_db.${snapshotNameKeysTable}` : undefined);
  lap('candidates');
  for (const [i, statement] of finish.entries()) await withProgress(connection, step(classify.length + i), () => connection.run(statement));
}

/** The per-row results, bad rows included, in file order with each row's line, written with one COPY. */
async function writeResults(connection: DuckDBConnection, request: ReconcileRequest, preset: ReconcilePreset, rejected: number, progress: Progress): Promise<void> {
  const resultsFormat = request.resultsPath.toLowerCase().endsWith('.parquet') ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER true)';
  const badRowsSelect = `
    SELECT line - 1 AS row_no, line, NULL::VARCHAR AS record, 'BAD_ROW' AS status, replace(error_type, ' ', '_') AS reason,
           NULL::VARCHAR AS linked_id, NULL::VARCHAR AS mismatch_fields, NULL::VARCHAR AS registry_id_number, NULL::VARCHAR AS registry_full_name,
           NULL::VARCHAR AS registry_birth_date, NULL::VARCHAR AS registry_commune, NULL::VARCHAR AS suggested_id, NULL::VARCHAR AS match_score,
           ${sqlText(preset.actions.BAD_ROW)} AS action
    FROM rejects`;
  // The line of a read row: its rank among read rows, plus the header, plus the rejected lines before it.
  let lineOf = 'r.rn + 1';
  let lineJoin = '';
  if (rejected > 0 && rejected <= maxRejectsInline) {
    const okBefore = (await connection.runAndReadAll('SELECT line - 1 - i FROM rejects ORDER BY i')).getRowsJS().map(([n]) => Number(n));
    lineOf = `r.rn + 1 + ${rejectedBeforeSql('r.rn', okBefore)}`;
  } else if (rejected > 0) {
    lineOf = 'r.rn + 1 + coalesce(b.i, 0)';
    lineJoin = 'ASOF LEFT JOIN (SELECT line - 1 - i AS ok_before, max(i) AS i FROM rejects GROUP BY ALL) b ON r.rn > b.ok_before';
  }
  // The agency's own values (its record number) and the registry's go out as text: in a CSV they
  // are made safe for a spreadsheet, as every CSV the project writes (registry/csv-safety.ts).
  const cell = resultsFormat.includes('csv') ? csvSafeCellSql : (column: string): string => column;
  await withProgress(connection, progress('writing', 0.7, 0.95), () => connection.run(`
    COPY (
      SELECT row_no, line, ${textColumns.map((c) => `${cell(c)} AS ${c}`).join(', ')} FROM (
        SELECT ${lineOf} - 1 AS row_no, ${lineOf} AS line, record, status, reason, linked_id, mismatch_fields, registry_id_number,
               registry_full_name, registry_birth_date, registry_commune, suggested_id, match_score,
               CASE status ${reconcileStatuses.map((st) => `WHEN '${st}' THEN ${sqlText(preset.actions[st])}`).join(' ')} END AS action
        FROM results r ${lineJoin}
        ${rejected > 0 ? `UNION ALL ${badRowsSelect}` : ''}
      ) ORDER BY row_no
    ) TO ${sqlText(request.resultsPath)} ${resultsFormat}`));
}

/** The run's counts: rows by status, mismatched fields, reasons, and the first unreadable rows. */
async function summarise(connection: DuckDBConnection, rejected: number): Promise<Pick<ReconcileSummary, 'statuses' | 'mismatchFields' | 'reasons' | 'badRowSamples' | 'rows'>> {
  const statusRows = (await connection.runAndReadAll('SELECT status, count(*) FROM results GROUP BY status')).getRowsJS();
  const statuses = Object.fromEntries(reconcileStatuses.map((s) => [s, 0])) as Record<ReconcileStatus, number>;
  for (const [status, n] of statusRows) statuses[text(status) as ReconcileStatus] = Number(n);
  statuses.BAD_ROW = rejected;
  const mismatchRows = (await connection.runAndReadAll(`
    SELECT f, count(*) FROM (SELECT unnest(string_split(mismatch_fields, ';')) AS f FROM results WHERE status = 'MISMATCH') GROUP BY f`)).getRowsJS();
  const mismatchFields: Partial<Record<ComparedField, number>> = {};
  for (const [field, n] of mismatchRows) {
    if ((comparedFields as readonly string[]).includes(text(field))) mismatchFields[text(field) as ComparedField] = Number(n);
  }
  const reasonRows = (await connection.runAndReadAll('SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL GROUP BY reason')).getRowsJS();
  const reasons = Object.fromEntries(reasonRows.map(([r, n]) => [text(r), Number(n)]));
  const badRowSamples: BadRow[] = (await connection.runAndReadAll('SELECT line, error_type FROM rejects ORDER BY line LIMIT 100')).getRowsJS()
    .map(([line, type]) => {
      const code = text(type).replaceAll(' ', '_');
      return { line: Number(line), code, reason: badRowReason(code, 'en') };
    });
  const readRows = await scalar(connection, 'SELECT count(*) FROM classified');
  return { statuses, mismatchFields, reasons, badRowSamples, rows: readRows + rejected };
}

/**
 * Reconciliation in DuckDB, in-process: the agency file streamed by DuckDB's reader (CSV or
 * Parquet; rows it cannot read are kept aside with their line and reason), joined on the ID number
 * (or the old 9-digit card number) with the registry snapshot (its DuckDB table when it has one),
 * every row classified in one SQL statement, repeats and limits ranked over the few persons seen on
 * more than one row, and the per-row results written with one COPY, in file order. No per-row work
 * is done in JavaScript.
 */
export const duckDbReconcileEngine: ReconcileEngine = {
  async run(request: ReconcileRequest) {
    const manifest = checkInput(request);
    const format = request.input.toLowerCase().endsWith('.parquet') ? 'parquet' : 'csv';
    const seconds: Record<string, number> = {};
    let phaseStart = performance.now();
    const lap = (name: string): void => {
      const now = performance.now();
      seconds[name] = Math.round(now - phaseStart) / 1000;
      phaseStart = now;
    };
    const progress: Progress = (phase, from, to) => (f) => request.onProgress?.(phase, from + (to - from) * f);

    // Bounded memory; what does not fit spills beside the results, on the data disk.
    const duck = await openDuckDb(path.join(path.dirname(request.resultsPath), '.duckdb-spill'), { preserve_insertion_order: 'true' }, { ...defaultDuckDbLimits(), ...request.duckDb });
    const connection = await duck.instance.connect();
    try {
      const shape = await sourceShape(connection, request, format);
      request.onProgress?.('loading', 0);
      const rejected = await loadSource(connection, shape, format, progress);
      lap('load');
      request.onProgress?.('loading', 0.3);
      await classifyRows(connection, request, shape, manifest, progress, lap);
      request.onProgress?.('classifying', 0.7);
      await writeResults(connection, request, shape.preset, rejected, progress);
      lap('write');
      const counts = await summarise(connection, rejected);
      lap('summary');
      return {
        preset: shape.preset.name,
        presetTitle: shape.preset.title,
        input: path.basename(request.input),
        inputFormat: format,
        snapshot: { fingerprint: manifest.fingerprint, persons: manifest.persons },
        ...counts,
        columnsMissing: shape.columnsMissing,
        badRows: rejected,
        seconds,
      } satisfies Omit<ReconcileSummary, 'finishedAt'>;
    } finally {
      connection.closeSync();
      duck.close();
    }
  },
};

function canonicalSelect(pick: (field: CanonicalField) => string): string {
  return (['record', 'id', 'name', 'birth', 'sex', 'commune', 'line'] as const).map((f) => `${pick(f)} AS in_${f}`).join(',\n               ');
}

interface ClassifyInput {
  readonly preset: ReconcilePreset;
  /** The persons relation: a table or a read_parquet() call. */
  readonly persons: string;
  readonly communes: string;
  readonly has: (field: CanonicalField) => boolean;
  readonly today: string;
  readonly provinces: readonly string[];
  /** Whether a `cards` table (rn → id_number) resolves the rows written with an old card number. */
  readonly cards: boolean;
}

/** The ID as written, without the spaces, dots and tabs some files put in it. */
function idSql(column: string): string {
  return `CASE WHEN contains(${column}, ' ') OR contains(${column}, '.') OR contains(${column}, chr(9)) THEN regexp_replace(${column}, '[\\s.]', '', 'g') ELSE coalesce(${column}, '') END`;
}

/** Formats tried after a preset's own, in order: what agency files hold besides. */
export const fallbackDateFormats = ['%d/%m/%Y', '%Y-%m-%d', '%d-%m-%Y', '%d.%m.%Y', '%Y/%m/%d', '%Y%m%d'] as const;

/**
 * A year alone, or a year and month (MM/YYYY, YYYY-MM; 00 for an unknown day or month), as the
 * registry writes partial dates ('1943', '1943-05'); NULL for anything else.
 */
function partialDateSql(cell: string): string {
  const parts = `regexp_extract(${cell}, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y'])`;
  const iso = `regexp_extract(${cell}, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm'])`;
  const fromParts = (e: string): string => `CASE WHEN ${e}.y = '' THEN NULL WHEN CAST(${e}.m AS INTEGER) = 0 THEN ${e}.y ELSE ${e}.y || '-' || lpad(${e}.m, 2, '0') END`;
  return `CASE WHEN regexp_full_match(${cell}, '[0-9]{4}') THEN ${cell}
               WHEN regexp_full_match(${cell}, '00[/.-]00[/.-][0-9]{4}') THEN right(${cell}, 4)
               WHEN regexp_full_match(${cell}, '[0-9]{4}-[0-9]{2}(-00)?') THEN ${fromParts(iso)}
               ELSE ${fromParts(parts)} END`;
}

/** An old 9-digit card number. */
function cmndSql(id: string): string {
  return `length(${id}) = 9 AND regexp_full_match(${id}, '[0-9]{9}')`;
}

/** What the classification's statements are built from: the input and the choices it implies. */
interface ClassifyContext extends ClassifyInput {
  readonly compares: (f: ComparedField) => boolean;
  readonly releases: (f: ComparedField) => boolean;
  /** The date formats tried, as a DuckDB list: the preset's first (they settle day-first against month-first). */
  readonly dateFormats: string;
  readonly year: number;
  /** The commune is read and compared. */
  readonly communeCheck: boolean;
  /** Rows are one per line (telecom). */
  readonly byLine: boolean;
  /** Lines a person may hold (telecom), or null. */
  readonly limit: number | null;
  /** Valid provinces as a 100-character mask over the ID's second and third digits. */
  readonly mask: string;
  /** One CASE per compared field, naming the field when it differs. */
  readonly mismatch: readonly string[];
  /** Whether a row is taken as the person its ID found. */
  readonly linkRule: string;
  /** The key rows repeat under: the line too where the preset counts lines. */
  readonly k: string;
}

function classifyContext(input: ClassifyInput): ClassifyContext {
  const { preset, has, today, provinces } = input;
  const compares = (f: ComparedField): boolean => preset.compare.includes(f);
  const releases = (f: ComparedField): boolean => preset.release.includes(f);
  // The preset's formats first (they settle day-first against month-first), then what else files hold.
  const dateFormats = `[${[...new Set([...preset.dateFormats, ...fallbackDateFormats])].map(sqlText).join(', ')}]`;
  const year = Number(today.slice(0, 4));
  const communeCheck = has('commune') && compares('commune');
  const byLine = preset.uniqueBy === 'line' && has('line');
  const limit = preset.maxLinesPerPerson;
  // Valid provinces as a 100-character mask over the second and third digits (codes are 000–099):
  // one character lookup per row instead of an IN list, which DuckDB runs as a join.
  const mask = Array.from({ length: 100 }, (_, i) => (provinces.includes(String(i).padStart(3, '0')) ? '1' : '0')).join('');
  const mismatch = [
    compares('id_number') ? `CASE WHEN id_kind = 'cmnd' OR id_padded THEN 'id_number' END` : null,
    // Exact text (case aside); the NFC form is computed only for the rows whose raw text differs.
    compares('full_name') ? `CASE WHEN name_in = p_full_name THEN NULL
                                  WHEN lower(name_in) = lower(p_full_name) THEN NULL
                                  WHEN lower(nfc_normalize(${collapseSql('name_in')})) = lower(p_full_name) THEN NULL
                                  ELSE 'full_name' END` : null,
    compares('birth_date') && has('birth') ? `CASE WHEN NOT birth_ok THEN 'birth_date' END` : null,
    compares('sex') && has('sex') ? `CASE WHEN sex_in IS DISTINCT FROM p_sex THEN 'sex' END` : null,
    communeCheck ? `CASE WHEN NOT commune_ok THEN 'commune' END` : null,
  ].filter((x): x is string => x !== null);
  // Tested in order: most rows carry the registry's name exactly and stop at the first branch.
  const swapped = `(birth_d IS NOT NULL AND day(birth_d) <= 12 AND day(birth_d) <> month(birth_d)
                    AND starts_with(CAST(make_date(year(birth_d), day(birth_d), month(birth_d)) AS VARCHAR), p_birth))`;
  const linkRule = has('birth')
    ? `CASE WHEN p_id IS NULL THEN false
            WHEN name_sim = 1.0 THEN true
            WHEN name_sim >= ${linkThresholds.withBirth} AND (birth_ok OR ${swapped}) THEN true
            WHEN name_sim >= ${linkThresholds.withBirthAndGivenName} AND same_given AND (birth_ok OR ${swapped}) THEN true
            WHEN name_sim >= ${linkThresholds.nameAlone} AND (coalesce(substr(birth_iso, 1, 7) = substr(p_birth, 1, 7), false) OR birth_d IS NULL) THEN true
            ELSE false END`
    : `coalesce(p_id IS NOT NULL AND name_sim >= ${linkThresholds.nameAlone}, false)`;
  const k = byLine ? "coalesce(line_key, '')" : "''";
  return { ...input, compares, releases, dateFormats, year, communeCheck, byLine, limit, mask, mismatch, linkRule, k };
}

/** The rows read and normalised: ID, name, birth date (full, partial, two-digit year), sex, commune, the kind of ID. */
function readSql(c: ClassifyContext): string {
  const { dateFormats, year, communeCheck, byLine, mask, has, today } = c;
  return `
    CREATE TABLE classified AS
    WITH s AS (
      SELECT rn, nullif(trim(in_record), '') AS record, ${idSql('in_id')} AS id_in,
             ${byLine ? "nullif(trim(in_line), '')" : 'NULL::VARCHAR'} AS line_key,
             coalesce(in_name, '') AS name_in,
             ${has('birth') ? `try_strptime(trim(in_birth), ${dateFormats})::DATE` : 'NULL::DATE'} AS birth_raw0,
             ${has('birth') ? "nullif(trim(in_birth), '')" : 'NULL::VARCHAR'} AS birth_cell,
             ${has('sex') ? `CASE upper(trim(in_sex)) WHEN 'M' THEN 'M' WHEN 'NAM' THEN 'M' WHEN 'MALE' THEN 'M' WHEN '1' THEN 'M'
                                      WHEN 'F' THEN 'F' WHEN 'NỮ' THEN 'F' WHEN 'NU' THEN 'F' WHEN 'FEMALE' THEN 'F' WHEN '0' THEN 'F'
                                      ELSE CASE upper(nfc_normalize(trim(in_sex))) WHEN 'NỮ' THEN 'F' END END` : 'NULL::VARCHAR'} AS sex_in,
             ${communeCheck ? "nullif(trim(in_commune), '')" : 'NULL::VARCHAR'} AS commune_in
      FROM src
    ),
    s2 AS (
      -- A two-digit year ('15/03/85') reads as year 85: the latest century that does not put it after today.
      SELECT s.* EXCLUDE (birth_raw0),
             CASE WHEN year(birth_raw0) < 100
                  THEN make_date(year(birth_raw0) + CASE WHEN year(birth_raw0) <= ${year % 100} THEN ${year - (year % 100)} ELSE ${year - (year % 100) - 100} END, month(birth_raw0), day(birth_raw0))
                  ELSE birth_raw0 END AS birth_raw
      FROM s
    ),
    k0 AS (
      SELECT s2.* EXCLUDE (birth_raw, birth_cell, id_in),
             CASE WHEN birth_raw BETWEEN DATE '1800-01-01' AND DATE ${sqlText(today)} THEN birth_raw END AS birth_d,
             CASE WHEN birth_raw BETWEEN DATE '1800-01-01' AND DATE ${sqlText(today)} THEN CAST(birth_raw AS VARCHAR) END AS birth_iso,
             -- A year, or a year and month, alone (also with 00 for the unknown parts): the registry's partial dates.
             CASE WHEN birth_raw IS NULL AND birth_cell IS NOT NULL THEN ${partialDateSql('birth_cell')} END AS birth_part,
             -- A spreadsheet drops the leading zero of a number: 11 digits are read as the 12-digit ID.
             CASE WHEN length(id_in) = 11 AND regexp_full_match(id_in, '[0-9]{11}') THEN '0' || id_in ELSE id_in END AS id_in,
             length(id_in) = 11 AND regexp_full_match(id_in, '[0-9]{11}') AS id_padded
      FROM s2
    ),
    k AS (
      SELECT k0.*, coalesce(birth_iso, birth_part) AS birth_text,
             CASE WHEN regexp_full_match(id_in, '[0-9]{12}')
                       AND substr(id_in, 1, 1) = '0'
                       AND substr('${mask}', CAST(substr(id_in, 2, 2) AS INTEGER) + 1, 1) = '1'
                       AND 1900 + (CAST(substr(id_in, 4, 1) AS INTEGER) // 2) * 100 + CAST(substr(id_in, 5, 2) AS INTEGER) <= ${year}
                  THEN 'cccd'
                  WHEN ${cmndSql('id_in')} THEN 'cmnd'
                  ELSE 'bad' END AS id_kind
      FROM k0
    ),
`;
}

/** Each row joined to the person its ID (or old card) finds, with the name similarity, date and commune checks and the link decision. */
function joinSql(c: ClassifyContext): string {
  const { compares, releases, communeCheck, mismatch, linkRule, preset, persons, communes, has, cards } = c;
  return `    j AS (
      SELECT k.*, p.id_number AS p_id, p.full_name AS p_full_name, p.birth_date AS p_birth,
             ${compares('sex') && has('sex') ? 'p.sex' : 'NULL::VARCHAR'} AS p_sex, p.status AS p_status,
             ${communeCheck || releases('commune') ? `p.${preset.communeOf}` : 'NULL::VARCHAR'} AS p_commune,
             p.name_folded AS p_name_folded
      FROM k
      ${cards ? 'LEFT JOIN cards oc ON oc.rn = k.rn' : ''}
      LEFT JOIN ${persons} p
             ON p.id_number = CASE WHEN k.id_kind = 'cccd' THEN k.id_in ${cards ? "WHEN k.id_kind = 'cmnd' THEN oc.id_number " : ''}END
    ),
    f AS (
      -- Most rows carry the registry's name exactly: fold and compare only the others.
      SELECT j.*,
             CASE WHEN p_id IS NULL THEN NULL WHEN name_in = p_full_name THEN 1.0
                  ELSE jaro_winkler_similarity(${collapseSql(unmarkedSql('name_in'))}, p_name_folded) END AS name_sim0,
             coalesce(starts_with(birth_text, p_birth), false) AS birth_ok,
             ${communeCheck ? 'cm.code IS NOT NULL' : 'true'} AS commune_ok
      FROM j
      ${communeCheck ? `LEFT JOIN read_parquet(${communes}) cm ON cm.code = j.commune_in AND cm.commune_2025 = j.p_commune` : ''}
    ),
    g AS (
      -- The other word orders (given name first) and the given name, only where the plain similarity falls short.
      SELECT f.* EXCLUDE (name_sim0, p_name_folded),
             CASE WHEN name_sim0 IS NULL OR name_sim0 >= ${linkThresholds.withBirth} THEN name_sim0
                  ELSE greatest(name_sim0, jaro_winkler_similarity(${sortedNameSql(collapseSql(unmarkedSql('name_in')))}, ${sortedNameSql('p_name_folded')})) END AS name_sim,
             CASE WHEN name_sim0 IS NULL OR name_sim0 >= ${linkThresholds.withBirth} THEN true
                  ELSE string_split(${collapseSql(unmarkedSql('name_in'))}, ' ')[-1] = string_split(p_name_folded, ' ')[-1] END AS same_given
      FROM f
    ),
    l AS (
      SELECT g.*, ${linkRule} AS linked,
             concat_ws(';', ${mismatch.length > 0 ? mismatch.join(', ') : 'NULL'}) AS mismatch_list
      FROM g
    )
`;
}

/** The row's status, reason, what the candidate search needs, and the registry values released. */
function decideSql(c: ClassifyContext): string {
  const { releases, byLine, has } = c;
  return `    SELECT rn, record, linked,
           CASE WHEN linked THEN p_id END AS link_id,
           ${byLine ? 'line_key' : 'NULL::VARCHAR'} AS line_key,
           CASE WHEN id_kind = 'bad' THEN 'INVALID_ID'
                WHEN NOT linked THEN 'NOT_FOUND'
                WHEN p_status = 'deceased' THEN 'DECEASED'
                WHEN mismatch_list <> '' THEN 'MISMATCH'
                ELSE 'MATCHED' END AS status0,
           CASE WHEN id_kind = 'bad' THEN
                  CASE WHEN id_in = '' THEN 'id_missing'
                       WHEN id_padded THEN 'id_malformed'
                       WHEN regexp_full_match(id_in, '[0-9]{12}') THEN 'id_structure_invalid'
                       ELSE 'id_malformed' END
                WHEN NOT linked THEN
                  CASE WHEN id_kind = 'cmnd' AND p_id IS NULL THEN 'old_card_unknown'
                       WHEN p_id IS NULL THEN 'id_not_in_registry'
                       ELSE 'id_other_person' END
                WHEN id_kind = 'cmnd' THEN 'old_card_number'
                WHEN id_padded THEN 'id_leading_zero_lost'
           END AS reason,
           -- What the candidate search needs of the rows whose ID failed.
           CASE WHEN NOT linked THEN id_in END AS search_id,
           CASE WHEN NOT linked THEN name_in END AS search_name,
           CASE WHEN NOT linked THEN birth_text END AS search_birth,
           CASE WHEN NOT linked AND day(birth_d) <= 12 AND day(birth_d) <> month(birth_d) THEN ${has('birth') ? `strftime(make_date(year(birth_d), day(birth_d), month(birth_d)), '%Y-%m-%d')` : 'NULL::VARCHAR'} END AS search_birth_swapped,
           CASE WHEN NOT linked THEN sex_in END AS search_sex,
           CASE WHEN NOT linked THEN p_id END AS search_owner,
           CASE WHEN linked AND mismatch_list <> '' THEN mismatch_list END AS mismatch_fields,
           CASE WHEN linked AND (id_kind = 'cccd' OR ${releases('id_number') ? 'true' : 'false'}) THEN p_id END AS linked_id,
           ${releases('id_number') ? `CASE WHEN linked AND id_kind = 'cmnd' THEN p_id END` : 'NULL::VARCHAR'} AS registry_id_number,
           ${releases('full_name') ? `CASE WHEN linked AND contains(mismatch_list, 'full_name') THEN p_full_name END` : 'NULL::VARCHAR'} AS registry_full_name,
           ${releases('birth_date') ? `CASE WHEN linked AND contains(mismatch_list, 'birth_date') THEN p_birth END` : 'NULL::VARCHAR'} AS registry_birth_date,
           ${releases('commune') ? `CASE WHEN linked AND contains(mismatch_list, 'commune') THEN p_commune END` : 'NULL::VARCHAR'} AS registry_commune
    FROM l`;
}

/** The rows whose ID found nobody (or was invalid), for the candidate search by name and birth date. */
function needSql(): string {
  return `
    CREATE TABLE need AS
    SELECT rn, coalesce(search_id, '') AS id_in, search_name AS name_in, name_key, ${sortedNameSql('name_key')} AS sorted_key,
           search_birth AS birth_text, search_birth_swapped AS birth_swapped, substr(search_birth, 1, 4) AS birth_year,
           search_sex AS sex_in, search_owner AS owner_id
    FROM (SELECT *, ${collapseSql(unmarkedSql('search_name'))} AS name_key FROM classified WHERE NOT linked AND status0 IN ('NOT_FOUND', 'INVALID_ID'))
    WHERE name_key <> ''`;
}

/** Repeats and per-person limits, ranked over the rows of persons linked more than once. */
function extraSql(c: ClassifyContext): string {
  const { limit, k } = c;
  return `
    CREATE TABLE extra AS
    -- Grouped on a 64-bit hash of the ID (cheaper than the text): a collision only ranks a few more rows, never wrongly.
    WITH m AS (SELECT hash(link_id) AS h FROM classified WHERE linked GROUP BY h HAVING count(*) > 1),
    d AS (
      SELECT rn, link_id, row_number() OVER (PARTITION BY link_id, ${k} ORDER BY rn) AS dup_rank
      FROM classified WHERE linked AND hash(link_id) IN (SELECT h FROM m)
    ),
    r AS (
      SELECT rn, dup_rank > 1 AS dup,
             ${limit === null ? 'NULL::BIGINT' : 'CASE WHEN dup_rank = 1 THEN row_number() OVER (PARTITION BY link_id, dup_rank = 1 ORDER BY rn) END'} AS line_rank
      FROM d
    )
    SELECT * FROM r WHERE dup${limit === null ? '' : ` OR line_rank > ${limit}`}`;
}

/** The results view: the classification with repeats, limits and the candidate search laid over it. */
function resultsSql(c: ClassifyContext): string {
  const { compares, releases, limit } = c;
  return `
    CREATE VIEW results AS
    SELECT c.rn, c.record,
           CASE WHEN cd.status IS NOT NULL THEN cd.status
                WHEN e.dup THEN 'DUPLICATE_IN_SOURCE'
                ${limit === null ? '' : `WHEN c.status0 <> 'DECEASED' AND e.line_rank > ${limit} THEN 'OVER_LIMIT'`}
                ELSE c.status0 END AS status,
           c.reason,
           ${releases('id_number') ? "CASE WHEN cd.status = 'PROBABLE_MATCH' THEN cd.person_id ELSE c.linked_id END" : 'c.linked_id'} AS linked_id,
           CASE WHEN cd.status = 'PROBABLE_MATCH' THEN ${compares('id_number') ? "'id_number'" : 'NULL'} ELSE c.mismatch_fields END AS mismatch_fields,
           c.registry_id_number, c.registry_full_name, c.registry_birth_date, c.registry_commune,
           ${releases('id_number') ? 'cd.person_id' : 'NULL::VARCHAR'} AS suggested_id,
           CAST(cd.score AS VARCHAR) AS match_score
    FROM classified c LEFT JOIN extra e ON e.rn = c.rn LEFT JOIN candidates cd ON cd.rn = c.rn`;
}

/**
 * The classification, as a few statements. `classified` holds one row per read row with every
 * decision that does not depend on other rows (in one pass: normalisation, the join on the ID
 * number, the name similarity, the date checks, the mismatch list); `extra` holds only the rows of
 * persons who appear more than once (repeats and per-person limits, ranked with windows over those
 * few rows); the `results` view lays the second over the first. The link rule: an ID (or old card
 * number) found in the registry is taken as this person when the folded names are similar enough
 * given what the dates say (linkThresholds); otherwise the ID belongs to someone else and the row
 * is NOT_FOUND.
 */
export function classifySql(input: ClassifyInput): { readonly classify: readonly string[]; readonly finish: readonly string[] } {
  const c = classifyContext(input);
  return { classify: [readSql(c) + joinSql(c) + decideSql(c), needSql()], finish: [extraSql(c), resultsSql(c)] };
}
