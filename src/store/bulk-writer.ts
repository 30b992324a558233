import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import type { Database } from './database.js';
import type { HouseholdsTable, LifeEventsTable, PersonsTable } from './database.types.js';

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
}

export interface BulkWriter {
  /** Loads one batch in its own transaction: all of it or none of it. */
  write(batch: BulkBatch): Promise<void>;
  /** Rebuilds deferred indexes and returns what was loaded. Call once, after the last write. */
  finish(): Promise<LoadTotals>;
}

const personColumns = [
  'id_number', 'full_name', 'name_folded', 'birth_date', 'sex', 'ethnicity', 'religion', 'nationality',
  'birth_province', 'birth_commune', 'hometown', 'permanent_commune', 'permanent_address', 'temporary_commune',
  'temporary_address', 'current_commune', 'current_address', 'father_id', 'mother_id', 'spouse_id', 'household_id',
  'relationship_to_head', 'status', 'death_date', 'version', 'created_at', 'updated_at',
] as const satisfies readonly (keyof PersonsTable)[];

const householdColumns = [
  'household_id', 'head_id', 'commune_code', 'address', 'created_at', 'updated_at',
] as const satisfies readonly (keyof HouseholdsTable)[];

const eventColumns = [
  'event_id', 'person_id', 'event_type', 'occurred_on', 'recorded_at', 'officer_id', 'reason', 'data',
] as const satisfies readonly (keyof LifeEventsTable)[];

const tables = ['persons', 'households', 'life_events'] as const;

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
    totals.persons += batch.persons.length;
    totals.households += batch.households.length;
    totals.events += batch.events.length;
  };
  if (database.sqlite !== undefined) return sqliteWriter(database.sqlite, deferIndexes, options.commitEvery ?? 1, totals, count);
  if (database.pool !== undefined) return postgresWriter(database.pool, deferIndexes, totals, count);
  throw new Error(`the ${database.dialect} store has no driver handle for bulk loading`);
}

function sqliteWriter(
  sqlite: SQLite.Database, deferIndexes: boolean, commitEvery: number, totals: LoadTotals, count: (batch: BulkBatch) => void,
): BulkWriter {
  const insert = (table: string, columns: readonly string[]): SQLite.Statement =>
    sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  const persons = insert('persons', personColumns);
  const households = insert('households', householdColumns);
  const events = insert('life_events', eventColumns);
  let deferred: readonly { readonly name: string; readonly sql: string }[] | undefined;
  let previousCacheSize: number | undefined;
  let finished = false;
  let ownTransaction = false;
  let uncommitted = 0;
  const commit = (): void => {
    if (ownTransaction && sqlite.inTransaction) sqlite.exec('COMMIT');
    ownTransaction = false;
    uncommitted = 0;
  };

  const load = sqlite.transaction((batch: BulkBatch) => {
    // Key order within a batch keeps the primary-key B-trees' writes together.
    for (const r of [...batch.persons].sort(byIdNumber)) {
      persons.run(
        r.id_number, r.full_name, r.name_folded, r.birth_date, r.sex, r.ethnicity, r.religion, r.nationality,
        r.birth_province, r.birth_commune, r.hometown, r.permanent_commune, r.permanent_address, r.temporary_commune,
        r.temporary_address, r.current_commune, r.current_address, r.father_id, r.mother_id, r.spouse_id,
        r.household_id, r.relationship_to_head, r.status, r.death_date, r.version, r.created_at, r.updated_at,
      );
    }
    for (const h of [...batch.households].sort(byHouseholdId)) households.run(h.household_id, h.head_id, h.commune_code, h.address, h.created_at, h.updated_at);
    for (const e of batch.events) {
      events.run(e.event_id, e.person_id, e.event_type, e.occurred_on, e.recorded_at, e.officer_id, e.reason, e.data);
    }
  });

  return {
    // async so that a failed batch (already rolled back by better-sqlite3) is a rejection, not a throw.
    // eslint-disable-next-line @typescript-eslint/require-await
    async write(batch) {
      if (finished) throw new Error('the bulk writer is finished');
      if (deferred === undefined) {
        deferred = deferIndexes && sqliteTablesEmpty(sqlite) ? dropSqliteIndexes(sqlite) : [];
        // A larger page cache while loading keeps the primary-key B-trees in memory; restored in finish().
        previousCacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
        sqlite.pragma(`cache_size = ${Math.min(previousCacheSize, -262_144)}`);
      }
      if (!sqlite.inTransaction) {
        sqlite.exec('BEGIN');
        ownTransaction = true;
      }
      // Inside the open transaction better-sqlite3 runs this as a savepoint: a failed batch rolls back alone.
      load(batch);
      count(batch);
      uncommitted += batch.persons.length;
      if (ownTransaction && uncommitted >= commitEvery) commit();
    },
    finish() {
      if (!finished) {
        finished = true;
        commit();
        for (const index of deferred ?? []) sqlite.exec(index.sql);
        if ((deferred ?? []).length > 0) sqlite.exec('ANALYZE');
        if (previousCacheSize !== undefined) sqlite.pragma(`cache_size = ${previousCacheSize}`);
      }
      return Promise.resolve({ ...totals });
    },
  };
}

function byIdNumber(a: PersonsTable, b: PersonsTable): number {
  return a.id_number < b.id_number ? -1 : a.id_number > b.id_number ? 1 : 0;
}

function byHouseholdId(a: HouseholdsTable, b: HouseholdsTable): number {
  return a.household_id < b.household_id ? -1 : a.household_id > b.household_id ? 1 : 0;
}

function sqliteTablesEmpty(sqlite: SQLite.Database): boolean {
  return tables.every((t) => sqlite.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get() === undefined);
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
        await copyRows(client, 'persons', personColumns, batch.persons);
        await copyRows(client, 'households', householdColumns, batch.households);
        await copyRows(client, 'life_events', eventColumns, batch.events);
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

async function copyRows<R extends object>(client: pg.PoolClient, table: string, columns: readonly (keyof R & string)[], rows: readonly R[]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyText(rows, columns)), stream);
}

/** Rows in COPY's text format, in chunks of about a megabyte. */
function* copyText<R extends object>(rows: readonly R[], columns: readonly (keyof R & string)[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) line += '\t';
      line += copyValue(row[columns[i] as keyof R] as string | number | null);
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
        loaded = {
          persons: loaded.persons + batch.persons.length,
          households: loaded.households + batch.households.length,
          events: loaded.events + batch.events.length,
        };
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
