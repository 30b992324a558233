import type SQLite from 'better-sqlite3';
import { sql, type CompiledQuery, type Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { driverOf } from '../store/database.js';
import { sharedRead } from '../store/shared-read.js';
import type { ExchangeConsentsTable } from './exchange.tables.js';
import type { Consent, ConsentArtefactBody, ConsentStatus, Frequency } from './exchange.types.js';

const toConsent = (r: Selectable<ExchangeConsentsTable>): Consent => ({
  artefact: JSON.parse(r.artefact) as ConsentArtefactBody,
  signature: { alg: 'EdDSA', keyId: r.key_id, value: r.signature },
});

/** What the pipeline needs of a consent to decide a call: no artefact to parse. */
export interface ConsentTerms {
  readonly consentId: string;
  readonly purposeCode: string;
  readonly fields: readonly string[];
  readonly frequency: Frequency;
  readonly start: string;
  readonly expiry: string;
  readonly status: ConsentStatus;
}

type TermsRow = Pick<Selectable<ExchangeConsentsTable>, 'consent_id' | 'purpose_code' | 'fields' | 'frequency' | 'start_at' | 'expires_at' | 'status'>;

// Looked up on every consented call: compile once per database handle.
const byCitizenAndUser = new WeakMap<Executor, CompiledQuery<TermsRow>>();
const termsSql = 'SELECT consent_id, purpose_code, fields, frequency, start_at, expires_at, status FROM exchange_consents WHERE citizen_id = ? AND data_user = ?';
// On SQLite, prepared statements run directly: Kysely's connection lock and promise chain cost
// about as much as the indexed read itself.
const sqliteStatements = new WeakMap<SQLite.Database, { readonly terms: SQLite.Statement; readonly dataVersion: SQLite.Statement }>();

function sqliteStatementsOf(sqlite: SQLite.Database): { readonly terms: SQLite.Statement; readonly dataVersion: SQLite.Statement } {
  let s = sqliteStatements.get(sqlite);
  if (s === undefined) {
    s = { terms: sqlite.prepare(termsSql), dataVersion: sqlite.prepare('PRAGMA data_version').pluck() };
    sqliteStatements.set(sqlite, s);
  }
  return s;
}

const toTerms = (r: TermsRow): ConsentTerms => ({
  consentId: r.consent_id,
  purposeCode: r.purpose_code,
  fields: JSON.parse(r.fields) as string[],
  frequency: JSON.parse(r.frequency) as Frequency,
  start: r.start_at,
  expiry: r.expires_at,
  status: r.status,
});

/** Consent artefacts, keyed by citizen and data user. */
export const consentRepository = {
  /** Inserts a new consent or stores a new status of one (with its new signature). */
  async save(db: Executor, c: Consent, at: string): Promise<void> {
    const a = c.artefact;
    const row = {
      consent_id: a.consentId,
      citizen_id: a.citizen,
      data_user: a.dataUser,
      purpose_code: a.purpose.code,
      purpose_text: a.purpose.text,
      fields: JSON.stringify(a.fields),
      data_life: JSON.stringify(a.dataLife),
      frequency: JSON.stringify(a.frequency),
      start_at: a.start,
      expires_at: a.expiry,
      status: a.status,
      artefact: JSON.stringify(a),
      signature: c.signature.value,
      key_id: c.signature.keyId,
      created_at: at,
      updated_at: at,
    };
    await db
      .insertInto('exchange_consents')
      .values(row)
      .onConflict((oc) => oc.column('consent_id').doUpdateSet({ status: row.status, artefact: row.artefact, signature: row.signature, key_id: row.key_id, updated_at: at }))
      .execute();
  },

  async find(db: Executor, consentId: string): Promise<Consent | undefined> {
    const row = await db.selectFrom('exchange_consents').selectAll().where('consent_id', '=', consentId).executeTakeFirst();
    return row === undefined ? undefined : toConsent(row);
  },

  /** The terms of every consent of a citizen to this data user, any status. */
  async termsFor(db: Executor, citizenId: string, dataUser: string): Promise<readonly ConsentTerms[]> {
    const sqlite = driverOf(db)?.sqlite;
    // Not while the shared connection is inside a transaction: that would read its uncommitted rows.
    if (sqlite !== undefined && !sqlite.inTransaction) {
      const terms = sqliteStatementsOf(sqlite).terms;
      return sharedRead(db, () => (terms.all(citizenId, dataUser) as TermsRow[]).map(toTerms), () => termsWithKysely(db, citizenId, dataUser));
    }
    return termsWithKysely(db, citizenId, dataUser);
  },

  /**
   * A mark that changes whenever another connection (another process: the CLI, another server)
   * has committed to the store since the last look: SQLite's `PRAGMA data_version`. Undefined
   * where no such mark exists (PostgreSQL, or a handle that is not the store's own).
   * Call it with the store's own handle outside any transaction on it: while one is open it
   * waits for that transaction to end (inside it, the mark would be of its snapshot).
   */
  async changeMark(db: Executor): Promise<number | undefined> {
    const sqlite = driverOf(db)?.sqlite;
    if (sqlite === undefined) return undefined;
    // Read with the other reads of the turn: on its own, the pragma pays for a read transaction.
    const dataVersion = sqliteStatementsOf(sqlite).dataVersion;
    return sharedRead(db, () => dataVersion.get() as number, async () => (await sql<{ data_version: number }>`PRAGMA data_version`.execute(db)).rows[0]?.data_version);
  },

  async forCitizen(db: Executor, citizenId: string): Promise<readonly Consent[]> {
    const rows = await db.selectFrom('exchange_consents').selectAll().where('citizen_id', '=', citizenId).orderBy('created_at').execute();
    return rows.map(toConsent);
  },
};

async function termsWithKysely(db: Executor, citizenId: string, dataUser: string): Promise<readonly ConsentTerms[]> {
  let compiled = byCitizenAndUser.get(db);
  if (compiled === undefined) {
    compiled = db
      .selectFrom('exchange_consents')
      .select(['consent_id', 'purpose_code', 'fields', 'frequency', 'start_at', 'expires_at', 'status'])
      .where('citizen_id', '=', '')
      .where('data_user', '=', '')
      .compile();
    byCitizenAndUser.set(db, compiled);
  }
  const { rows } = await db.executeQuery<TermsRow>({ ...compiled, parameters: [citizenId, dataUser] });
  return rows.map(toTerms);
}
