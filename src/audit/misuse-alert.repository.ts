import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { MisuseAlertsTable } from './audit.tables.js';
import type { MisuseAlert } from './misuse-alert.types.js';

const toAlert = (r: Selectable<MisuseAlertsTable>): MisuseAlert => ({
  alertId: r.alert_id,
  subjectKind: r.subject_kind,
  subjectId: r.subject_id,
  clientId: r.client_id,
  windowStart: r.window_start,
  windowSeconds: r.window_seconds,
  reads: r.reads,
  baseline: r.baseline,
  raisedAt: r.raised_at,
  status: r.status,
  acknowledgedAt: r.acknowledged_at,
});

/** Misuse alerts, newest first. */
export const alertRepository = {
  async insert(db: Executor, a: MisuseAlert): Promise<void> {
    await db
      .insertInto('exchange_alerts')
      .values({
        alert_id: a.alertId,
        subject_kind: a.subjectKind,
        subject_id: a.subjectId,
        client_id: a.clientId,
        window_start: a.windowStart,
        window_seconds: a.windowSeconds,
        reads: a.reads,
        baseline: a.baseline,
        raised_at: a.raisedAt,
        status: a.status,
        acknowledged_at: a.acknowledgedAt,
      })
      .execute();
  },

  async list(db: Executor, options: { readonly status?: 'open' | 'acknowledged' | undefined; readonly limit: number }): Promise<readonly MisuseAlert[]> {
    let q = db.selectFrom('exchange_alerts').selectAll();
    if (options.status !== undefined) q = q.where('status', '=', options.status);
    return (await q.orderBy('raised_at', 'desc').orderBy('alert_id').limit(options.limit).execute()).map(toAlert);
  },

  async acknowledge(db: Executor, alertId: string, at: string): Promise<MisuseAlert | undefined> {
    await db.updateTable('exchange_alerts').set({ status: 'acknowledged', acknowledged_at: at }).where('alert_id', '=', alertId).where('status', '=', 'open').execute();
    const row = await db.selectFrom('exchange_alerts').selectAll().where('alert_id', '=', alertId).executeTakeFirst();
    return row === undefined ? undefined : toAlert(row);
  },
};
