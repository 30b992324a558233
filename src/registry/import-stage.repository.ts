/**
 * Writes an import batch from its staged lines (import-stage.ts): the lines go into a temporary
 * table of the connection, and three INSERT … SELECT statements build the persons, their
 * registration events and their change events from it inside the store, the events' JSON included
 * (SQLite's json_object; PostgreSQL's to_json joined in key order). The JSON is the same text
 * JSON.stringify gives for the registry's own path: a test holds it to that, value for value.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { changeDataLayout } from '../events/change-event.js';
import type { ExtraRow } from '../store/bulk-writer.js';
import { StoreRowRefusedError } from '../store/packed-rows.js';
import { stagedColumns, stagedLines, stagedPersonColumns, stagedRecord, stagedValuesInto } from './import-stage.js';
import { personFactColumns } from './person.projection.js';
import { personFactKeys } from './person.types.js';

/** A batch's staged lines and what is the same for all of them. */
export interface StagedBatch {
  readonly staged: string;
  /** The events' day (occurred_on) and time (recorded_at; also the persons' created_at and updated_at). */
  readonly today: string;
  readonly recordedAt: string;
  readonly officerId: string | null;
  readonly reason: string;
}

const layout = changeDataLayout(personFactKeys);
/** The change event's fields column: the keys of its data. */
export const registrationFields: string = JSON.stringify(layout.map((entry) => entry.name));

const columnOfFact = (fact: string): string => (personFactColumns as Readonly<Record<string, string>>)[fact] ?? fact;

/** A JSON object's members as SQL: each key (a plain name, safe in a literal) with its value's SQL. */
type Members = readonly (readonly [key: string, value: string])[];

/** How a dialect writes JSON: a column's value, and an object of members. */
interface JsonSql {
  readonly value: (column: string) => string;
  readonly object: (members: Members) => string;
}

/** The event's data: every fact, in personFactKeys order (JSON.stringify of the complete facts). */
const eventData = (json: JsonSql): string => json.object(personFactKeys.map((fact) => [fact, json.value(columnOfFact(fact))]));

/** The change event's data, as outboxEntryOf builds it: residence parts folded into one object. */
const changeData = (json: JsonSql): string => json.object(layout.map((entry) => (entry.parts.length === 0
  ? [entry.name, json.value(columnOfFact(entry.fact ?? entry.name))]
  : [entry.name, json.object(entry.parts.map((part) => [part.name, json.value(columnOfFact(part.fact))]))])));

// ---- SQLite ----------------------------------------------------------------------------------

/** json_object: text values become JSON strings, NULL null, a json(...) or json_object(...) value is embedded. */
const sqliteJson: JsonSql = {
  value: (column) => column,
  object: (members) => `json_object(${members.map(([key, value]) => `'${key}', ${value}`).join(', ')})`,
};

const rowsPerInsert = 16;

interface SqliteStatements {
  readonly clear: SQLite.Statement;
  readonly stageMany: SQLite.Statement;
  readonly stageOne: SQLite.Statement;
  readonly persons: SQLite.Statement;
  readonly events: SQLite.Statement;
  readonly outbox: SQLite.Statement;
}

const sqliteStatements = new WeakMap<SQLite.Database, SqliteStatements>();

const personsSelect = `INSERT INTO persons (${stagedPersonColumns.join(', ')}, version, created_at, updated_at) SELECT ${stagedPersonColumns.join(', ')}, 1, @recordedAt, @recordedAt FROM temp.import_stage`;
const eventsSelect = `INSERT INTO life_events (event_id, person_id, event_type, occurred_on, recorded_at, officer_id, reason, data) SELECT event_id, id_number, 'registration', @today, @recordedAt, @officerId, @reason, ${eventData(sqliteJson)} FROM temp.import_stage`;
const outboxSelect = `INSERT INTO event_outbox (event_id, person_id, event_type, provinces, fields, payload, recorded_at) SELECT event_id, id_number, 'registration', provinces, @fields, ${sqliteJson.object([
  ['eventId', 'event_id'], ['personId', 'id_number'], ['type', `'registration'`], ['occurredOn', '@today'], ['recordedAt', '@recordedAt'],
  ['provinces', 'json(provinces)'], ['data', changeData(sqliteJson)],
])}, @recordedAt FROM temp.import_stage`;

function statementsOf(sqlite: SQLite.Database): SqliteStatements {
  let statements = sqliteStatements.get(sqlite);
  if (statements !== undefined) return statements;
  sqlite.exec(`CREATE TEMP TABLE IF NOT EXISTS import_stage (${stagedColumns.map((c) => `${c} TEXT`).join(', ')})`);
  const tuple = `(${stagedColumns.map(() => '?').join(', ')})`;
  // OR ROLLBACK: a refused row ends the whole transaction, which the batch does anyway; a statement
  // that could abort alone would keep a statement journal (a copy of every page it changes).
  statements = {
    clear: sqlite.prepare('DELETE FROM temp.import_stage'),
    stageMany: sqlite.prepare(`INSERT INTO temp.import_stage VALUES ${Array.from({ length: rowsPerInsert }, () => tuple).join(', ')}`),
    stageOne: sqlite.prepare(`INSERT INTO temp.import_stage VALUES ${tuple}`),
    // In ID order: the primary key's pages are written together.
    persons: sqlite.prepare(`${personsSelect.replace('INSERT', 'INSERT OR ROLLBACK')} ORDER BY id_number`),
    events: sqlite.prepare(`${eventsSelect.replace('INSERT', 'INSERT OR ROLLBACK')} ORDER BY rowid`),
    outbox: sqlite.prepare(`${outboxSelect.replace('INSERT', 'INSERT OR ROLLBACK')} ORDER BY rowid`),
  };
  sqliteStatements.set(sqlite, statements);
  return statements;
}

/** The staged lines into the connection's stage table, in file order (rowid 1, 2, ...). */
function stageSqlite(statements: SqliteStatements, lines: readonly string[]): void {
  const width = stagedColumns.length;
  const many = new Array<string | null>(width * rowsPerInsert);
  const one = new Array<string | null>(width);
  let r = 0;
  for (; r + rowsPerInsert <= lines.length; r += rowsPerInsert) {
    for (let k = 0; k < rowsPerInsert; k++) stagedValuesInto(lines[r + k] as string, many, k * width);
    statements.stageMany.run(many);
  }
  for (; r < lines.length; r++) {
    stagedValuesInto(lines[r] as string, one, 0);
    statements.stageOne.run(one);
  }
}

function params(batch: StagedBatch): Record<string, string | null> {
  return { today: batch.today, recordedAt: batch.recordedAt, officerId: batch.officerId, reason: batch.reason, fields: registrationFields };
}

function writeSqlite(sqlite: SQLite.Database, batch: StagedBatch, extra: ExtraRow): void {
  const statements = statementsOf(sqlite);
  const extraColumns = Object.keys(extra.values);
  const extraStatement = sqlite.prepare(`INSERT INTO ${extra.table} (${extraColumns.join(', ')}) VALUES (${extraColumns.map(() => '?').join(', ')})`);
  const extraValues = extraColumns.map((c) => extra.values[c] ?? null);
  const lines = stagedLines(batch.staged);
  const bound = params(batch);
  try {
    sqlite.transaction(() => {
      statements.clear.run();
      stageSqlite(statements, lines);
      statements.persons.run({ recordedAt: bound.recordedAt });
      statements.events.run({ today: bound.today, recordedAt: bound.recordedAt, officerId: bound.officerId, reason: bound.reason });
      extraStatement.run(extraValues);
      statements.outbox.run({ today: bound.today, recordedAt: bound.recordedAt, fields: bound.fields });
      statements.clear.run();
    })();
  } catch (error) {
    // Rolled back. Which row? Write them one by one again, in a transaction rolled back after.
    throw refusedSqliteRow(sqlite, statements, lines, bound, () => extraStatement.run(extraValues), extra.table, error) ?? error;
  }
}

function refusedSqliteRow(
  sqlite: SQLite.Database, statements: SqliteStatements, lines: readonly string[], bound: Record<string, string | null>, extra: () => void, extraTable: string, error: unknown,
): StoreRowRefusedError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_') || sqlite.inTransaction) return undefined;
  const one = (sql: string): SQLite.Statement => sqlite.prepare(`${sql} WHERE rowid = @row`);
  const steps = [
    { table: 'persons', statement: one(personsSelect), order: 'id_number', values: { recordedAt: bound.recordedAt } },
    { table: 'life_events', statement: one(eventsSelect), order: 'rowid', values: { today: bound.today, recordedAt: bound.recordedAt, officerId: bound.officerId, reason: bound.reason } },
    { table: 'event_outbox', statement: one(outboxSelect), order: 'rowid', values: { today: bound.today, recordedAt: bound.recordedAt, fields: bound.fields } },
  ];
  sqlite.exec('BEGIN');
  try {
    statements.clear.run();
    stageSqlite(statements, lines);
    const first = (sqlite.prepare('SELECT min(rowid) AS first FROM temp.import_stage').get() as { first: number | null }).first ?? 1;
    for (const [s, step] of steps.entries()) {
      const rows = sqlite.prepare(`SELECT rowid AS row FROM temp.import_stage ORDER BY ${step.order}`).all() as { row: number }[];
      for (const { row } of rows) {
        try {
          step.statement.run({ ...step.values, row });
        } catch (refused) {
          return new StoreRowRefusedError(step.table, row - first, sqliteCode(refused, code), { cause: refused });
        }
      }
      // The batch's bookkeeping row after the events, as the batch writes it.
      if (s === 1) {
        try {
          extra();
        } catch (refused) {
          return new StoreRowRefusedError(extraTable, undefined, sqliteCode(refused, code), { cause: refused });
        }
      }
    }
    return undefined;
  } finally {
    sqlite.exec('ROLLBACK');
  }
}

function sqliteCode(error: unknown, otherwise: string): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : otherwise;
}

// ---- PostgreSQL ------------------------------------------------------------------------------

/** JSON text joined in key order, without the spaces json_build_object puts in; to_json escapes as JSON.stringify does. */
const pgJson: JsonSql = {
  value: (column) => `coalesce(to_json(${column})::text, 'null')`,
  object: (members) => `('{' || ${members.map(([key, value], i) => `'${i === 0 ? '' : ','}"${key}":' || ${value}`).join(' || ')} || '}')`,
};

const pgStageTable = `CREATE TEMP TABLE IF NOT EXISTS import_stage (n bigint GENERATED ALWAYS AS IDENTITY, ${stagedColumns.map((c) => `${c} text`).join(', ')}) ON COMMIT DELETE ROWS`;
const pgPersons = `INSERT INTO persons (${stagedPersonColumns.join(', ')}, version, created_at, updated_at) SELECT ${stagedPersonColumns.join(', ')}, 1, $1, $1 FROM import_stage`;
const pgEvents = `INSERT INTO life_events (event_id, person_id, event_type, occurred_on, recorded_at, officer_id, reason, data) SELECT event_id, id_number, 'registration', $2, $1, $3, $4, ${eventData(pgJson)} FROM import_stage`;
const pgOutbox = `INSERT INTO event_outbox (event_id, person_id, event_type, provinces, fields, payload, recorded_at) SELECT event_id, id_number, 'registration', provinces, $3, ${pgJson.object([
  ['eventId', pgJson.value('event_id')], ['personId', pgJson.value('id_number')], ['type', `'"registration"'`],
  ['occurredOn', 'to_json($2::text)::text'], ['recordedAt', 'to_json($1::text)::text'], ['provinces', 'provinces'], ['data', changeData(pgJson)],
])}, $1 FROM import_stage`;

/** Connections (pool clients) that have the stage table. */
const pgStaged = new WeakSet<pg.PoolClient>();

async function stagePostgres(client: pg.PoolClient, staged: string): Promise<void> {
  if (!pgStaged.has(client)) {
    await client.query(pgStageTable);
    pgStaged.add(client);
  }
  if (staged === '') return;
  const copy = client.query(copyFrom(`COPY import_stage (${stagedColumns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from([staged]), copy);
}

async function writePostgres(pool: pg.Pool, batch: StagedBatch, extra: ExtraRow, lockKey: number): Promise<void> {
  const extraColumns = Object.keys(extra.values);
  const extraSql = `INSERT INTO ${extra.table} (${extraColumns.join(', ')}) VALUES (${extraColumns.map((_, i) => `$${i + 1}`).join(', ')})`;
  const extraValues = extraColumns.map((c) => extra.values[c] ?? null);
  const client = await pool.connect();
  let failure: unknown;
  try {
    await client.query('BEGIN');
    await stagePostgres(client, batch.staged);
    await client.query(pgPersons, [batch.recordedAt]);
    await client.query(`${pgEvents} ORDER BY n`, [batch.recordedAt, batch.today, batch.officerId, batch.reason]);
    await client.query(extraSql, extraValues);
    if (batch.staged !== '') {
      // Change events become visible in seq order: one writer at a time until the commit.
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      await client.query(`${pgOutbox} ORDER BY n`, [batch.recordedAt, batch.today, registrationFields]);
    }
    await client.query('COMMIT');
  } catch (error) {
    failure = error;
    await client.query('ROLLBACK').catch(() => undefined);
  } finally {
    client.release();
  }
  if (failure === undefined) return;
  const refused = refusedCopyRow(failure) ?? (await refusedPostgresRow(pool, batch, extraSql, extraValues, failure));
  throw refused ?? (failure instanceof Error ? failure : new Error('the batch could not be written', { cause: failure }));
}

/** A COPY error names its line ("COPY import_stage, line 651"): the staged row. */
function refusedCopyRow(error: unknown): StoreRowRefusedError | undefined {
  const { where } = error as { where?: unknown };
  if (typeof where !== 'string') return undefined;
  const at = /COPY import_stage, line (\d+)/.exec(where);
  if (at === null) return undefined;
  return new StoreRowRefusedError('persons', Number(at[1]) - 1, pgReason(error), { cause: error });
}

function pgReason(error: unknown): string {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return `SQLSTATE ${typeof code === 'string' ? code : '?'}${typeof constraint === 'string' ? `, constraint ${constraint}` : ''}`;
}

/** The row a refused batch stumbled on: written again one row at a time, in a transaction rolled back after. */
async function refusedPostgresRow(pool: pg.Pool, batch: StagedBatch, extraSql: string, extraValues: readonly unknown[], error: unknown): Promise<StoreRowRefusedError | undefined> {
  if (typeof (error as { code?: unknown }).code !== 'string') return undefined;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await stagePostgres(client, batch.staged);
    const steps = [
      { table: 'persons', sql: pgPersons, order: 'id_number', values: [batch.recordedAt] },
      { table: 'life_events', sql: pgEvents, order: 'n', values: [batch.recordedAt, batch.today, batch.officerId, batch.reason] },
      { table: 'event_outbox', sql: pgOutbox, order: 'n', values: [batch.recordedAt, batch.today, registrationFields] },
    ];
    const first = Number((await client.query<{ first: string | null }>('SELECT min(n) AS first FROM import_stage')).rows[0]?.first ?? 1);
    for (const [s, step] of steps.entries()) {
      const rows = (await client.query<{ n: string }>(`SELECT n FROM import_stage ORDER BY ${step.order}`)).rows;
      for (const { n } of rows) {
        try {
          await client.query(`${step.sql} WHERE n = $${step.values.length + 1}`, [...step.values, n]);
        } catch (refused) {
          return new StoreRowRefusedError(step.table, Number(n) - first, pgReason(refused), { cause: refused });
        }
      }
      if (s === 1) {
        try {
          await client.query(extraSql, [...extraValues]);
        } catch (refused) {
          return new StoreRowRefusedError(String(extraSql.split(' ')[2]), undefined, pgReason(refused), { cause: refused });
        }
      }
    }
    return undefined;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

// ---- Neither: rows built here ----------------------------------------------------------------

/**
 * The rows a batch's staged lines stand for, built in JavaScript: for a writer given a Kysely
 * transaction instead of a store handle.
 */
export function stagedBatchRows(batch: StagedBatch): {
  readonly persons: Record<string, string | number | null>[];
  readonly events: Record<string, string | null>[];
  readonly outbox: Record<string, string>[];
} {
  const persons: Record<string, string | number | null>[] = [];
  const events: Record<string, string | null>[] = [];
  const outbox: Record<string, string>[] = [];
  for (const line of stagedLines(batch.staged)) {
    const row = stagedRecord(line);
    const person: Record<string, string | number | null> = {};
    for (const column of stagedPersonColumns) person[column] = row[column] ?? null;
    persons.push({ ...person, version: 1, created_at: batch.recordedAt, updated_at: batch.recordedAt });
    const value = (fact: string): string | null => row[columnOfFact(fact)] ?? null;
    const data = Object.fromEntries(personFactKeys.map((fact) => [fact, value(fact)]));
    const change = Object.fromEntries(layout.map((entry) => [entry.name, entry.parts.length === 0
      ? value(entry.fact ?? entry.name)
      : Object.fromEntries(entry.parts.map((part) => [part.name, value(part.fact)]))]));
    const eventId = row.event_id ?? '';
    const personId = row.id_number ?? '';
    const provinces = row.provinces ?? '[]';
    events.push({ event_id: eventId, person_id: personId, event_type: 'registration', occurred_on: batch.today, recorded_at: batch.recordedAt, officer_id: batch.officerId, reason: batch.reason, data: JSON.stringify(data) });
    outbox.push({
      event_id: eventId, person_id: personId, event_type: 'registration', provinces, fields: registrationFields,
      payload: JSON.stringify({ eventId, personId, type: 'registration', occurredOn: batch.today, recordedAt: batch.recordedAt, provinces: JSON.parse(provinces) as unknown, data: change }),
      recorded_at: batch.recordedAt,
    });
  }
  return { persons, events, outbox };
}

/**
 * Writes a staged batch and its bookkeeping row in one transaction, all or nothing, through the
 * store's driver. A row the store refuses is thrown as a StoreRowRefusedError naming its index
 * in the staged lines. Returns false when `drivers` cannot be used (a transaction already open).
 */
export async function writeStagedBatch(
  drivers: { readonly sqlite?: SQLite.Database; readonly pool?: pg.Pool } | undefined, batch: StagedBatch, extra: ExtraRow, lockKey: number,
): Promise<boolean> {
  if (drivers?.sqlite !== undefined && !drivers.sqlite.inTransaction) {
    writeSqlite(drivers.sqlite, batch, extra);
    return true;
  }
  if (drivers?.pool !== undefined) {
    await writePostgres(drivers.pool, batch, extra, lockKey);
    return true;
  }
  return false;
}
