import type { Executor } from '../registry/person.repository.js';
import type { QualityScoresTable } from './quality.tables.js';

/** A scan, as kept. */
export interface ScanRecord {
  readonly scanId: string;
  readonly kind: 'full' | 'incremental';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly persons: number;
  readonly findingsOpen: number;
  readonly findingsNew: number;
  readonly findingsFixed: number;
}

/** One scorecard row: a scope (national, a province, a commune, a rule, a field) and score group at one scan. */
export interface ScoreRow {
  readonly scanId: string;
  readonly takenAt: string;
  readonly scope: string;
  readonly code: string;
  /** A commune's province; '' otherwise. */
  readonly parent: string;
  readonly group: string;
  readonly records: number;
  readonly failing: number;
  /** 0-100. */
  readonly score: number;
}

export interface ActionRecord {
  readonly actionId: string;
  readonly findingId: string;
  readonly action: string;
  readonly officerId: string;
  readonly reason: string;
  readonly eventId: string | null;
  readonly actedAt: string;
}

function fromScoreRow(r: QualityScoresTable): ScoreRow {
  return { scanId: r.scan_id, takenAt: r.taken_at, scope: r.scope, code: r.scope_code, parent: r.parent_code, group: r.score_group, records: r.records, failing: r.failing, score: r.score };
}

/** Scans, score snapshots and officers' actions. The caller owns the transaction. */
export const scoreRepository = {
  async insertScan(db: Executor, s: ScanRecord): Promise<void> {
    await db.insertInto('quality_scans').values({
      scan_id: s.scanId, kind: s.kind, started_at: s.startedAt, finished_at: s.finishedAt, persons: s.persons,
      findings_open: s.findingsOpen, findings_new: s.findingsNew, findings_fixed: s.findingsFixed,
    }).execute();
  },

  async latestFullScan(db: Executor): Promise<ScanRecord | undefined> {
    const row = await db.selectFrom('quality_scans').selectAll().where('kind', '=', 'full').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? undefined : toScan(row);
  },

  async scans(db: Executor, limit: number): Promise<readonly ScanRecord[]> {
    const rows = await db.selectFrom('quality_scans').selectAll().orderBy('finished_at', 'desc').limit(limit).execute();
    return rows.map(toScan);
  },

  async insertScores(db: Executor, rows: readonly ScoreRow[]): Promise<void> {
    // 10 columns a row: 1,000 rows stay under both drivers' bound-parameter limits.
    for (let i = 0; i < rows.length; i += 1_000) {
      await db.insertInto('quality_scores').values(rows.slice(i, i + 1_000).map((r) => ({
        scan_id: r.scanId, taken_at: r.takenAt, scope: r.scope, scope_code: r.code, parent_code: r.parent, score_group: r.group,
        records: r.records, failing: r.failing, score: r.score,
      }))).execute();
    }
  },

  async scores(db: Executor, scanId: string, scope: string, parent?: string): Promise<readonly ScoreRow[]> {
    let q = db.selectFrom('quality_scores').selectAll().where('scan_id', '=', scanId).where('scope', '=', scope);
    if (parent !== undefined) q = q.where('parent_code', '=', parent);
    const rows = await q.orderBy('scope_code').orderBy('score_group').execute();
    return rows.map(fromScoreRow);
  },

  /** The latest `limit` snapshots of one scope, oldest first (one per full scan). */
  async trend(db: Executor, scope: string, code: string, limit: number): Promise<readonly ScoreRow[]> {
    const scans = await db.selectFrom('quality_scores').select(['scan_id', 'taken_at']).distinct().where('scope', '=', scope).where('scope_code', '=', code)
      .orderBy('taken_at', 'desc').orderBy('scan_id', 'desc').limit(limit).execute();
    if (scans.length === 0) return [];
    const rows = await db.selectFrom('quality_scores').selectAll().where('scope', '=', scope).where('scope_code', '=', code)
      .where('scan_id', 'in', scans.map((s) => s.scan_id)).orderBy('taken_at').orderBy('scan_id').orderBy('score_group').execute();
    return rows.map(fromScoreRow);
  },

  async insertAction(db: Executor, a: ActionRecord): Promise<void> {
    await db.insertInto('quality_actions').values({
      action_id: a.actionId, finding_id: a.findingId, action: a.action, officer_id: a.officerId, reason: a.reason, event_id: a.eventId, acted_at: a.actedAt,
    }).execute();
  },

  async actions(db: Executor, findingId: string): Promise<readonly ActionRecord[]> {
    const rows = await db.selectFrom('quality_actions').selectAll().where('finding_id', '=', findingId).orderBy('acted_at').execute();
    return rows.map((r) => ({ actionId: r.action_id, findingId: r.finding_id, action: r.action, officerId: r.officer_id, reason: r.reason, eventId: r.event_id, actedAt: r.acted_at }));
  },
};

function toScan(r: { scan_id: string; kind: string; started_at: string; finished_at: string; persons: number; findings_open: number; findings_new: number; findings_fixed: number }): ScanRecord {
  return {
    scanId: r.scan_id, kind: r.kind === 'incremental' ? 'incremental' : 'full', startedAt: r.started_at, finishedAt: r.finished_at,
    persons: r.persons, findingsOpen: r.findings_open, findingsNew: r.findings_new, findingsFixed: r.findings_fixed,
  };
}
