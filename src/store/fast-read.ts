import { directStatement } from './database.js';
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
