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

 */
export interface PackedRows {
  readonly text: string;
  readonly ends: Int32Array;
  readonly kinds: Uint8Array;
}

// Kinds of value: 0 text, then these.
const NULL = 1;
const NUMBER = 2;

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

/** Value i of packed rows; its text is a slice of the shared string, garbage as soon as it is bound. */
export function valueAt(rows: PackedRows, i: number): PackedValue {
  const kind = rows.kinds[i];
  if (kind === NULL || kind === undefined) return null;
  const start = i === 0 ? 0 : (rows.ends[i - 1] ?? 0);
  const text = rows.text.slice(start, rows.ends[i]);
  return kind === NUMBER ? Number(text) : text;
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
