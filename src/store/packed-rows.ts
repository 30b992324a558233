/**
 * Rows packed into one string and two typed arrays, to cross a thread boundary cheaply and to be
 * bound or copied by the bulk writers without building row objects. No driver here: a worker
 * thread that prepares rows loads this alone.
 */

/** A value of a packed row: the store's columns are text, integers or null. */
export type PackedValue = string | number | null;

/**
 * One table's rows packed into a single string: value i is text[ends[i-1]..ends[i]), read as
 * text, null or a number by kinds[i]; rows follow one another in the writer's column order.
 *
 * With `copy` true, the text is the rows in PostgreSQL COPY's text format (values escaped, a tab
 * after each value but the last of a row, a line end after it, \N for null), which a COPY takes
 * as it is: value i then starts one character after ends[i-1], and a value that COPY's escaping
 * changed is marked ESCAPED (read back unescaped).
 */
export interface PackedRows {
  readonly text: string;
  readonly ends: Int32Array;
  readonly kinds: Uint8Array;
  readonly copy?: boolean;
}

const TEXT = 0;
const NULL = 1;
const NUMBER = 2;
const ESCAPED = 3;

/** The persons table's columns, in the order the bulk writers pack and write them. */
export const personColumns = [
  'id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'ethnicity', 'religion', 'nationality',
  'birth_province', 'birth_commune', 'hometown', 'permanent_commune', 'permanent_address', 'temporary_commune',
  'temporary_address', 'current_commune', 'current_address', 'father_id', 'mother_id', 'spouse_id', 'household_id',
  'relationship_to_head', 'status', 'death_date', 'version', 'created_at', 'updated_at',
] as const;

/** The life events' columns (their seq is the store's). */
export const eventColumns = [
  'event_id', 'person_id', 'event_type', 'occurred_on', 'recorded_at', 'officer_id', 'reason', 'data',
] as const;

/** The outbox's columns an import writes (its seq is the store's). */
export const outboxColumns = ['event_id', 'person_id', 'event_type', 'provinces', 'fields', 'payload', 'recorded_at'] as const;

/**
 * Packs rows value by value, in column order, in COPY's text format (see PackedRows): no row
 * object is built, and a COPY on PostgreSQL sends the text as it is. Values are joined into
 * chunks as they come, so the packer holds a few large strings instead of many small ones.
 *
 * @example
 * const packer = new PackedRowsBuilder(2);
 * packer.text('001085000001'); packer.nullable(null);
 * const rows = packer.finish(); // 1 row: '001085000001\t\\N\n'
 */
export class PackedRowsBuilder {
  /** Values not yet joined; joined into one flat string every few thousand, so that they die young. */
  private parts: string[] = [];
  private readonly chunks: string[] = [];
  private length = 0;
  private ends: Int32Array;
  private kinds: Uint8Array;
  private count = 0;

  constructor(private readonly width: number, expectedRows = 1_024) {
    this.ends = new Int32Array(Math.max(1, expectedRows) * width);
    this.kinds = new Uint8Array(Math.max(1, expectedRows) * width);
  }

  /** Rows packed so far (complete ones). */
  get rows(): number {
    return Math.floor(this.count / this.width);
  }

  text(value: string): void {
    if (copySpecial.test(value)) this.push(ESCAPED, copyEscape(value));
    else this.push(TEXT, value);
  }

  /** A text value or null. */
  nullable(value: string | null | undefined): void {
    if (value === null || value === undefined) this.push(NULL, '\\N');
    else this.text(value);
  }

  number(value: number): void {
    this.push(NUMBER, String(value));
  }

  finish(): PackedRows {
    if (this.count % this.width !== 0) throw new Error('packed rows do not fill their columns');
    this.flush();
    const text = this.chunks.join('');
    this.chunks.length = 0;
    return { text, ends: this.ends.slice(0, this.count), kinds: this.kinds.slice(0, this.count), copy: true };
  }

  private push(kind: number, value: string): void {
    if (this.count === this.ends.length) {
      const ends = new Int32Array(this.ends.length * 2);
      ends.set(this.ends);
      this.ends = ends;
      const kinds = new Uint8Array(this.kinds.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    this.parts.push(value, (this.count + 1) % this.width === 0 ? '\n' : '\t');
    this.length += value.length;
    this.kinds[this.count] = kind;
    this.ends[this.count] = this.length;
    this.length++;
    this.count++;
    if (this.parts.length >= 4_096) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(this.parts.join(''));
    this.parts = [];
  }
}

const copySpecial = /[\\\n\r\t]/;

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
export function copyEscape(text: string): string {
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

function copyUnescape(text: string): string {
  return text.replace(/\\([\\nrt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '\\'));
}

/** Value i of packed rows; its text is a slice of the shared string, garbage as soon as it is bound. */
export function valueAt(rows: PackedRows, i: number): PackedValue {
  const kind = rows.kinds[i];
  if (kind === NULL || kind === undefined) return null;
  // In COPY's format a tab or line end follows each value.
  const start = i === 0 ? 0 : (rows.ends[i - 1] ?? 0) + (rows.copy === true ? 1 : 0);
  const text = rows.text.slice(start, rows.ends[i]);
  return kind === NUMBER ? Number(text) : kind === ESCAPED ? copyUnescape(text) : text;
}

/** How many rows of `width` values the packed rows hold. */
export function packedRowCount(rows: PackedRows, width: number): number {
  return rows.kinds.length / width;
}

/**
 * The store refused one row of a batch (a constraint, a trigger, a value it cannot hold): the
 * batch's transaction is rolled back. `row` is the index of the row in the table's rows as given
 * to the writer; `reason` names the store's error code, never a value.
 */
export class StoreRowRefusedError extends Error {
  constructor(
    readonly table: string,
    readonly row: number | undefined,
    readonly reason: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`the store refused a row of ${table}${row === undefined ? '' : ` (row ${row + 1} of the batch)`}: ${reason}`, options);
    this.name = 'StoreRowRefusedError';
  }
}
