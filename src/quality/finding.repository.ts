import type { Executor } from '../registry/person.repository.js';
import type { QualityFindingsTable } from './quality.tables.js';
import { correctionRequestRuleId, type Finding, type FindingStatus, type StoredFinding } from './finding.types.js';
import type { ScoreGroup } from './quality-rule.catalog.js';

function toRow(f: Finding, at: string): QualityFindingsTable {
  return {
    finding_id: f.findingId,
    rule_id: f.ruleId,
    score_group: f.group,
    severity: f.severity,
    field: f.field,
    record_kind: f.recordKind,
    record_id: f.recordId,
    related_id: f.relatedId,
    commune_code: f.communeCode,
    province_code: f.provinceCode,
    detail: f.detail,
    detected_at: at,
    last_seen_at: at,
    status: 'open',
    closed_at: null,
  };
}

function fromRow(r: QualityFindingsTable): StoredFinding {
  return {
    findingId: r.finding_id,
    ruleId: r.rule_id,
    group: r.score_group as ScoreGroup,
    severity: r.severity,
    field: r.field,
    recordKind: r.record_kind as 'person' | 'household',
    recordId: r.record_id,
    relatedId: r.related_id,
    communeCode: r.commune_code,
    provinceCode: r.province_code,
    detail: r.detail,
    detectedAt: r.detected_at,
    lastSeenAt: r.last_seen_at,
    status: r.status as FindingStatus,
    closedAt: r.closed_at,
  };
}

/** Filters of the worklist; every one optional. */
export interface FindingFilter {
  readonly provinceCode?: string | undefined;
  readonly communeCode?: string | undefined;
  readonly ruleId?: string | undefined;
  readonly group?: string | undefined;
  readonly status?: string | undefined;
  readonly recordId?: string | undefined;
  /** Keyset: findings after this id. */
  readonly after?: string | undefined;
  readonly limit: number;
}

// 15 columns a row: 500 rows stay under both drivers' bound-parameter limits.
const chunk = 500;

/** Stores findings. Bulk writes in multi-row statements; the caller owns the transaction. */
export const findingRepository = {
  /** Every stored finding's id and status (the full scan diffs its results against them). */
  async statuses(db: Executor): Promise<Map<string, string>> {
    // Citizens' correction requests are no scan's to close.
    const rows = await db.selectFrom('quality_findings').select(['finding_id', 'status']).where('rule_id', '!=', correctionRequestRuleId).execute();
    return new Map(rows.map((r) => [r.finding_id, r.status]));
  },

  async insertMany(db: Executor, findings: readonly Finding[], at: string): Promise<void> {
    for (let i = 0; i < findings.length; i += chunk) {
      await db.insertInto('quality_findings').values(findings.slice(i, i + chunk).map((f) => toRow(f, at))).execute();
    }
  },

  /** Marks findings seen again (still failing): refreshes detail, owner and last_seen_at; reopens 'no_longer_failing'/'corrected' ones. */
  async markSeen(db: Executor, findings: readonly Finding[], at: string, reopen: boolean): Promise<void> {
    if (!reopen) {
      for (let i = 0; i < findings.length; i += chunk) {
        const ids = findings.slice(i, i + chunk).map((f) => f.findingId);
        await db.updateTable('quality_findings').set({ last_seen_at: at }).where('finding_id', 'in', ids).execute();
      }
      return;
    }
    for (const f of findings) {
      await db
        .updateTable('quality_findings')
        .set({ status: 'open', detected_at: at, last_seen_at: at, closed_at: null, detail: f.detail, commune_code: f.communeCode, province_code: f.provinceCode })
        .where('finding_id', '=', f.findingId)
        .execute();
    }
  },

  /** Closes open findings that a check no longer produces. */
  async markFixed(db: Executor, findingIds: readonly string[], at: string): Promise<void> {
    for (let i = 0; i < findingIds.length; i += chunk) {
      await db
        .updateTable('quality_findings')
        .set({ status: 'no_longer_failing', closed_at: at })
        .where('finding_id', 'in', findingIds.slice(i, i + chunk))
        .where('status', '=', 'open')
        .execute();
    }
  },

  /** The stored findings about these records (as the record or the related record of a pair). */
  async ofRecords(db: Executor, recordIds: readonly string[]): Promise<readonly StoredFinding[]> {
    if (recordIds.length === 0) return [];
    // Two indexed lookups in one round trip: an OR across two columns would scan the table on SQLite.
    const rows = await db
      .selectFrom('quality_findings')
      .selectAll()
      .where('record_id', 'in', recordIds)
      .unionAll(db.selectFrom('quality_findings').selectAll().where('related_id', 'in', recordIds))
      .execute();
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.finding_id) && seen.add(r.finding_id)).map(fromRow);
  },

  async get(db: Executor, findingId: string): Promise<StoredFinding | undefined> {
    const row = await db.selectFrom('quality_findings').selectAll().where('finding_id', '=', findingId).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  },

  /** How many findings the filter matches in all (the worklist's count; `after` and `limit` ignored). */
  async count(db: Executor, filter: Omit<FindingFilter, 'after' | 'limit'>): Promise<number> {
    let q = db.selectFrom('quality_findings').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (filter.provinceCode !== undefined) q = q.where('province_code', '=', filter.provinceCode);
    if (filter.communeCode !== undefined) q = q.where('commune_code', '=', filter.communeCode);
    if (filter.ruleId !== undefined) q = q.where('rule_id', '=', filter.ruleId);
    if (filter.group !== undefined) q = q.where('score_group', '=', filter.group);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.recordId !== undefined) q = q.where('record_id', '=', filter.recordId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  },

  async list(db: Executor, filter: FindingFilter): Promise<readonly StoredFinding[]> {
    let q = db.selectFrom('quality_findings').selectAll();
    if (filter.provinceCode !== undefined) q = q.where('province_code', '=', filter.provinceCode);
    if (filter.communeCode !== undefined) q = q.where('commune_code', '=', filter.communeCode);
    if (filter.ruleId !== undefined) q = q.where('rule_id', '=', filter.ruleId);
    if (filter.group !== undefined) q = q.where('score_group', '=', filter.group);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.recordId !== undefined) q = q.where('record_id', '=', filter.recordId);
    if (filter.after !== undefined) q = q.where('finding_id', '>', filter.after);
    const rows = await q.orderBy('finding_id').limit(filter.limit).execute();
    return rows.map(fromRow);
  },

  async insertOne(db: Executor, finding: Finding, at: string): Promise<void> {
    await db.insertInto('quality_findings').values(toRow(finding, at)).execute();
  },

  async setStatus(db: Executor, findingId: string, status: FindingStatus, at: string): Promise<void> {
    await db.updateTable('quality_findings').set({ status, closed_at: status === 'open' ? null : at }).where('finding_id', '=', findingId).execute();
  },

  async countOpen(db: Executor): Promise<number> {
    const row = await db.selectFrom('quality_findings').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').where('rule_id', '!=', correctionRequestRuleId).executeTakeFirstOrThrow();
    return row.n;
  },

  /** Open failing records per commune and score group (households count as one record). */
  async failingByCommune(db: Executor): Promise<readonly { readonly commune: string; readonly province: string; readonly group: string; readonly failing: number }[]> {
    const rows = await db
      .selectFrom('quality_findings')
      .select(['commune_code', 'province_code', 'score_group'])
      .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
      .where('status', '=', 'open')
      .where('rule_id', '!=', correctionRequestRuleId)
      .groupBy(['commune_code', 'province_code', 'score_group'])
      .execute();
    return rows.map((r) => ({ commune: r.commune_code, province: r.province_code, group: r.score_group, failing: r.n }));
  },

  /** Open failing records per commune in any group (for the overall score). */
  async failingAnyByCommune(db: Executor): Promise<ReadonlyMap<string, number>> {
    const rows = await db
      .selectFrom('quality_findings')
      .select(['commune_code'])
      .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
      .where('status', '=', 'open')
      .where('rule_id', '!=', correctionRequestRuleId)
      .groupBy('commune_code')
      .execute();
    return new Map(rows.map((r) => [r.commune_code, r.n]));
  },

  /** Open failing records per rule and per field, nationally. */
  async failingBy(db: Executor, column: 'rule_id' | 'field'): Promise<readonly { readonly code: string; readonly group: string; readonly failing: number }[]> {
    const rows = await db
      .selectFrom('quality_findings')
      .select([`${column} as code`, 'score_group'])
      .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
      .where('status', '=', 'open')
      .where('rule_id', '!=', correctionRequestRuleId)
      .groupBy([column, 'score_group'])
      .execute();
    return rows.map((r) => ({ code: r.code, group: r.score_group, failing: r.n }));
  },
};
