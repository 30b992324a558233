import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import { initialLoadMark, openDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrator.js';
import type { HouseholdsTable, LifeEventsTable, PersonsTable } from './database.types.js';
import { eventColumns, outboxColumns, personColumns, valueAt, type PackedRows, type PackedValue } from './packed-rows.js';

export type { PackedRows, PackedValue } from './packed-rows.js';
export { outboxColumns } from './packed-rows.js';

/** Rows to load together, in one transaction: persons, their households and their life events. */
export interface BulkBatch {
  readonly persons: readonly PersonsTable[];
  readonly households: readonly HouseholdsTable[];
  /** In the order each person's events were recorded: the store's seq follows this order. */
  readonly events: readonly Omit<LifeEventsTable, 'seq'>[];
}

export interface LoadTotals {
  readonly persons: number;
  readonly households: number;
  readonly events: number;
}

export interface BulkWriterOptions {
  /**
   * Drop the secondary indexes of the registry tables before the first batch and rebuild them in
   * finish(), when the tables are empty at the start (rebuilding once is much cheaper than keeping
   * them up to date row by row). Ignored when the tables already hold rows. Default true.
   */
  readonly deferIndexes?: boolean;
  /**
   * SQLite: commit once at least this many persons are written, keeping batches in one transaction
   * (each still all or nothing, as a savepoint) until then. Fewer commits write each page of the
   * primary-key B-trees fewer times. Until the commit, written batches are not yet durable, and the
   * database handle must not be used for other work. Default 1: every batch commits.
   */
  readonly commitEvery?: number;
  /**
   * SQLite: when the whole store is empty at the first batch (a fresh store being filled), load
   * without the write-ahead log and without syncing (journal_mode MEMORY, synchronous OFF: each
   * page is written once, and a failed batch still rolls back alone), then restore both in
   * finish(). A process killed meanwhile leaves a store marked as an interrupted first load,
   * which openDatabase refuses (STORE_LOAD_INTERRUPTED): delete it and load again. Default true.
   */
  readonly unjournaledInitialLoad?: boolean;
}

export interface BulkWriter {
  /** Loads one batch in its own transaction: all of it or none of it. */
  write(batch: BulkBatch): Promise<void>;
  /** Rebuilds deferred indexes and returns what was loaded. Call once, after the last write. */
  finish(): Promise<LoadTotals>;
}

const householdColumns = [
  'household_id', 'head_id', 'commune_code', 'address', 'created_at', 'updated_at',
] as const satisfies readonly (keyof HouseholdsTable)[];

const tables = ['persons', 'households', 'life_events'] as const;

const TEXT = 0;
const NULL = 1;
const NUMBER = 2;

/**
 * A batch packed to cross a thread boundary. Structured clone copies a string and two typed
 * arrays per table as a few block copies, where the same rows as objects cost millions of small
 * allocations that the receiving thread's garbage collector then copies and promotes; the SQLite
 * writer binds short-lived slices of the string without building row objects at all.
 */
export interface PackedBatch {
  readonly persons: PackedRows;
  readonly households: PackedRows;
  readonly events: PackedRows;
  /** Row numbers of persons, then of households, in key order: the order the writer inserts them. */
  readonly order: Int32Array;
}

/** The packed form behind batches made by unpackBatch, for writers that can use it directly. */
const packedForms = new WeakMap<BulkBatch, PackedBatch>();

/**
 * Packs a batch for postMessage (see PackedBatch).
 *
 * @example
 * port.postMessage(packBatch(batch));            // in the worker
 * await writer.write(unpackBatch(message));      // in the parent
 */
export function packBatch(batch: BulkBatch): PackedBatch {
  const packer = new BatchPacker();
  packer.add(batch);
  return packer.finish();
}

/**
 * Packs a batch a few rows at a time: each add() joins its rows' values into one flat string at
 * once, so that a producer can drop its row objects (and their concatenated strings) while they
 * are still young, instead of keeping a whole batch of them alive until it is packed.
 *
 * @example
 * const packer = new BatchPacker();
 * for (const household of households) packer.add(household);
 * port.postMessage(packer.finish());
 */
export class BatchPacker {
  private readonly persons = new RowPacker(personColumns.length);
  private readonly households = new RowPacker(householdColumns.length);
  private readonly events = new RowPacker(eventColumns.length);
  private readonly personKeys: string[] = [];
  private readonly householdKeys: string[] = [];

  /** Rows packed so far, per table. */
  get counts(): LoadTotals {
    return { persons: this.personKeys.length, households: this.householdKeys.length, events: this.events.rows };
  }

  add(rows: BulkBatch): void {
    for (const r of rows.persons) this.personKeys.push(r.id_number);
    for (const h of rows.households) this.householdKeys.push(h.household_id);
    this.persons.add(rows.persons, personColumns);
    this.households.add(rows.households, householdColumns);
    this.events.add(rows.events, eventColumns);
  }

  finish(): PackedBatch {
    return {
      persons: this.persons.finish(),
      households: this.households.finish(),
      events: this.events.finish(),
      order: Int32Array.from([...keyOrder(this.personKeys), ...keyOrder(this.householdKeys)]),
    };
  }
}

class RowPacker {
  private readonly chunks: string[] = [];
  private readonly ends: number[] = [];
  private readonly kinds: number[] = [];
  private end = 0;
  rows = 0;

  constructor(private readonly width: number) {}

  add<R extends object>(rows: readonly R[], columns: readonly (keyof R & string)[]): void {
    if (rows.length === 0) return;
    const parts: string[] = [];
    for (const row of rows) {
      for (const column of columns) {
        const value = row[column] as PackedValue | undefined;
        if (value === null || value === undefined) {
          this.kinds.push(NULL);
        } else {
          const text = typeof value === 'string' ? value : String(value);
          this.kinds.push(typeof value === 'string' ? TEXT : NUMBER);
          parts.push(text);
          this.end += text.length;
        }
        this.ends.push(this.end);
      }
    }
    this.rows += rows.length;
    this.chunks.push(parts.join(''));
  }

  finish(): PackedRows {
    if (this.kinds.length !== this.rows * this.width) throw new Error('packed rows do not fill their columns');
    return { text: this.chunks.join(''), ends: Int32Array.from(this.ends), kinds: Uint8Array.from(this.kinds) };
  }
}

function keyOrder(keys: readonly string[]): number[] {
  const order = keys.map((_, i) => i);
  return order.sort((a, b) => {
    const x = keys[a] as string;
    const y = keys[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * The batch a PackedBatch holds. Its row objects are built only when first read: the SQLite
 * writer reads the packed values instead, and batchCounts counts without building them.
 */
export function unpackBatch(packed: PackedBatch): BulkBatch {
  let persons: PersonsTable[] | undefined;
  let households: HouseholdsTable[] | undefined;
  let events: Omit<LifeEventsTable, 'seq'>[] | undefined;
  const batch = {} as BulkBatch;
  // Once any rows are read they may be changed (defect injection does): from then on the writer
  // must take the rows, not the packed values.
  const unpacked = <T>(rows: T): T => {
    packedForms.delete(batch);
    return rows;
  };
  Object.defineProperties(batch, {
    persons: { enumerable: true, get: () => unpacked((persons ??= unpackRows<PersonsTable>(packed.persons, personColumns))) },
    households: { enumerable: true, get: () => unpacked((households ??= unpackRows<HouseholdsTable>(packed.households, householdColumns))) },
    events: { enumerable: true, get: () => unpacked((events ??= unpackRows<Omit<LifeEventsTable, 'seq'>>(packed.events, eventColumns))) },
  });
  packedForms.set(batch, packed);
  return batch;
}

function unpackRows<R>(values: PackedRows, columns: readonly string[]): R[] {
  const rows: R[] = [];
  for (let i = 0; i < values.kinds.length; i += columns.length) {
    const row: Record<string, PackedValue> = {};
    for (let c = 0; c < columns.length; c++) row[columns[c] as string] = valueAt(values, i + c);
    rows.push(row as R);
  }
  return rows;
}

/** How many rows of each table a batch holds, without unpacking a packed one. */
export function batchCounts(batch: BulkBatch): LoadTotals {
  const packed = packedForms.get(batch);
  if (packed === undefined) return { persons: batch.persons.length, households: batch.households.length, events: batch.events.length };
  return {
    persons: packed.persons.kinds.length / personColumns.length,
    households: packed.households.kinds.length / householdColumns.length,
    events: packed.events.kinds.length / eventColumns.length,
  };
}

/**
 * A writer for loading many rows fast: prepared statements in one transaction per batch on
 * SQLite, COPY FROM STDIN in one transaction per batch on PostgreSQL.
 *
 * @example
 * const writer = createBulkWriter(database);
 * for (const batch of generatePopulation({ people: 100_000, seed: 1 })) await writer.write(batch);
 * const totals = await writer.finish();
 */
export function createBulkWriter(database: Database, options: BulkWriterOptions = {}): BulkWriter {
  const deferIndexes = options.deferIndexes ?? true;
  const totals = { persons: 0, households: 0, events: 0 };
  const count = (batch: BulkBatch): void => {
    const n = batchCounts(batch);
    totals.persons += n.persons;
    totals.households += n.households;
    totals.events += n.events;
  };
  if (database.sqlite !== undefined) {
    return sqliteWriter(database.sqlite, deferIndexes, options.unjournaledInitialLoad ?? true, options.commitEvery ?? 1, totals, count);
  }
  if (database.pool !== undefined) return postgresWriter(database.pool, deferIndexes, totals, count);
  throw new Error(`the ${database.dialect} store has no driver handle for bulk loading`);
}

function sqliteWriter(
  sqlite: SQLite.Database, deferIndexes: boolean, initialLoad: boolean, commitEvery: number, totals: LoadTotals, count: (batch: BulkBatch) => void,
): BulkWriter {
  const persons = sqliteInsert(sqlite, 'persons', personColumns);
  const households = sqliteInsert(sqlite, 'households', householdColumns);
  const events = sqliteInsert(sqlite, 'life_events', eventColumns);
  let deferred: readonly { readonly name: string; readonly sql: string }[] | undefined;
  let previousCacheSize: number | undefined;
  let endInitialLoad: (() => void) | undefined;
  let finished = false;
  let ownTransaction = false;
  let uncommitted = 0;
  const commit = (): void => {
    if (ownTransaction && sqlite.inTransaction) sqlite.exec('COMMIT');
    ownTransaction = false;
    uncommitted = 0;
  };

  const load = sqlite.transaction((packed: PackedBatch) => {
    const personCount = packed.persons.kinds.length / personColumns.length;
    // Key order within a batch keeps the primary-key B-trees' writes together.
    persons(packed.persons, packed.order, 0, personCount);
    households(packed.households, packed.order, personCount, packed.order.length);
    // Events in their given order: the store's seq follows it.
    events(packed.events, undefined, 0, packed.events.kinds.length / eventColumns.length);
  });

  return {
    // async so that a failed batch (already rolled back by better-sqlite3) is a rejection, not a throw.
    async write(batch) {
      if (finished) throw new Error('the bulk writer is finished');
      if (deferred === undefined) {
        const empty = sqliteTablesEmpty(sqlite);
        deferred = deferIndexes && empty ? dropSqliteIndexes(sqlite) : [];
        if (initialLoad && empty && (await sqliteStoreFresh(sqlite))) endInitialLoad = beginInitialLoad(sqlite);
        // A larger page cache while loading keeps the primary-key B-trees in memory; restored in finish().
        previousCacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
        sqlite.pragma(`cache_size = ${Math.min(previousCacheSize, -262_144)}`);
      }
      if (!sqlite.inTransaction) {
        sqlite.exec('BEGIN');
        ownTransaction = true;
      }
      // Inside the open transaction better-sqlite3 runs this as a savepoint: a failed batch rolls back alone.
      load(packedForms.get(batch) ?? packBatch(batch));
      count(batch);
      uncommitted += batchCounts(batch).persons;
      if (ownTransaction && uncommitted >= commitEvery) commit();
    },
    finish() {
      if (!finished) {
        finished = true;
        commit();
        for (const index of deferred ?? []) sqlite.exec(index.sql);
        if ((deferred ?? []).length > 0) sqlite.exec('ANALYZE');
        if (previousCacheSize !== undefined) sqlite.pragma(`cache_size = ${previousCacheSize}`);
        endInitialLoad?.();
      }
      return Promise.resolve({ ...totals });
    },
  };
}

/** Rows per multi-row INSERT: one statement step per 16 rows costs ~30% less per row than one per row. */
const rowsPerInsert = 16;

/**
 * Inserts rows `from`..`to` of a packed table (in `order` when given) with a prepared 16-row
 * INSERT, and a one-row INSERT for the rest.
 */
function sqliteInsert(
  sqlite: SQLite.Database, table: string, columns: readonly string[], verb = 'INSERT',
): (values: PackedRows, order: Int32Array | undefined, from: number, to: number) => void {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const statement = (rows: number): SQLite.Statement =>
    sqlite.prepare(`${verb} INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`);
  const many = statement(rowsPerInsert);
  const one = statement(1);
  const width = columns.length;
  const manyArgs = new Array<PackedValue>(width * rowsPerInsert);
  const oneArgs = new Array<PackedValue>(width);
  const copy = (values: PackedRows, row: number, into: PackedValue[], at: number): void => {
    const base = row * width;
    for (let c = 0; c < width; c++) into[at + c] = valueAt(values, base + c);
  };
  return (values, order, from, to) => {
    let k = from;
    for (; k + rowsPerInsert <= to; k += rowsPerInsert) {
      for (let r = 0; r < rowsPerInsert; r++) copy(values, order === undefined ? k + r : (order[k + r] ?? 0), manyArgs, r * width);
      many.run(manyArgs);
    }
    for (; k < to; k++) {
      copy(values, order === undefined ? k : (order[k] ?? 0), oneArgs, 0);
      one.run(oneArgs);
    }
  };
}

function sqliteTablesEmpty(sqlite: SQLite.Database): boolean {
  return tables.every((t) => sqlite.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get() === undefined);
}

/**
 * True when every table holds only what the migrations put there (some seed a row, such as the
 * access log's head): nothing but this load could be lost if it were discarded. Compared, table
 * by table, with a store freshly migrated in memory.
 */
async function sqliteStoreFresh(sqlite: SQLite.Database): Promise<boolean> {
  const rowCounts = (handle: SQLite.Database): Map<string, number> => {
    const names = handle
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'kysely\\_%' ESCAPE '\\'")
      .pluck()
      .all() as string[];
    return new Map(names.map((t) => [t, handle.prepare(`SELECT count(*) FROM "${t.replaceAll('"', '""')}"`).pluck().get() as number]));
  };
  const fresh = openDatabase({ sqliteFile: ':memory:' });
  try {
    await migrateToLatest(fresh.db, fresh.dialect);
    const expected = rowCounts(fresh.sqlite as SQLite.Database);
    const actual = rowCounts(sqlite);
    return [...actual].every(([table, n]) => n === (expected.get(table) ?? 0));
  } finally {
    await fresh.close();
  }
}

/**
 * Switches an empty store to an unjournaled, unsynced first load, marked in the file header
 * first (durably, under the WAL) so that a load killed half way is recognised on the next open.
 * Returns what restores the journal, the sync level and clears the mark; undefined when the
 * journal mode could not change (another connection has the store open).
 */
function beginInitialLoad(sqlite: SQLite.Database): (() => void) | undefined {
  const journal = sqlite.pragma('journal_mode', { simple: true }) as string;
  const synchronous = sqlite.pragma('synchronous', { simple: true }) as number;
  sqlite.pragma(`application_id = ${initialLoadMark}`);
  if (sqlite.pragma('journal_mode = MEMORY', { simple: true }) !== 'memory') {
    sqlite.pragma('application_id = 0');
    return undefined;
  }
  sqlite.pragma('synchronous = OFF');
  return () => {
    sqlite.pragma(`journal_mode = ${journal}`);
    sqlite.pragma(`synchronous = ${synchronous}`);
    sqlite.pragma('application_id = 0');
  };
}

/** Drops the explicitly created, non-unique indexes of the registry tables: unique ones keep guarding while loading. */
function dropSqliteIndexes(sqlite: SQLite.Database): readonly { readonly name: string; readonly sql: string }[] {
  const indexes = sqlite
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN (${tables.map(() => '?').join(', ')}) ORDER BY name`)
    .all(...tables) as { name: string; sql: string }[];
  sqlite.transaction(() => {
    for (const index of indexes) sqlite.exec(`DROP INDEX "${index.name.replaceAll('"', '""')}"`);
  })();
  return indexes;
}

function postgresWriter(pool: pg.Pool, deferIndexes: boolean, totals: LoadTotals, count: (batch: BulkBatch) => void): BulkWriter {
  let deferred: Promise<readonly { readonly name: string; readonly sql: string }[]> | undefined;
  let finished = false;
  return {
    async write(batch) {
      if (finished) throw new Error('the bulk writer is finished');
      deferred ??= deferIndexes ? dropPostgresIndexesIfEmpty(pool) : Promise.resolve([]);
      await deferred;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const packed = packedForms.get(batch) ?? packBatch(batch);
        await copyRows(client, 'persons', personColumns, packed.persons);
        await copyRows(client, 'households', householdColumns, packed.households);
        await copyRows(client, 'life_events', eventColumns, packed.events);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      count(batch);
    },
    async finish() {
      if (!finished) {
        finished = true;
        const indexes = deferred === undefined ? [] : await deferred;
        // Rebuilt one at a time: each CREATE INDEX sorts the whole table with maintenance_work_mem.
        for (const index of indexes) await pool.query(index.sql);
        if (indexes.length > 0) await pool.query(`ANALYZE ${tables.join(', ')}`);
      }
      return { ...totals };
    },
  };
}

async function dropPostgresIndexesIfEmpty(pool: pg.Pool): Promise<readonly { readonly name: string; readonly sql: string }[]> {
  const empty = await pool.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM persons) AND NOT EXISTS (SELECT 1 FROM households) AND NOT EXISTS (SELECT 1 FROM life_events) AS empty`,
  );
  if (empty.rows[0]?.empty !== true) return [];
  const found = await pool.query<{ name: string; sql: string }>(
    `SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
        AND i.indexdef NOT LIKE 'CREATE UNIQUE%'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = i.schemaname))
      ORDER BY i.indexname`,
    [tables],
  );
  for (const index of found.rows) await pool.query(`DROP INDEX IF EXISTS "${index.name.replaceAll('"', '""')}"`);
  return found.rows;
}

async function copyRows(client: pg.PoolClient, table: string, columns: readonly string[], values: PackedRows): Promise<void> {
  if (values.kinds.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyText(values, columns.length)), stream);
}

/** Packed rows of `width` values in COPY's text format, in chunks of about a megabyte. */
function* copyText(values: PackedRows, width: number): Generator<string> {
  let chunk = '';
  for (let i = 0; i < values.kinds.length; i += width) {
    let line = '';
    for (let c = 0; c < width; c++) {
      if (c > 0) line += '\t';
      line += copyValue(valueAt(values, i + c));
    }
    chunk += `${line}\n`;
    if (chunk.length > 1_000_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

const copySpecial = /[\\\n\r\t]/;

/**
 * One value in COPY's text format: NULL as \N; backslash, newline, carriage return and tab
 * escaped, so that no value can end a field or a row early.
 *
 * @example
 * copyValue('a\tb') // 'a\\tb'
 */
export function copyValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : String(value);
  if (!copySpecial.test(text)) return text;
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/**
 * Loads batches (from generatePopulation, or any source of rows) through a bulk writer. While
 * PostgreSQL stores one batch the next is produced, so generation and loading overlap.
 * `onProgress` gets the number of persons loaded so far and all totals.
 *
 * @example
 * const totals = await loadPopulation(database, generatePopulation({ people: 1_000_000, seed: 1 }), (n) => bar.update(n));
 */
export async function loadPopulation(
  database: Database,
  batches: Iterable<BulkBatch> | AsyncIterable<BulkBatch>,
  onProgress?: (personsLoaded: number, totals: LoadTotals) => void,
  options: BulkWriterOptions = {},
): Promise<LoadTotals> {
  const writer = createBulkWriter(database, options);
  let loaded = { persons: 0, households: 0, events: 0 };
  let pending: Promise<void> | undefined;
  const settle = async (): Promise<void> => {
    if (pending === undefined) return;
    const current = pending;
    pending = undefined;
    await current;
  };
  try {
    for await (const batch of batches) {
      await settle();
      pending = writer.write(batch).then(() => {
        const n = batchCounts(batch);
        loaded = { persons: loaded.persons + n.persons, households: loaded.households + n.households, events: loaded.events + n.events };
        onProgress?.(loaded.persons, loaded);
      });
      // Marked as handled here; the failure itself is thrown by settle() below.
      pending.catch(() => undefined);
      // Let the driver start sending before the next batch is produced.
      if (database.dialect === 'postgres') await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await settle();
  } catch (error) {
    // Never leave a store without its indexes: rebuild what was dropped, then report the failure.
    await pending?.catch(() => undefined);
    await writer.finish().catch(() => undefined);
    throw error;
  }
  return writer.finish();
}

/** A row for one more table written in the same transaction as RegistryRows (e.g. an import's bookkeeping). */
export interface ExtraRow {
  readonly table: string;
  readonly values: Readonly<Record<string, PackedValue>>;
}

/** Persons and their events to add to a store that may already hold others. */
export interface RegistryRows {
  readonly persons: readonly PersonsTable[];
  /** In the order they were recorded: the store's seq follows this order. */
  readonly events: readonly Omit<LifeEventsTable, 'seq'>[];
  /**
   * Change events for the outbox (src/events), written last in the same transaction. On
   * PostgreSQL `lockKey` is taken as a transaction-scoped advisory lock first, as every outbox
   * writer does, so that outbox rows become visible in seq order.
   */
  readonly outbox?: { readonly rows: readonly Readonly<Record<(typeof outboxColumns)[number], PackedValue>>[]; readonly lockKey: number };
}


/** Per SQLite connection, its prepared bulk inserts. */
const sqliteInserts = new WeakMap<SQLite.Database, {
  readonly persons: RowInsert;
  readonly events: RowInsert;
  /** Prepared on first use: a store migrated before the outbox existed still takes imports without one. */
  outbox: RowInsert | undefined;
  readonly extra: Map<string, SQLite.Statement>;
}>();

type RowInsert = (rows: readonly object[]) => void;

/** A prepared 16-row INSERT (and a one-row one for the rest) binding values straight from row objects. */
function sqliteRowInsert(sqlite: SQLite.Database, table: string, columns: readonly string[]): RowInsert {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const statement = (rows: number): SQLite.Statement =>
    sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`);
  const many = statement(rowsPerInsert);
  const one = statement(1);
  const width = columns.length;
  const manyArgs = new Array<PackedValue>(width * rowsPerInsert);
  const oneArgs = new Array<PackedValue>(width);
  const copy = (row: object, into: PackedValue[], at: number): void => {
    const values = row as Readonly<Record<string, PackedValue | undefined>>;
    for (let c = 0; c < width; c++) into[at + c] = values[columns[c] as string] ?? null;
  };
  return (rows) => {
    let k = 0;
    for (; k + rowsPerInsert <= rows.length; k += rowsPerInsert) {
      for (let r = 0; r < rowsPerInsert; r++) copy(rows[k + r] as object, manyArgs, r * width);
      many.run(manyArgs);
    }
    for (; k < rows.length; k++) {
      copy(rows[k] as object, oneArgs, 0);
      one.run(oneArgs);
    }
  };
}

/**
 * Writes persons, their events and one extra row in one transaction, all or nothing, through the
 * driver under a store's Kysely handle: 16-row prepared INSERTs on SQLite, COPY on PostgreSQL.
 * Unlike createBulkWriter it keeps every index and journal as they are (the store is in use).
 * Returns false when it cannot (not a handle from openDatabase, or a SQLite connection inside a
 * Kysely transaction): the caller then writes through Kysely.
 *
 * @example
 * await writeRegistryRows(driverOf(db), { persons, events }, { table: 'import_batches', values: { import_id: id, batch_no: 0, ... } });
 */
export async function writeRegistryRows(
  drivers: { readonly sqlite?: SQLite.Database; readonly pool?: pg.Pool } | undefined, rows: RegistryRows, extra: ExtraRow,
): Promise<boolean> {
  const extraColumns = Object.keys(extra.values);
  const extraValues = extraColumns.map((c) => extra.values[c] ?? null);
  if (drivers?.sqlite !== undefined && !drivers.sqlite.inTransaction) {
    const sqlite = drivers.sqlite;
    let prepared = sqliteInserts.get(sqlite);
    if (prepared === undefined) {
      prepared = { persons: sqliteRowInsert(sqlite, 'persons', personColumns), events: sqliteRowInsert(sqlite, 'life_events', eventColumns), outbox: undefined, extra: new Map() };
      sqliteInserts.set(sqlite, prepared);
    }
    const sql = `INSERT INTO ${extra.table} (${extraColumns.join(', ')}) VALUES (${extraColumns.map(() => '?').join(', ')})`;
    let statement = prepared.extra.get(sql);
    if (statement === undefined) {
      statement = sqlite.prepare(sql);
      prepared.extra.set(sql, statement);
    }
    const { persons, events } = prepared;
    const outbox = rows.outbox === undefined ? undefined : (prepared.outbox ??= sqliteRowInsert(sqlite, 'event_outbox', outboxColumns));
    const extraStatement = statement;
    // Key order keeps the primary-key B-tree's writes together; events in their given order.
    const sorted = [...rows.persons].sort((a, b) => (a.id_number < b.id_number ? -1 : a.id_number > b.id_number ? 1 : 0));
    sqlite.transaction(() => {
      persons(sorted);
      events(rows.events);
      extraStatement.run(extraValues);
      if (outbox !== undefined && rows.outbox !== undefined) outbox(rows.outbox.rows);
    })();
    return true;
  }
  if (drivers?.pool !== undefined) {
    const client = await drivers.pool.connect();
    try {
      await client.query('BEGIN');
      await copyObjects(client, 'persons', personColumns, rows.persons);
      await copyObjects(client, 'life_events', eventColumns, rows.events);
      await client.query(`INSERT INTO ${extra.table} (${extraColumns.join(', ')}) VALUES (${extraColumns.map((_, i) => `$${i + 1}`).join(', ')})`, extraValues);
      if (rows.outbox !== undefined && rows.outbox.rows.length > 0) {
        await client.query('SELECT pg_advisory_xact_lock($1)', [rows.outbox.lockKey]);
        await copyObjects(client, 'event_outbox', outboxColumns, rows.outbox.rows);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return true;
  }
  return false;
}

async function copyObjects(client: pg.PoolClient, table: string, columns: readonly string[], rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyTextOfObjects(rows, columns)), stream);
}

/** Row objects in COPY's text format, in chunks of about a megabyte. */
function* copyTextOfObjects(rows: readonly object[], columns: readonly string[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    const values = row as Readonly<Record<string, PackedValue | undefined>>;
    let line = '';
    for (let c = 0; c < columns.length; c++) {
      if (c > 0) line += '\t';
      line += copyValue(values[columns[c] as string]);
    }
    chunk += `${line}\n`;
    if (chunk.length > 1_000_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * Which of these person ids the store holds, in one statement (a JSON array on SQLite, an array
 * parameter on PostgreSQL); undefined when `db` is not a handle from openDatabase.
 */
export async function existingPersonIds(
  drivers: { readonly sqlite?: SQLite.Database; readonly pool?: pg.Pool } | undefined, ids: readonly string[],
): Promise<ReadonlySet<string> | undefined> {
  if (ids.length === 0) return new Set();
  if (drivers?.sqlite !== undefined) {
    const found = drivers.sqlite
      .prepare('SELECT id_number FROM persons WHERE id_number IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(JSON.stringify(ids)) as string[];
    return new Set(found);
  }
  if (drivers?.pool !== undefined) {
    const result = await drivers.pool.query<{ id_number: string }>('SELECT id_number FROM persons WHERE id_number = ANY($1::text[])', [ids]);
    return new Set(result.rows.map((r) => r.id_number));
  }
  return undefined;
}
