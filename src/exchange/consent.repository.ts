import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { DB } from '../store/database.types.js';
import { fastReadAll, storeChangeMark } from '../store/fast-read.js';
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
/** A row of termsSql as the fast path gives it: its values in column order. */
type TermsValues = readonly [string, string, string, string, string, string, ConsentStatus];
const termsOfValues = (v: TermsValues): ConsentTerms => toTerms({ consent_id: v[0], purpose_code: v[1], fields: v[2], frequency: v[3], start_at: v[4], expires_at: v[5], status: v[6] });

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

  /** The terms of every consent of a citizen to this data user, any status (looked up on every consented call: the store's fast path). */
  termsFor(db: Executor, citizenId: string, dataUser: string): Promise<readonly ConsentTerms[]> {
    return fastReadAll(db, termsSql, [citizenId, dataUser], (rows: readonly TermsValues[]) => rows.map(termsOfValues), () => termsWithKysely(db, citizenId, dataUser));
  },

  /**
   * A mark that changes whenever another connection (another process: the CLI, another server)
   * has committed to the store since the last look (store/fast-read.ts's storeChangeMark).
   * Undefined on PostgreSQL.
   */
  changeMark(db: Kysely<DB>): Promise<number | undefined> {
    return storeChangeMark(db);
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
