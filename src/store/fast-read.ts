import { sql, type Kysely } from 'kysely';
import { directStatement, driverOf } from './database.js';
import type { DB } from './database.types.js';
import { sharedRead, type Synchronous } from './shared-read.js';

/**
 * The one fast path around Kysely for a hot read by key: on SQLite, a raw statement prepared once
 * on the connection (`directStatement`) run with the turn's other reads in one read transaction
 * (`sharedRead`); `toResult` turns its row of values (undefined when none) into the answer.
 * Everywhere else — PostgreSQL, a transaction (`db` is a Kysely transaction, or one is open on
 * the connection when the turn ends) — the answer comes from `fallback`, the same read through
 * Kysely. Both ways must give the same answer: tests run both (store/fast-read.test.ts).
 *
 * @example
 * const person = await fastRead(db, 'SELECT full_name FROM persons WHERE id_number = ?', [id],
 *   (values: [string] | undefined) => values?.[0], () => byIdWithKysely(db, id));
 */
// V names the row's values for the caller's toResult: used once on purpose.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function fastRead<V, T>(
  db: object,
  sqliteSql: string,
  params: readonly unknown[],
  toResult: (values: V | undefined) => Synchronous<T>,
  fallback: () => Promise<T>,
): Promise<T> {
  const direct = directStatement<unknown[], V>(db, sqliteSql, { raw: true });
  if (direct === undefined) return fallback();
  return sharedRead(db, () => toResult(direct.get(...params)), fallback);
}

/**
 * fastRead for a read of several rows by key: `toResult` gets every row's values (none: []).
 *
 * @example
 * const terms = await fastReadAll(db, 'SELECT consent_id FROM exchange_consents WHERE citizen_id = ?', [id],
 *   (rows: readonly [string][]) => rows.map((r) => r[0]), () => termsWithKysely(db, id));
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function fastReadAll<V, T>(
  db: object,
  sqliteSql: string,
  params: readonly unknown[],
  toResult: (rows: readonly V[]) => Synchronous<T>,
  fallback: () => Promise<T>,
): Promise<T> {
  const direct = directStatement<unknown[], V>(db, sqliteSql, { raw: true });
  if (direct === undefined) return fallback();
  return sharedRead(db, () => toResult(direct.all(...params)), fallback);
}

/**
 * A mark that changes whenever another connection (another process: the CLI, another server) has
 * committed to the SQLite store behind `db` since the last look (`PRAGMA data_version`), read with
 * the turn's other reads. Undefined on PostgreSQL (and on a handle that is not the store's own),
 * where no such mark exists. Call it with the store's own handle outside any transaction on it:
 * while one is open it waits for that transaction to end (inside it, the mark would be of its snapshot).
 *
 * @example
 * if ((await storeChangeMark(db)) !== lastMark) cache.clear();
 */
export function storeChangeMark(db: Kysely<DB>): Promise<number | undefined> {
  if (driverOf(db)?.sqlite === undefined) return Promise.resolve(undefined);
  const direct = directStatement<[], [number]>(db, 'PRAGMA data_version', { raw: true });
  const throughKysely = async (): Promise<number | undefined> => (await sql<{ data_version: number }>`PRAGMA data_version`.execute(db)).rows[0]?.data_version;
  if (direct === undefined) return throughKysely();
  return sharedRead(db, () => direct.get()?.[0], throughKysely);
}
