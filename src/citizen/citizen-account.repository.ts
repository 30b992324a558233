import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../store/database.types.js';
import type { CitizenAccountsTable, CitizenOtpChallengesTable, CitizenSessionsTable } from './citizen.tables.js';
import type { CitizenAccount } from './citizen.types.js';

export type CitizenExecutor = Kysely<DB> | Transaction<DB>;

export function toAccount(row: CitizenAccountsTable): CitizenAccount {
  return {
    accountId: row.account_id,
    personId: row.person_id,
    level: row.level === 2 ? 2 : 1,
    status: row.status === 'deceased' || row.status === 'suspended' ? row.status : 'active',
    phone: row.phone,
    totpEnrolled: row.totp_secret !== null && row.totp_last_step !== null,
    cardNumber: row.card_number,
    province: row.province,
    lockedUntil: row.locked_until,
    lastSignInAt: row.last_sign_in_at,
    level2At: row.level2_at,
    createdAt: row.created_at,
  };
}

/** Accounts, one-time codes, attestations and sessions: the database is the first argument. */
export const citizenAccountRepository = {
  async findById(db: CitizenExecutor, accountId: string): Promise<CitizenAccountsTable | undefined> {
    return db.selectFrom('citizen_accounts').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  },
  async findByPerson(db: CitizenExecutor, personId: string): Promise<CitizenAccountsTable | undefined> {
    return db.selectFrom('citizen_accounts').selectAll().where('person_id', '=', personId).executeTakeFirst();
  },
  async insert(db: CitizenExecutor, row: CitizenAccountsTable): Promise<void> {
    await db.insertInto('citizen_accounts').values(row).execute();
  },
  /** Counts a failure in one UPDATE (every node counts); locks when the count reaches `limit`. */
  async recordFailure(db: CitizenExecutor, accountId: string, limit: number, lockUntil: string, at: string): Promise<{ readonly lockedUntil: string | null }> {
    await db.updateTable('citizen_accounts').set({
      failed_attempts: sql<number>`failed_attempts + 1`,
      locked_until: sql<string | null>`CASE WHEN failed_attempts + 1 >= ${limit} THEN ${lockUntil} ELSE locked_until END`,
      updated_at: at,
    }).where('account_id', '=', accountId).execute();
    const row = await db.selectFrom('citizen_accounts').select(['failed_attempts', 'locked_until']).where('account_id', '=', accountId).executeTakeFirst();
    return { lockedUntil: row !== undefined && row.failed_attempts >= limit ? row.locked_until : null };
  },
  async recordSuccess(db: CitizenExecutor, accountId: string, at: string, totpStep?: number): Promise<boolean> {
    let q = db.updateTable('citizen_accounts').set({ failed_attempts: 0, locked_until: null, last_sign_in_at: at, updated_at: at, ...(totpStep === undefined ? {} : { totp_last_step: totpStep }) })
      .where('account_id', '=', accountId);
    // The step condition refuses a code replayed, or raced by two nodes, at the same step.
    if (totpStep !== undefined) q = q.where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', totpStep)]));
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  },
  async update(db: CitizenExecutor, accountId: string, set: Partial<CitizenAccountsTable>): Promise<number> {
    return Number((await db.updateTable('citizen_accounts').set(set).where('account_id', '=', accountId).executeTakeFirst()).numUpdatedRows);
  },

  async insertChallenge(db: CitizenExecutor, row: CitizenOtpChallengesTable): Promise<void> {
    await db.insertInto('citizen_otp_challenges').values(row).execute();
  },
  async challengesSince(db: CitizenExecutor, personId: string, purpose: string, since: string): Promise<number> {
    const row = await db.selectFrom('citizen_otp_challenges').select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('person_id', '=', personId).where('purpose', '=', purpose).where('created_at', '>', since).executeTakeFirst();
    return Number(row?.n ?? 0);
  },
  /** Spends one attempt on a live challenge (one UPDATE); undefined when none is left, it expired or was used. */
  async spendAttempt(db: CitizenExecutor, challengeId: string, maxAttempts: number, now: string): Promise<CitizenOtpChallengesTable | undefined> {
    const updated = await db.updateTable('citizen_otp_challenges').set({ attempts: sql<number>`attempts + 1` })
      .where('challenge_id', '=', challengeId).where('attempts', '<', maxAttempts).where('consumed_at', 'is', null).where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return undefined;
    return db.selectFrom('citizen_otp_challenges').selectAll().where('challenge_id', '=', challengeId).executeTakeFirst();
  },
  async consumeChallenge(db: CitizenExecutor, challengeId: string, at: string): Promise<boolean> {
    const r = await db.updateTable('citizen_otp_challenges').set({ consumed_at: at }).where('challenge_id', '=', challengeId).where('consumed_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async insertAttestation(db: CitizenExecutor, row: { attestation_id: string; account_id: string; method: string; officer_id: string | null; officer_unit: string | null; card_number: string | null; evidence_sha256: string | null; at: string }): Promise<void> {
    await db.insertInto('citizen_attestations').values(row).execute();
  },
  async attestationsOf(db: CitizenExecutor, accountId: string): Promise<readonly { readonly method: string; readonly officerId: string | null; readonly at: string }[]> {
    const rows = await db.selectFrom('citizen_attestations').select(['method', 'officer_id', 'at']).where('account_id', '=', accountId).orderBy('at').execute();
    return rows.map((r) => ({ method: r.method, officerId: r.officer_id, at: r.at }));
  },

  async insertSession(db: CitizenExecutor, row: CitizenSessionsTable): Promise<void> {
    await db.insertInto('citizen_sessions').values(row).execute();
  },
  async findSession(db: CitizenExecutor, sessionHash: string): Promise<CitizenSessionsTable | undefined> {
    return db.selectFrom('citizen_sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst();
  },
  async touchSession(db: CitizenExecutor, sessionHash: string, at: string): Promise<void> {
    await db.updateTable('citizen_sessions').set({ last_seen_at: at }).where('session_hash', '=', sessionHash).execute();
  },
  async sessionsOf(db: CitizenExecutor, accountId: string, now: string): Promise<readonly CitizenSessionsTable[]> {
    return db.selectFrom('citizen_sessions').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null)
      .where('absolute_expires_at', '>', now).orderBy('created_at', 'desc').execute();
  },
  async revokeSessions(db: CitizenExecutor, accountId: string, reason: string, at: string, sessionRef?: string): Promise<number> {
    let q = db.updateTable('citizen_sessions').set({ revoked_at: at, revoked_reason: reason }).where('account_id', '=', accountId).where('revoked_at', 'is', null);
    if (sessionRef !== undefined) q = q.where('session_ref', '=', sessionRef);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  },
};
