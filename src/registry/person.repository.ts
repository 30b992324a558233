import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type pg from 'pg';
import { driverOf } from '../store/database.js';
import { fastRead } from '../store/fast-read.js';
import { TurnBatch } from '../store/turn-batch.js';
import type { DB, PersonsTable } from '../store/database.types.js';
import { fromPersonRow, fromPersonValues, personRecordColumns, toPersonRow, type PersonValues } from './person.projection.js';
import type { PersonRecord } from './person.types.js';

/** A database handle or an open transaction: the caller owns the transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface PersonSearch {
  /** Folded name or the start of one (whole words). */
  readonly nameFolded: string;
  /** A partial date: matches births recorded at that precision or finer within it. */
  readonly birthDate?: string;
  readonly limit: number;
  /** Keyset paging: rows after this (name_folded, birth_date, id_number), in the search's order. */
  readonly after?: { readonly nameFolded: string; readonly birthDate: string; readonly idNumber: string };
}

// The lookup by ID is the registry's hottest query: compile it once per database handle.
const byIdQueries = new WeakMap<Executor, CompiledQuery<PersonsTable>>();
const sqliteByIdSql = `SELECT ${personRecordColumns.join(', ')} FROM persons WHERE id_number = ?`;
// On PostgreSQL, named statements: parsed and planned once per pooled connection. The lookups of
// one turn go as one query; a turn with a single lookup keeps the plain primary-key statement.
const pgById = { name: 'sachsong_person_by_id', text: 'SELECT * FROM persons WHERE id_number = $1' } as const;
const pgByIds = { name: 'sachsong_persons_by_ids', text: 'SELECT * FROM persons WHERE id_number = ANY($1::text[])' } as const;
const pgLookups = new WeakMap<pg.Pool, TurnBatch<string, PersonRecord>>();
// A person with the commune of their household (the jurisdiction ties of a read), in one query.
// The commune comes after the person's columns: fromPersonValues reads those by position. A
// correlated subquery, not a LEFT JOIN: SQLite runs the join form 3.5× slower here (28 µs against
// 8 µs a lookup on 200,000 persons, measured 2026-12-04), for the same two index searches.
const sqliteWithCommuneSql = `SELECT ${personRecordColumns.map((c) => `p.${c}`).join(', ')}, (SELECT h.commune_code FROM households h WHERE h.household_id = p.household_id) FROM persons p WHERE p.id_number = ?`;

function pgLookupsOf(pool: pg.Pool): TurnBatch<string, PersonRecord> {
  let batch = pgLookups.get(pool);
  if (batch === undefined) {
    batch = new TurnBatch<string, PersonRecord>(async (ids) => {
      const { rows } = await pool.query<PersonsTable>(ids.length === 1 ? { ...pgById, values: [...ids] } : { ...pgByIds, values: [ids] });
      return new Map(rows.map((r) => [r.id_number, fromPersonRow(r)]));
    });
    pgLookups.set(pool, batch);
  }
  return batch;
}

/** Reads and writes the persons projection. */
export const personRepository = {
  async findById(db: Executor, idNumber: string): Promise<PersonRecord | undefined> {
    // PostgreSQL outside a transaction: the turn's lookups go as one query (store/turn-batch.ts)
    const pool = driverOf(db)?.pool;
    if (pool !== undefined) return pgLookupsOf(pool).load(idNumber);
    return fastRead(db, sqliteByIdSql, [idNumber], (values: PersonValues | undefined) => (values === undefined ? undefined : fromPersonValues(values)), () => findByIdWithKysely(db, idNumber));
  },

  /**
   * A person and the commune code of their household ('' or null when none), in one query: what
   * a read needs for the jurisdiction decision.
   */
  async findWithHouseholdCommune(db: Executor, idNumber: string): Promise<{ readonly person: PersonRecord; readonly householdCommune: string | null } | undefined> {
    return fastRead(db, sqliteWithCommuneSql, [idNumber], (values: PersonValues | undefined) => {
      if (values === undefined) return undefined;
      const commune: unknown = (values as readonly unknown[])[personRecordColumns.length];
      return { person: fromPersonValues(values), householdCommune: typeof commune === 'string' ? commune : null };
    }, () => findWithCommuneWithKysely(db, idNumber));
  },

  async exists(db: Executor, idNumber: string): Promise<boolean> {
    const row = await db.selectFrom('persons').select('id_number').where('id_number', '=', idNumber).executeTakeFirst();
    return row !== undefined;
  },

  /** Which of these ID numbers are already in the registry. */
  async existing(db: Executor, idNumbers: readonly string[]): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    // Chunks stay under SQLite's bound-parameter limit.
    for (let i = 0; i < idNumbers.length; i += 500) {
      const chunk = idNumbers.slice(i, i + 500);
      const rows = await db.selectFrom('persons').select('id_number').where('id_number', 'in', chunk).execute();
      for (const r of rows) found.add(r.id_number);
    }
    return found;
  },

  async insert(db: Executor, person: PersonRecord): Promise<void> {
    await db.insertInto('persons').values(toPersonRow(person)).execute();
  },

  /** Inserts many persons in multi-row statements (under both drivers' parameter limits). */
  async insertMany(db: Executor, persons: readonly PersonRecord[]): Promise<void> {
    for (let i = 0; i < persons.length; i += 1_000) {
      await db.insertInto('persons').values(persons.slice(i, i + 1_000).map(toPersonRow)).execute();
    }
  },

  /** Replaces the projection, only if nobody changed it meanwhile (optimistic on version). */
  async update(db: Executor, person: PersonRecord, expectedVersion: number): Promise<boolean> {
    const { id_number: id, ...row } = toPersonRow(person);
    const result = await db
      .updateTable('persons')
      .set(row)
      .where('id_number', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  },

  /** Search by folded name prefix (uses the (name_folded, birth_date) index), optionally by birth date. */
  async search(db: Executor, query: PersonSearch): Promise<readonly PersonRecord[]> {
    let q = db
      .selectFrom('persons')
      .selectAll()
      .where('name_folded', '>=', query.nameFolded)
      .where('name_folded', '<', `${query.nameFolded}\uffff`);
    if (query.birthDate !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('birth_date', '=', query.birthDate ?? ''),
          eb.and([eb('birth_date', '>=', `${query.birthDate ?? ''}-`), eb('birth_date', '<', `${query.birthDate ?? ''}.`)]),
        ]),
      );
    }
    const after = query.after;
    if (after !== undefined) {
      q = q.where((eb) => eb(eb.refTuple('name_folded', 'birth_date', 'id_number'), '>', eb.tuple(after.nameFolded, after.birthDate, after.idNumber)));
    }
    const rows = await q.orderBy('name_folded').orderBy('birth_date').orderBy('id_number').limit(query.limit).execute();
    return rows.map(fromPersonRow);
  },

  async householdMembers(db: Executor, householdId: string): Promise<readonly PersonRecord[]> {
    const rows = await db.selectFrom('persons').selectAll().where('household_id', '=', householdId).orderBy('birth_date').execute();
    return rows.map(fromPersonRow);
  },

  async count(db: Executor): Promise<number> {
    const row = await db.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return row.n;
  },
};

async function findByIdWithKysely(db: Executor, idNumber: string): Promise<PersonRecord | undefined> {
  let compiled = byIdQueries.get(db);
  if (compiled === undefined) {
    compiled = db.selectFrom('persons').selectAll().where('id_number', '=', '').compile();
    byIdQueries.set(db, compiled);
  }
  const { rows } = await db.executeQuery<PersonsTable>({ ...compiled, parameters: [idNumber] });
  const row = rows[0];
  return row === undefined ? undefined : fromPersonRow(row);
}

async function findWithCommuneWithKysely(db: Executor, idNumber: string): Promise<{ readonly person: PersonRecord; readonly householdCommune: string | null } | undefined> {
  const row = await db
    .selectFrom('persons as p')
    .leftJoin('households as h', 'h.household_id', 'p.household_id')
    .selectAll('p')
    .select('h.commune_code as household_commune_code')
    .where('p.id_number', '=', idNumber)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { household_commune_code: householdCommune, ...person } = row;
  return { person: fromPersonRow(person), householdCommune };
}

/** Rows in ID order after `afterId`: keyset pages that stream a store of any size on both dialects. */
export async function personRowsAfter(db: Executor, afterId: string, limit: number): Promise<readonly PersonsTable[]> {
  return db.selectFrom('persons').selectAll().where('id_number', '>', afterId).orderBy('id_number').limit(limit).execute();
}
