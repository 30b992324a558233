import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { IdentitySessionsTable } from './identity.tables.js';

export type SessionRow = Selectable<IdentitySessionsTable>;

/** Console sessions, keyed by the hash of their id; shared by every node through the store. */
export const sessionRepository = {
  async insert(db: Executor, s: { readonly sessionHash: string; readonly sessionRef: string; readonly officerId: string; readonly at: string; readonly absoluteExpiresAt: string }): Promise<void> {
    await db
      .insertInto('identity_sessions')
      .values({ session_hash: s.sessionHash, session_ref: s.sessionRef, officer_id: s.officerId, created_at: s.at, last_seen_at: s.at, absolute_expires_at: s.absoluteExpiresAt, revoked_at: null, revoked_reason: null })
      .execute();
  },

  async findByHash(db: Executor, sessionHash: string): Promise<SessionRow | undefined> {
    return db.selectFrom('identity_sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst();
  },

  async findByRef(db: Executor, sessionRef: string): Promise<SessionRow | undefined> {
    return db.selectFrom('identity_sessions').selectAll().where('session_ref', '=', sessionRef).executeTakeFirst();
  },

  async touch(db: Executor, sessionHash: string, at: string): Promise<void> {
    await db.updateTable('identity_sessions').set({ last_seen_at: at }).where('session_hash', '=', sessionHash).where('revoked_at', 'is', null).execute();
  },

  async listForOfficer(db: Executor, officerId: string): Promise<readonly SessionRow[]> {
    return db.selectFrom('identity_sessions').selectAll().where('officer_id', '=', officerId).orderBy('created_at', 'desc').execute();
  },

  async revoke(db: Executor, sessionHash: string, reason: string, at: string): Promise<boolean> {
    const r = await db.updateTable('identity_sessions').set({ revoked_at: at, revoked_reason: reason }).where('session_hash', '=', sessionHash).where('revoked_at', 'is', null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /** Revokes every open session of an officer (suspension, role change, second factor reset); returns how many. */
  async revokeAllForOfficer(db: Executor, officerId: string, reason: string, at: string): Promise<number> {
    const r = await db.updateTable('identity_sessions').set({ revoked_at: at, revoked_reason: reason }).where('officer_id', '=', officerId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Deletes sessions whose absolute end is before `before`; returns how many. */
  async pruneExpired(db: Executor, before: string): Promise<number> {
    const r = await db.deleteFrom('identity_sessions').where('absolute_expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
