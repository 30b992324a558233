import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { Role, Unit } from './authorization.policy.js';
import type { IdentityOfficersTable } from './identity.tables.js';
import type { Officer, OfficerSecrets, OfficerStatus } from './identity.types.js';

/** A unit as three columns (level, code, province). */
export function unitColumns(unit: Unit): { unit_level: string; unit_code: string | null; unit_province: string | null } {
  switch (unit.level) {
    case 'nation':
      return { unit_level: 'nation', unit_code: null, unit_province: null };
    case 'province':
      return { unit_level: 'province', unit_code: unit.code, unit_province: unit.code };
    case 'commune':
      return { unit_level: 'commune', unit_code: unit.code, unit_province: unit.province };
  }
}

/** The unit stored in three columns; a row that names no valid unit reads as a commune nobody holds (denies everything local). */
export function unitFromColumns(level: string, code: string | null, province: string | null): Unit {
  if (level === 'nation') return { level: 'nation' };
  if (level === 'province' && code !== null) return { level: 'province', code };
  return { level: 'commune', code: code ?? '', province: province ?? '' };
}

const toOfficer = (r: Selectable<IdentityOfficersTable>): Officer => ({
  officerId: r.officer_id,
  username: r.username,
  displayName: r.display_name,
  role: r.role as Role,
  unit: unitFromColumns(r.unit_level, r.unit_code, r.unit_province),
  status: r.status as OfficerStatus,
  enrolled: r.password_hash !== null && r.totp_confirmed_at !== null,
  enrolmentPending: r.enrolment_hash !== null,
  lockedUntil: r.locked_until,
  lastSignInAt: r.last_sign_in_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toSecrets = (r: Selectable<IdentityOfficersTable>): OfficerSecrets => ({
  passwordHash: r.password_hash,
  totpSecret: r.totp_secret,
  totpConfirmedAt: r.totp_confirmed_at,
  totpLastStep: r.totp_last_step,
  enrolmentExpiresAt: r.enrolment_expires_at,
  failedAttempts: r.failed_attempts,
});

export interface NewOfficer {
  readonly officerId: string;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly unit: Unit;
  readonly enrolmentHash: string;
  readonly enrolmentExpiresAt: string;
  readonly createdBy: string;
  readonly at: string;
}

/** Officer accounts. Every function takes the executor first: the caller owns the transaction. */
export const officerRepository = {
  async insert(db: Executor, o: NewOfficer): Promise<void> {
    await db
      .insertInto('identity_officers')
      .values({
        officer_id: o.officerId, username: o.username, display_name: o.displayName, role: o.role, ...unitColumns(o.unit),
        status: 'active', password_hash: null, totp_secret: null, totp_confirmed_at: null, totp_last_step: null,
        enrolment_hash: o.enrolmentHash, enrolment_expires_at: o.enrolmentExpiresAt, failed_attempts: 0, locked_until: null,
        last_sign_in_at: null, created_by: o.createdBy, created_at: o.at, updated_at: o.at,
      })
      .execute();
  },

  async findById(db: Executor, officerId: string): Promise<Officer | undefined> {
    const row = await db.selectFrom('identity_officers').selectAll().where('officer_id', '=', officerId).executeTakeFirst();
    return row === undefined ? undefined : toOfficer(row);
  },

  /** Display names of the officers among `officerIds` (unknown ids are left out). */
  async displayNames(db: Executor, officerIds: readonly string[]): Promise<readonly { readonly officerId: string; readonly displayName: string }[]> {
    if (officerIds.length === 0) return [];
    const rows = await db.selectFrom('identity_officers').select(['officer_id', 'display_name']).where('officer_id', 'in', [...officerIds]).execute();
    return rows.map((r) => ({ officerId: r.officer_id, displayName: r.display_name }));
  },

  async usernameTaken(db: Executor, username: string): Promise<boolean> {
    return (await db.selectFrom('identity_officers').select('officer_id').where('username', '=', username).executeTakeFirst()) !== undefined;
  },

  /** The account and its secrets, by user name (sign-in). */
  async findForSignIn(db: Executor, username: string): Promise<{ readonly officer: Officer; readonly secrets: OfficerSecrets } | undefined> {
    const row = await db.selectFrom('identity_officers').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? undefined : { officer: toOfficer(row), secrets: toSecrets(row) };
  },

  /** The account and its secrets, by the hash of an outstanding enrolment token. */
  async findByEnrolment(db: Executor, enrolmentHash: string): Promise<{ readonly officer: Officer; readonly secrets: OfficerSecrets } | undefined> {
    const row = await db.selectFrom('identity_officers').selectAll().where('enrolment_hash', '=', enrolmentHash).executeTakeFirst();
    return row === undefined ? undefined : { officer: toOfficer(row), secrets: toSecrets(row) };
  },

  async list(db: Executor, filter: { readonly role?: Role; readonly status?: OfficerStatus } = {}): Promise<readonly Officer[]> {
    let q = db.selectFrom('identity_officers').selectAll();
    if (filter.role !== undefined) q = q.where('role', '=', filter.role);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    return (await q.orderBy('username').execute()).map(toOfficer);
  },

  async anyWithRole(db: Executor, role: Role): Promise<boolean> {
    return (await db.selectFrom('identity_officers').select('officer_id').where('role', '=', role).limit(1).executeTakeFirst()) !== undefined;
  },

  /** Starts (or restarts) the second factor's enrolment with a fresh, unconfirmed seed. */
  async setPendingTotp(db: Executor, officerId: string, secret: string, at: string): Promise<void> {
    await db.updateTable('identity_officers').set({ totp_secret: secret, totp_confirmed_at: null, updated_at: at }).where('officer_id', '=', officerId).execute();
  },

  /** Ends enrolment: password and confirmed seed set, token consumed, counters cleared. */
  async completeEnrolment(db: Executor, officerId: string, enrolmentHash: string, passwordHash: string, totpStep: number, at: string): Promise<boolean> {
    const r = await db
      .updateTable('identity_officers')
      .set({ password_hash: passwordHash, totp_confirmed_at: at, totp_last_step: totpStep, enrolment_hash: null, enrolment_expires_at: null, failed_attempts: 0, locked_until: null, updated_at: at })
      .where('officer_id', '=', officerId)
      .where('enrolment_hash', '=', enrolmentHash)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /** Issues a new enrolment: the second factor is cleared until the officer enrols again. */
  async resetEnrolment(db: Executor, officerId: string, enrolmentHash: string, expiresAt: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('identity_officers')
      .set({ totp_secret: null, totp_confirmed_at: null, totp_last_step: null, enrolment_hash: enrolmentHash, enrolment_expires_at: expiresAt, failed_attempts: 0, locked_until: null, updated_at: at })
      .where('officer_id', '=', officerId)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /**
   * Counts a failed sign-in in one statement (so that concurrent attempts on several nodes all
   * count); on reaching `limit` locks until `lockUntil` and starts the count again.
   * Returns the lock's end when this failure locked the account.
   */
  async recordFailure(db: Executor, officerId: string, limit: number, lockUntil: string, at: string): Promise<string | null> {
    const row = await db
      .updateTable('identity_officers')
      .set((eb) => ({
        failed_attempts: eb.case().when('failed_attempts', '>=', limit - 1).then(0).else(eb('failed_attempts', '+', 1)).end(),
        locked_until: eb.case().when('failed_attempts', '>=', limit - 1).then(lockUntil).else(eb.ref('locked_until')).end(),
        updated_at: at,
      }))
      .where('officer_id', '=', officerId)
      .returning(['locked_until'])
      .executeTakeFirst();
    return row?.locked_until === lockUntil ? lockUntil : null;
  },

  /**
   * Records a complete sign-in: the accepted TOTP step (only if later than the stored one, so
   * that two nodes cannot both accept one code), counters cleared, and a new hash if the
   * parameters changed. False when the step was taken meanwhile (a replay) or the account was
   * locked meanwhile.
   */
  async recordSuccess(db: Executor, officerId: string, totpStep: number, newPasswordHash: string | null, at: string): Promise<boolean> {
    const r = await db
      .updateTable('identity_officers')
      .set({
        totp_last_step: totpStep, failed_attempts: 0, locked_until: null, last_sign_in_at: at, updated_at: at,
        ...(newPasswordHash === null ? {} : { password_hash: newPasswordHash }),
      })
      .where('officer_id', '=', officerId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', totpStep)]))
      // Locked meanwhile by concurrent failures: a guess that was queued behind them does not get in.
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /** The end of the account's lock, if any (re-read after a refused success). */
  async lockedUntil(db: Executor, officerId: string): Promise<string | null> {
    const row = await db.selectFrom('identity_officers').select('locked_until').where('officer_id', '=', officerId).executeTakeFirst();
    return row?.locked_until ?? null;
  },

  /** Ends a lock and clears the failure count (an administrator's unlock). */
  async unlock(db: Executor, officerId: string, at: string): Promise<boolean> {
    const r = await db.updateTable('identity_officers').set({ failed_attempts: 0, locked_until: null, updated_at: at }).where('officer_id', '=', officerId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async setPasswordHash(db: Executor, officerId: string, passwordHash: string, at: string): Promise<void> {
    await db.updateTable('identity_officers').set({ password_hash: passwordHash, updated_at: at }).where('officer_id', '=', officerId).execute();
  },

  async setStatus(db: Executor, officerId: string, status: OfficerStatus, at: string): Promise<boolean> {
    const r = await db.updateTable('identity_officers').set({ status, updated_at: at }).where('officer_id', '=', officerId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async setRoleAndUnit(db: Executor, officerId: string, role: Role, unit: Unit, at: string): Promise<boolean> {
    const r = await db.updateTable('identity_officers').set({ role, ...unitColumns(unit), updated_at: at }).where('officer_id', '=', officerId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },
};

/** The bootstrap mark: inserting id 1 twice fails, whichever node tries second. */
export const bootstrapRepository = {
  async done(db: Executor): Promise<boolean> {
    return (await db.selectFrom('identity_bootstrap').select('id').where('id', '=', 1).executeTakeFirst()) !== undefined;
  },

  /** False when the mark was already there. */
  async mark(db: Executor, officerId: string, at: string): Promise<boolean> {
    const r = await db.insertInto('identity_bootstrap').values({ id: 1, officer_id: officerId, created_at: at }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    return r !== undefined;
  },
};
