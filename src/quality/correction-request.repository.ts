import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { QualityCorrectionRequestsTable } from './quality.tables.js';

/** A request joined to its worklist finding's status and the officers' last action on it. */
export interface CorrectionRequestRow extends Selectable<QualityCorrectionRequestsTable> {
  readonly status: string;
  readonly closed_at: string | null;
  readonly commune_code: string;
}

/** Citizens' correction requests (their findings live in quality_findings). The caller owns the transaction. */
export const correctionRequestRepository = {
  async insert(db: Executor, row: QualityCorrectionRequestsTable): Promise<void> {
    await db.insertInto('quality_correction_requests').values(row).execute();
  },

  /** A person's requests with their findings' status, newest first. */
  async ofPerson(db: Executor, personId: string, limit: number): Promise<readonly CorrectionRequestRow[]> {
    return db.selectFrom('quality_correction_requests as r')
      .innerJoin('quality_findings as f', 'f.finding_id', 'r.finding_id')
      .selectAll('r')
      .select(['f.status', 'f.closed_at', 'f.commune_code'])
      .where('r.person_id', '=', personId)
      .orderBy('r.created_at', 'desc')
      .orderBy('r.request_id')
      .limit(limit)
      .execute();
  },

  async ofFinding(db: Executor, findingId: string): Promise<CorrectionRequestRow | undefined> {
    return db.selectFrom('quality_correction_requests as r')
      .innerJoin('quality_findings as f', 'f.finding_id', 'r.finding_id')
      .selectAll('r')
      .select(['f.status', 'f.closed_at', 'f.commune_code'])
      .where('r.finding_id', '=', findingId)
      .executeTakeFirst();
  },

  /** Open requests of a person (for the per-person cap and one open request per field). */
  async openOf(db: Executor, personId: string): Promise<readonly { readonly field: string }[]> {
    return db.selectFrom('quality_correction_requests as r')
      .innerJoin('quality_findings as f', 'f.finding_id', 'r.finding_id')
      .select('r.field')
      .where('r.person_id', '=', personId)
      .where('f.status', '=', 'open')
      .execute();
  },

  /** The officers' last word on each finding (the reason the citizen reads). */
  async lastActions(db: Executor, findingIds: readonly string[]): Promise<ReadonlyMap<string, { readonly action: string; readonly reason: string; readonly actedAt: string }>> {
    if (findingIds.length === 0) return new Map();
    const rows = await db.selectFrom('quality_actions').select(['finding_id', 'action', 'reason', 'acted_at']).where('finding_id', 'in', findingIds).orderBy('acted_at').execute();
    return new Map(rows.map((r) => [r.finding_id, { action: r.action, reason: r.reason, actedAt: r.acted_at }]));
  },
};
