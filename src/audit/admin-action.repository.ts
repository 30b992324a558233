import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/database.types.js';

/** What an administrator did: officers' roles, units, second factors and statuses; citizens' consents. */
export type AdminActionKind =
  | 'officer.role_changed'
  | 'officer.second_factor_reset'
  | 'officer.suspended'
  | 'officer.reactivated'
  | 'officer.unlocked'
  | 'consent.recorded'
  | 'consent.paused'
  | 'consent.resumed'
  | 'consent.withdrawn';

/** One line of the administration log. */
export interface AdminAction {
  readonly actionId: string;
  readonly at: string;
  readonly actorId: string;
  readonly action: AdminActionKind;
  /** The officer's id, or the consent's. */
  readonly subject: string;
  readonly detail: Readonly<Record<string, string>>;
}

/**
 * The administration log: written in the transaction of the change it records, read back by subject.
 *
 * @example
 * await adminActionRepository.record(trx, { at, actorId: actor.id, action: 'officer.role_changed', subject: officerId, detail: { role } });
 */
export const adminActionRepository = {
  async record(db: Kysely<DB> | Transaction<DB>, action: Omit<AdminAction, 'actionId'>): Promise<AdminAction> {
    // Ordered within a process even when the clock stands still (tests, or two actions in one millisecond).
    const row = { ...action, actionId: `${String(process.hrtime.bigint()).padStart(20, '0')}-${randomUUID().slice(0, 8)}` };
    await db.insertInto('admin_actions').values({
      action_id: row.actionId, at: row.at, actor_id: row.actorId, action: row.action, subject: row.subject, detail: JSON.stringify(row.detail),
    }).execute();
    return row;
  },

  /** A subject's actions, oldest first. */
  async forSubject(db: Kysely<DB>, subject: string, limit = 200): Promise<readonly AdminAction[]> {
    const rows = await db.selectFrom('admin_actions').selectAll().where('subject', '=', subject).orderBy('at').orderBy('action_id').limit(limit).execute();
    return rows.map((r) => ({ actionId: r.action_id, at: r.at, actorId: r.actor_id, action: r.action as AdminActionKind, subject: r.subject, detail: JSON.parse(r.detail) as Record<string, string> }));
  },
};
