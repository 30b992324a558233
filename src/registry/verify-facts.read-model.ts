import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { DB } from '../store/database.types.js';
import { fastRead } from '../store/fast-read.js';

/** The registry facts a verification compares: only these columns are read. */
export interface VerifyFacts {
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: 'M' | 'F';
  readonly status: 'alive' | 'deceased';
  readonly permanentCommune: string | null;
  readonly permanentAddress: string | null;
  readonly currentCommune: string | null;
  readonly currentAddress: string | null;
}

interface Row {
  full_name: string;
  birth_date: string;
  sex: 'M' | 'F';
  status: 'alive' | 'deceased';
  permanent_commune: string | null;
  permanent_address: string | null;
  current_commune: string | null;
  current_address: string | null;
}

type Executor = Kysely<DB> | Transaction<DB>;

// Verification is a hot path: compile the narrow by-ID query once per database handle.
const compiled = new WeakMap<Executor, CompiledQuery<Row>>();
const factColumns = ['full_name', 'birth_date', 'sex', 'status', 'permanent_commune', 'permanent_address', 'current_commune', 'current_address'] as const satisfies readonly (keyof Row)[];
const directSql = `SELECT ${factColumns.join(', ')} FROM persons WHERE id_number = ?`;
/** The values of factColumns, in order, each typed as its column. */
type FactColumns = typeof factColumns;
type Values = { readonly [I in keyof FactColumns]: FactColumns[I] extends keyof Row ? Row[FactColumns[I]] : never };

/**
 * The registry's read model for verification (the matching module's verify service): the facts it
 * compares of one person, by the primary key, on the store's fast path (a hot read).
 */
export const verifyFactsReadModel = {
  find(db: Executor, idNumber: string): Promise<VerifyFacts | undefined> {
    return fastRead(db, directSql, [idNumber], (v: Values | undefined) => v === undefined ? undefined : {
      fullName: v[0], birthDate: v[1], sex: v[2], status: v[3], permanentCommune: v[4], permanentAddress: v[5], currentCommune: v[6], currentAddress: v[7],
    }, () => findWithKysely(db, idNumber));
  },
};

async function findWithKysely(db: Executor, idNumber: string): Promise<VerifyFacts | undefined> {
  let query = compiled.get(db);
  if (query === undefined) {
    query = db.selectFrom('persons').select(factColumns).where('id_number', '=', '').compile();
    compiled.set(db, query);
  }
  const { rows } = await db.executeQuery<Row>({ ...query, parameters: [idNumber] });
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    fullName: row.full_name,
    birthDate: row.birth_date,
    sex: row.sex,
    status: row.status,
    permanentCommune: row.permanent_commune,
    permanentAddress: row.permanent_address,
    currentCommune: row.current_commune,
    currentAddress: row.current_address,
  };
}
