import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { DomainError } from '../shared/domain-error.js';
import { makeFolder } from '../shared/folder.js';
import type { DB } from './database.types.js';
import type { Dialect } from './dialect.js';

// int8 (counts, sequence numbers) as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

/**
 * The SQLite header's application_id while a first bulk load runs without a journal ('SLOD'):
 * set before it starts, cleared when it has finished (see createBulkWriter).
 */
export const initialLoadMark = 0x534c4f44;

/** An open store: the Kysely handle plus what bulk work needs from the driver underneath. */
export interface Database {
  readonly dialect: Dialect;
  readonly db: Kysely<DB>;
  /** The raw SQLite handle (only for the SQLite dialect), for prepared-statement bulk loads. */
  readonly sqlite: SQLite.Database | undefined;
  /** The PostgreSQL pool (only for the PostgreSQL dialect), for COPY. */
  readonly pool: pg.Pool | undefined;
  /** Where the SQLite file lives, or the PostgreSQL URL. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  readonly databaseUrl?: string | undefined;
  /** SQLite file; ':memory:' for a throwaway store. */
  readonly sqliteFile?: string;
  readonly poolSize?: number;
  /** SQLite: the page size of a new file. Default 16 KiB (the registry's long scans); the access log's own file takes 4 KiB. */
  readonly pageSize?: number;
}

/** The driver handle under each Kysely handle openDatabase made, for hot paths that skip Kysely. */
const drivers = new WeakMap<object, { readonly sqlite?: SQLite.Database; readonly pool?: pg.Pool }>();

/**
 * The raw driver under a Kysely handle from openDatabase: the better-sqlite3 connection or the
 * pg pool. Undefined for anything else, a transaction included (its statements must go through
 * the transaction's own connection).
 *
 * @example
 * const sqlite = driverOf(db)?.sqlite;
 */
export function driverOf(db: object): { readonly sqlite?: SQLite.Database; readonly pool?: pg.Pool } | undefined {
  return drivers.get(db);
}

/**
 * What a direct statement offers: running it, not changing its mode (the statement is shared by
 * every caller on the connection). `R` is the caller's word for the row's shape.
 */
export interface DirectStatement<P extends unknown[], R> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/** Per connection, statements by SQL text, plain and raw: keyed by the caller's constant string, whose hash V8 keeps. */
const directStatements = new WeakMap<SQLite.Database, { readonly plain: Map<string, SQLite.Statement>; readonly raw: Map<string, SQLite.Statement> }>();

/**
 * A statement prepared once on the SQLite connection behind `db`, for the hottest reads: run
 * directly, it skips Kysely's connection lock and promise chain, which cost more than a
 * primary-key lookup. Undefined on PostgreSQL, and while the connection is inside a transaction
 * (the read would see its uncommitted rows): the caller then reads through Kysely.
 * `raw` statements return each row as an array of values in the selected order. Pass constant
 * SQL text: statements are kept for the connection's life.
 *
 * @example
 * const byId = directStatement<[string], [string, string]>(db, 'SELECT full_name, birth_date FROM persons WHERE id_number = ?', { raw: true });
 * const values = byId?.get('079203012345');
 */
export function directStatement<P extends unknown[], R>(db: object, sql: string, options: { readonly raw?: boolean } = {}): DirectStatement<P, R> | undefined {
  const sqlite = drivers.get(db)?.sqlite;
  if (sqlite === undefined || sqlite.inTransaction) return undefined;
  let cache = directStatements.get(sqlite);
  if (cache === undefined) directStatements.set(sqlite, (cache = { plain: new Map<string, SQLite.Statement>(), raw: new Map<string, SQLite.Statement>() }));
  const statements = options.raw === true ? cache.raw : cache.plain;
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = sqlite.prepare(sql);
    if (options.raw === true) statement.raw();
    statements.set(sql, statement);
  }
  return statement as unknown as DirectStatement<P, R>;
}

/**
 * A pool whose lost connections never end the process. An idle client whose connection the server
 * ends (restart, failover, a dropped database) is discarded by the pool and replaced on the next
 * checkout; a client checked out at that moment (a query in flight, a transaction open) also
 * emits 'error', and pg-pool listens only to idle ones: unhandled, the event ended the process (a
 * node died when the cluster's primary restarted). The statement in flight still fails with the
 * error, and the pool discards the client when it is released.
 *
 * @example
 * const pool = survivingLostConnections(new pg.Pool({ connectionString }));
 */
export function survivingLostConnections(pool: pg.Pool): pg.Pool {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  return pool;
}

/**
 * Opens PostgreSQL when a URL is given, else the embedded SQLite file (created on first use).
 *
 * @example
 * const store = openDatabase({ sqliteFile: './data/sachsong.db' });
 * await migrateToLatest(store.db, store.dialect);
 */
export function openDatabase(options: OpenDatabaseOptions): Database {
  if (options.databaseUrl !== undefined) {
    const pool = survivingLostConnections(new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 }));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    drivers.set(db, { pool });
    return {
      dialect: 'postgres',
      db,
      sqlite: undefined,
      pool,
      location: options.databaseUrl,
      close: () => db.destroy(),
    };
  }
  const file = options.sqliteFile ?? ':memory:';
  if (file !== ':memory:') makeFolder(path.dirname(file));
  const sqlite = new SQLite(file);
  if (sqlite.pragma('application_id', { simple: true }) === initialLoadMark) {
    sqlite.close();
    throw new DomainError(
      'unavailable', 'STORE_LOAD_INTERRUPTED',
      `the store ${file} stopped during its first bulk load, which runs without a journal: its content is incomplete`,
      `Delete ${file} (with its -wal and -shm files), then load it again (sachsong generate)`,
    );
  }
  // 16 KiB pages suit rows of a few hundred bytes (persons, events): ~12% faster bulk loads measured.
  // Only takes effect on a new, empty file.
  sqlite.pragma(`page_size = ${options.pageSize ?? 16_384}`);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL under WAL keeps every committed transaction across a process crash; only power loss can drop the last ones.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -65536');
  // Reads through a memory map instead of a read() into the page cache per page: a person-by-ID
  // lookup on a million persons measured ~20% less CPU (no copy, few system calls). SQLite caps
  // it at its compile-time limit (2 GB); beyond that it reads as before.
  sqlite.pragma('mmap_size = 2147418112');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  drivers.set(db, { sqlite });
  return { dialect: 'sqlite', db, sqlite, pool: undefined, location: file, close: () => db.destroy() };
}

/**
 * Kysely prepares every query afresh; preparing costs better-sqlite3 far more than running a
 * primary-key lookup. Reusing prepared statements by SQL text (bounded, oldest dropped first)
 * makes a read a bind and a step.
 */
function cachingStatements(sqlite: SQLite.Database, limit = 512): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (query: string) => {
      let statement = statements.get(query);
      if (statement === undefined) {
        statement = sqlite.prepare(query);
        if (statements.size >= limit) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(query, statement);
      }
      return statement;
    },
  };
}
