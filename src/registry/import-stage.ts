/**
 * An import batch's accepted rows as they cross from the checking thread to the writing one: one
 * line a person in PostgreSQL COPY's text format (a tab between values, `\N` for null, a
 * backslash escaped), holding the person's columns, the id of its registration event and the
 * provinces of its change event. The store builds the person, the event and the change event
 * from these lines (import-stage.repository.ts), so each person's facts cross once, not three
 * times. No driver here: the checking thread loads this alone.
 */
import { personColumns } from '../store/packed-rows.js';

/** The person columns a staged line holds, in order: every column but version, created_at and updated_at. */
export const stagedPersonColumns: readonly string[] = personColumns.slice(0, personColumns.indexOf('version'));

/** The columns of a staged line: the person's, then its event's id and its provinces (a JSON array). */
export const stagedColumns: readonly string[] = [...stagedPersonColumns, 'event_id', 'provinces'];

const copySpecial = /[\\\n\r\t]/;

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
function copyText(value: string): string {
  if (!copySpecial.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/**
 * Builds a batch's staged lines, a value at a time in stagedColumns order.
 *
 * @example
 * const stage = new StagedRowsBuilder();
 * stage.value('001085000001'); ...; stage.endRow();
 * const text = stage.finish();
 */
export class StagedRowsBuilder {
  private readonly lines: string[] = [];
  /** The row's values, joined once it ends: one flat string instead of a rope of concatenations. */
  private readonly row = new Array<string>(stagedColumns.length);
  private count = 0;

  /** Rows ended so far. */
  get rows(): number {
    return this.lines.length;
  }

  /** The next value of the row: text, or null. */
  value(value: string | null | undefined): void {
    if (this.count === this.row.length) throw new Error(`a staged row holds ${stagedColumns.length} values`);
    this.row[this.count++] = value === null || value === undefined ? '\\N' : copyText(value);
  }

  endRow(): void {
    if (this.count !== stagedColumns.length) throw new Error(`a staged row needs ${stagedColumns.length} values, not ${this.count}`);
    this.lines.push(this.row.join('\t'));
    this.count = 0;
  }

  /** The lines, each ended by a line feed (COPY's format); '' for no rows. */
  finish(): string {
    if (this.count !== 0) throw new Error('a staged row was not ended');
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

/** The staged lines of `text`, without their line feeds. */
export function stagedLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** The lines whose index `keep` accepts (the rare path: rows refused once the batch was checked). */
export function filterStagedRows(text: string, keep: (row: number) => boolean): string {
  const kept = stagedLines(text).filter((_, r) => keep(r));
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

function copyUnescape(text: string): string {
  return text.replace(/\\([\\nrt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '\\'));
}

/**
 * Writes the values of staged line `line` into `into` from `at` (stagedColumns order), nulls as
 * null; for a writer that binds them.
 *
 * @throws Error when the line does not hold stagedColumns.length values
 */
export function stagedValuesInto(line: string, into: (string | null)[], at: number): void {
  const values = line.split('\t');
  if (values.length !== stagedColumns.length) throw new Error(`a staged row holds ${values.length} values, not ${stagedColumns.length}`);
  for (let c = 0; c < values.length; c++) {
    const value = values[c] as string;
    into[at + c] = value === '\\N' ? null : value.includes('\\') ? copyUnescape(value) : value;
  }
}
