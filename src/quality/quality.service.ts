import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { adminUnitCatalog, todayInVietnam } from '../registry/admin-unit.catalog.js';
import type { Executor } from '../registry/person.repository.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { onOneNode } from '../store/job-lease.js';
import { findingRepository, type FindingFilter } from './finding.repository.js';
import { correctionRequestRuleId, decidedStatuses, makeFinding, type Finding, type StoredFinding } from './finding.types.js';
import {
  childBeforeParentProblem, duplicateVerdict, eventAfterDeathProblem, householdHeadProblem, isHead, parentProblem, spouseProblem,
  type DuplicateCandidate, type LinkedPerson,
} from './quality-cross.checks.js';
import { qualityRules, recordRules, ruleContext, scoreGroups, type QualityRule, type RuleContext } from './quality-rule.catalog.js';
import { personScanReadModel, type ScanSource } from '../registry/person-scan.read-model.js';
import { runScanPass } from './quality-scan.runner.js';
import { checkRecord, duplicateFinding, OwnerResolver, setRules, type ScanRow } from './quality-scan.evaluator.js';
import { scoreRepository, type ActionRecord, type ScoreRow, type ScanRecord } from './score.repository.js';

/** A correction recorded through the registry (the worklist's way to fix a record). */
export type RecordCorrection = (input: {
  readonly personId: string;
  readonly officerId: string;
  readonly reason: string;
  readonly data: Readonly<Record<string, unknown>>;
}) => Promise<{ readonly eventId: string }>;

export interface QualityDeps {
  readonly db: Kysely<DB>;
  /** Scorecards and trends, which may lag a moment: a read replica's handle (store/read-replica.ts); default `db`. */
  readonly readDb?: Kysely<DB>;
  /** What the full scan streams persons from (the open store). */
  readonly store: ScanSource;
  readonly clock: Clock;
  /** Records a correction life event; the registry's re-check hook then re-checks the person. */
  readonly recordCorrection?: RecordCorrection;
  readonly newId?: () => string;
  /** Years without an update after which a living person's record is stale. Default 15. */
  readonly staleYears?: number;
  /** This node, as it takes the one-node lease of a full scan (default: processNodeId). */
  readonly nodeId?: string;
}

export interface ScanSummary {
  readonly scanId: string;
  readonly persons: number;
  readonly findings: number;
  readonly open: number;
  readonly new: number;
  readonly fixed: number;
  readonly byRule: Readonly<Record<string, number>>;
  readonly seconds: { readonly read: number; readonly check: number; readonly store: number; readonly total: number };
}

export interface OfficerDecision {
  readonly officerId: string;
  readonly reason: string;
}

export interface CorrectionDecision extends OfficerDecision {
  /** Whom to correct: defaults to the finding's record (required for household findings). */
  readonly personId?: string | undefined;
  /** The facts the correction sets (as in a correction life event). */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ActionResult {
  readonly finding: StoredFinding;
  readonly eventId: string | null;
  /** True when the correction was recorded but the rule still fails on the record. */
  readonly stillFailing: boolean;
}

/**
 * The quality engine's use cases: full scans and re-checks, scorecards over time and the
 * cleaning worklist. Every officer action is kept in quality_actions with who, when and why.
 */
export class QualityService {
  private readonly owners: OwnerResolver;
  private readonly newId: () => string;

  constructor(private readonly deps: QualityDeps) {
    this.owners = new OwnerResolver(adminUnitCatalog());
    this.newId = deps.newId ?? randomUUID;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  /** Scorecards, trends and the list of scans may lag the primary a moment: the read replica's handle when there is one. */
  private reads(): Kysely<DB> {
    return this.deps.readDb ?? this.deps.db;
  }

  private context(): RuleContext {
    return ruleContext(todayInVietnam(this.deps.clock), adminUnitCatalog(), this.deps.staleYears ?? 15);
  }

  rules(): readonly QualityRule[] {
    return qualityRules;
  }

  /**
   * Scans every person once (per-record rules as rows stream by, cross-record rules from maps
   * keyed by ID at the end), stores the findings in bulk against the previous ones (new ones
   * opened, vanished ones closed as no longer failing, officers' decisions kept) and snapshots the scores.
   */
  async fullScan(): Promise<ScanSummary> {
    // One full scan at a time across the nodes sharing the store (JOB_RUNNING_ELSEWHERE otherwise).
    return onOneNode({ db: this.deps.db, clock: this.deps.clock, ...(this.deps.nodeId === undefined ? {} : { nodeId: this.deps.nodeId }) }, 'quality-full-scan', () => this.scanEverything());
  }

  private async scanEverything(): Promise<ScanSummary> {
    const t0 = performance.now();
    const startedAt = this.now();
    const pass = await runScanPass(this.deps.store, { today: todayInVietnam(this.deps.clock), staleYears: this.deps.staleYears ?? 15 });
    const findings = pass.findings;
    const t2 = performance.now();
    // reading includes starting the worker thread, when there is one
    const t1 = t2 - pass.checkMs;
    const scanId = this.newId();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      const previous = await findingRepository.statuses(trx);
      const diff = diffFindings(findings, previous);
      await findingRepository.insertMany(trx, diff.inserted, startedAt);
      await findingRepository.markSeen(trx, diff.stillOpen, startedAt, false);
      await findingRepository.markSeen(trx, diff.reopened, startedAt, true);
      const seen = new Set(findings.map((f) => f.findingId));
      const fixed = [...previous].filter(([id, status]) => status === 'open' && !seen.has(id)).map(([id]) => id);
      await findingRepository.markFixed(trx, fixed, startedAt);
      const open = await findingRepository.countOpen(trx);
      const finishedAt = this.now();
      const scan: ScanRecord = { scanId, kind: 'full', startedAt, finishedAt, persons: pass.persons, findingsOpen: open, findingsNew: diff.inserted.length + diff.reopened.length, findingsFixed: fixed.length };
      await scoreRepository.insertScan(trx, scan);
      await scoreRepository.insertScores(trx, await this.computeScores(trx, scanId, finishedAt, pass.personsByCommune, pass.persons));
      return { open, new: scan.findingsNew, fixed: fixed.length };
    });
    const t3 = performance.now();
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
    const s = (ms: number): number => Math.round(ms) / 1000;
    return { scanId, persons: pass.persons, findings: findings.length, ...outcome, byRule, seconds: { read: s(t1 - t0), check: s(t2 - t1), store: s(t3 - t2), total: s(t3 - t0) } };
  }

  /** Scores of every scope from the open findings and the persons per commune. */
  private async computeScores(db: Executor, scanId: string, takenAt: string, personsByCommune: ReadonlyMap<string, number>, total: number): Promise<ScoreRow[]> {
    const rows: ScoreRow[] = [];
    const failing = await findingRepository.failingByCommune(db);
    const failingAny = await findingRepository.failingAnyByCommune(db);
    const provinceOf = (commune: string): string => this.owners.ofCommune(commune === '' ? null : commune).provinceCode;
    // records and failing per (scope key, group)
    const tally = new Map<string, { scope: string; code: string; parent: string; group: string; records: number; failing: number }>();
    const add = (scope: string, code: string, parent: string, group: string, records: number, fails: number): void => {
      const key = `${scope}|${code}|${group}`;
      const t = tally.get(key) ?? { scope, code, parent, group, records: 0, failing: 0 };
      t.records += records;
      t.failing += fails;
      tally.set(key, t);
    };
    for (const [commune, persons] of personsByCommune) {
      const province = provinceOf(commune);
      for (const group of [...scoreGroups, 'overall']) {
        add('commune', commune, province, group, persons, 0);
        add('province', province, '', group, persons, 0);
        add('national', '', '', group, persons, 0);
      }
    }
    for (const f of failing) {
      add('commune', f.commune, f.province, f.group, 0, f.failing);
      add('province', f.province, '', f.group, 0, f.failing);
      add('national', '', '', f.group, 0, f.failing);
    }
    for (const [commune, n] of failingAny) {
      const province = provinceOf(commune);
      add('commune', commune, province, 'overall', 0, n);
      add('province', province, '', 'overall', 0, n);
      add('national', '', '', 'overall', 0, n);
    }
    for (const column of ['rule_id', 'field'] as const) {
      for (const f of await findingRepository.failingBy(db, column)) add(column === 'rule_id' ? 'rule' : 'field', f.code, '', f.group, total, f.failing);
    }
    // Rules and fields that found nothing still get a row (a perfect score).
    for (const r of qualityRules) {
      if (!tally.has(`rule|${r.id}|${r.group}`)) add('rule', r.id, '', r.group, total, 0);
      if (!tally.has(`field|${r.field}|${r.group}`)) add('field', r.field, '', r.group, total, 0);
    }
    for (const t of tally.values()) {
      const score = t.records === 0 ? 100 : Math.max(0, Math.round((1 - t.failing / t.records) * 10_000) / 100);
      rows.push({ scanId, takenAt, scope: t.scope, code: t.code, parent: t.parent, group: t.group, records: t.records, failing: t.failing, score });
    }
    return rows;
  }

  /**
   * Re-checks persons after an event changed them, inside the caller's transaction: the
   * per-record rules, and the cross-record rules touching them (their household, spouse,
   * parents, duplicate block, events after death). Findings in that scope are opened or closed.
   */
  async recheck(trx: Executor, personIds: readonly string[]): Promise<{ readonly open: number; readonly fixed: number }> {
    const ctx = this.context();
    const at = this.now();
    const found: Finding[] = [];
    /** finding ids this re-check is entitled to close: the rules it evaluated, on the records it evaluated. */
    const inScope = (f: StoredFinding, rows: ReadonlySet<string>, households: ReadonlySet<string>, partners: ReadonlySet<string>): boolean => {
      if (f.ruleId === setRules.household.id) return households.has(f.recordId);
      if (f.ruleId === setRules.duplicate.id) return (rows.has(f.recordId) && partners.has(f.relatedId ?? '')) || (rows.has(f.relatedId ?? '') && partners.has(f.recordId));
      return rows.has(f.recordId);
    };
    const persons = await personScanReadModel.rows(trx, personIds);
    const checked = new Set<string>();
    const households = new Set<string>();
    const partners = new Set<string>();
    const spouseSide = new Set<string>();
    for (const p of persons) {
      const owner = this.owners.ofPerson(p);
      checked.add(p.id_number);
      checkRecord(p, ctx, owner, found);
      const linkIds = [p.spouse_id, p.father_id, p.mother_id].filter((x): x is string => x !== null);
      const linkedRows = new Map((await personScanReadModel.rows(trx, linkIds)).map((r) => [r.id_number, r]));
      const linked = new Map([...linkedRows].map(([id, r]) => [id, linkedOf(r)]));
      const self = linkedOf(p);
      const spouse = p.spouse_id === null ? undefined : linked.get(p.spouse_id);
      const spouseIssue = spouseProblem(self, spouse);
      if (spouseIssue !== null) found.push(makeFinding(setRules.spouse, 'person', p.id_number, owner, spouseIssue, p.spouse_id));
      const father = p.father_id === null ? undefined : linked.get(p.father_id);
      const mother = p.mother_id === null ? undefined : linked.get(p.mother_id);
      const parentIssue = parentProblem(self, father, mother);
      if (parentIssue !== null) found.push(makeFinding(setRules.parent, 'person', p.id_number, owner, parentIssue));
      const order = childBeforeParentProblem(self, father, mother);
      if (order !== null) found.push(makeFinding(setRules.childBeforeParent, 'person', p.id_number, owner, order));
      if (p.status === 'deceased') {
        const issue = eventAfterDeathProblem(p.death_date, await personScanReadModel.lastEventOf(trx, p.id_number));
        if (issue !== null) found.push(makeFinding(setRules.eventAfterDeath, 'person', p.id_number, owner, issue));
      }
      if (p.household_id !== null) {
        households.add(p.household_id);
        const members = await personScanReadModel.householdMembers(trx, p.household_id);
        const living = members.filter((m) => m.status === 'alive');
        const head = living.find((m) => isHead(m.relationship_to_head));
        const issue = householdHeadProblem(living.filter((m) => isHead(m.relationship_to_head)).length, living.length);
        if (issue !== null) found.push(makeFinding(setRules.household, 'household', p.household_id, this.owners.ofPerson(head ?? p), issue));
      }
      const block = await personScanReadModel.sameNameAndYear(trx, p.name_folded, p.birth_date.slice(0, 4));
      const me = candidateOf(p);
      // The spouses of the block, for telling a couple registered twice from two married namesakes.
      const spouseIds = [...new Set(block.map((r) => r.spouse_id).filter((x): x is string => x !== null))];
      const spouses = new Map((spouseIds.length < 2 ? [] : await personScanReadModel.rows(trx, spouseIds)).map((r) => [r.id_number, candidateOf(r)]));
      for (const other of block) {
        if (other.id_number === p.id_number) continue;
        partners.add(other.id_number);
        const verdict = duplicateVerdict(me, candidateOf(other), undefined, (id) => spouses.get(id));
        if (verdict.duplicate) found.push(duplicateFinding(me, candidateOf(other), verdict.score, (id) => this.owners.ofPerson(id === p.id_number ? p : other)));
      }
      // The spouse's side of the link is re-checked too: an event on one side can break or mend it.
      if (spouse !== undefined && spouse.spouseId === p.id_number) {
        const spouseRow = linkedRows.get(spouse.id);
        if (spouseRow !== undefined) {
          spouseSide.add(spouse.id);
          const back = spouseProblem(spouse, self);
          if (back !== null) found.push(makeFinding(setRules.spouse, 'person', spouse.id, this.owners.ofPerson(spouseRow), back, spouse.spouseId));
        }
      }
    }
    const existing = (await findingRepository.ofRecords(trx, [...checked, ...spouseSide, ...households])).filter((f) => f.ruleId !== correctionRequestRuleId && (
      // For a spouse, only the link rule was evaluated.
      spouseSide.has(f.recordId) && !checked.has(f.recordId) ? f.ruleId === setRules.spouse.id : inScope(f, checked, households, partners)));
    return this.sync(trx, found, existing, at);
  }

  /** Applies a re-check's findings against the stored ones in its scope. */
  private async sync(trx: Executor, found: readonly Finding[], existing: readonly StoredFinding[], at: string): Promise<{ readonly open: number; readonly fixed: number }> {
    const byId = new Map(existing.map((f) => [f.findingId, f]));
    const fresh = new Map(found.map((f) => [f.findingId, f]));
    const stored = await Promise.all([...fresh.keys()].filter((id) => !byId.has(id)).map((id) => findingRepository.get(trx, id)));
    for (const s of stored) if (s !== undefined) byId.set(s.findingId, s);
    const previous = new Map([...byId.values()].map((f) => [f.findingId, f.status as string]));
    const diff = diffFindings([...fresh.values()], previous);
    await findingRepository.insertMany(trx, diff.inserted, at);
    await findingRepository.markSeen(trx, diff.stillOpen, at, false);
    await findingRepository.markSeen(trx, diff.reopened, at, true);
    const fixed = existing.filter((f) => f.status === 'open' && !fresh.has(f.findingId)).map((f) => f.findingId);
    await findingRepository.markFixed(trx, fixed, at);
    return { open: diff.inserted.length + diff.stillOpen.length + diff.reopened.length, fixed: fixed.length };
  }

  // ---- scorecards ----

  /** The latest scorecard of a scope: 'national', 'province', 'commune' (optionally of one province), 'rule' or 'field'. */
  async scorecard(scope: string, parent?: string): Promise<{ readonly scan: ScanRecord | null; readonly rows: readonly ScoreRow[] }> {
    if (!['national', 'province', 'commune', 'rule', 'field'].includes(scope)) {
      throw new DomainError('invalid', 'SCOPE_UNKNOWN', `unknown scorecard scope ${scope}`, 'Use national, province, commune, rule or field');
    }
    const scan = await scoreRepository.latestFullScan(this.reads());
    if (scan === undefined) return { scan: null, rows: [] };
    return { scan, rows: await scoreRepository.scores(this.reads(), scan.scanId, scope, parent) };
  }

  /** A scope's scores over time, one point per full scan. */
  async trend(scope: string, code: string, limit = 60): Promise<readonly ScoreRow[]> {
    return scoreRepository.trend(this.reads(), scope, code, Math.min(Math.max(limit, 1), 500));
  }

  async scans(limit = 20): Promise<readonly ScanRecord[]> {
    return scoreRepository.scans(this.reads(), Math.min(Math.max(limit, 1), 200));
  }

  // ---- worklist ----

  /** How many findings match the worklist's filters, over all its pages. */
  worklistCount(filter: Omit<FindingFilter, 'after' | 'limit'>): Promise<number> {
    return findingRepository.count(this.deps.db, filter);
  }

  async worklist(filter: FindingFilter): Promise<readonly StoredFinding[]> {
    return findingRepository.list(this.deps.db, { ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) });
  }

  async finding(findingId: string): Promise<{ readonly finding: StoredFinding; readonly actions: readonly ActionRecord[] }> {
    const finding = await this.mustGet(this.deps.db, findingId);
    return { finding, actions: await scoreRepository.actions(this.deps.db, findingId) };
  }

  private async mustGet(db: Executor, findingId: string): Promise<StoredFinding> {
    const finding = await findingRepository.get(db, findingId);
    if (finding === undefined) throw new DomainError('not_found', 'FINDING_NOT_FOUND', `no finding ${findingId}`, 'Reload the worklist: the finding id may be mistyped');
    return finding;
  }

  private checkDecision(d: OfficerDecision): void {
    if (d.officerId.trim() === '') throw new DomainError('invalid', 'OFFICER_REQUIRED', 'an action on a finding needs the officer who takes it', 'Give your officer id');
    if (d.reason.trim().length < 3) throw new DomainError('invalid', 'REASON_REQUIRED', 'an action on a finding needs a reason', 'Say why, and on what document');
  }

  private assertOpen(f: StoredFinding): void {
    if (f.status !== 'open') {
      throw new DomainError('conflict', 'FINDING_NOT_OPEN', `the finding is ${f.status}`, 'Only open findings can be acted on; reload the worklist');
    }
  }

  /** Resolves a finding with a correction life event; it closes when the re-check no longer finds the problem. */
  async resolve(findingId: string, d: CorrectionDecision): Promise<ActionResult> {
    this.checkDecision(d);
    const before = await this.mustGet(this.deps.db, findingId);
    this.assertOpen(before);
    const personId = d.personId ?? (before.recordKind === 'person' ? before.recordId : undefined);
    if (personId === undefined) throw new DomainError('invalid', 'PERSON_REQUIRED', 'a household finding is corrected on one of its members', 'Give personId: the member whose record the correction changes');
    if (this.deps.recordCorrection === undefined) throw new DomainError('unavailable', 'CORRECTIONS_UNAVAILABLE', 'corrections cannot be recorded here', 'Resolve the finding through the API server');
    const { eventId } = await this.deps.recordCorrection({ personId, officerId: d.officerId, reason: d.reason, data: d.data });
    return this.deps.db.transaction().execute(async (trx) => {
      // Without the registry hook (a CLI or a test), re-check here.
      await this.recheck(trx, [personId]);
      if (before.recordKind === 'person' && before.recordId !== personId) await this.recheck(trx, [before.recordId]);
      const after = await this.mustGet(trx, findingId);
      // A citizen's request is answered by the correction itself: no rule re-checks it.
      const stillFailing = after.status === 'open' && after.ruleId !== correctionRequestRuleId;
      if (!stillFailing) await findingRepository.setStatus(trx, findingId, 'corrected', this.now());
      await scoreRepository.insertAction(trx, { actionId: this.newId(), findingId, action: 'resolve', officerId: d.officerId, reason: d.reason, eventId, actedAt: this.now() });
      return { finding: await this.mustGet(trx, findingId), eventId, stillFailing };
    });
  }

  /** Dismisses a finding as a false positive; later scans keep it closed. */
  async dismiss(findingId: string, d: OfficerDecision): Promise<ActionResult> {
    return this.decide(findingId, d, 'dismiss', 'dismissed');
  }

  /** Marks a suspected duplicate pair as two distinct persons; later scans keep it closed. */
  async markDistinct(findingId: string, d: OfficerDecision): Promise<ActionResult> {
    return this.decide(findingId, d, 'distinct', 'not_duplicate');
  }

  /**
   * Merges a duplicate: the record the finding points at is retired in favour of the related one.
   * The retirement is written into the retired person's history as a correction with the reason.
   */
  async merge(findingId: string, d: OfficerDecision): Promise<ActionResult> {
    this.checkDecision(d);
    const before = await this.mustGet(this.deps.db, findingId);
    if (before.ruleId !== setRules.duplicate.id || before.relatedId === null) {
      throw new DomainError('invalid', 'NOT_A_DUPLICATE', 'only duplicate findings can be merged', 'Resolve or dismiss this finding instead');
    }
    this.assertOpen(before);
    let eventId: string | null = null;
    if (this.deps.recordCorrection !== undefined) {
      ({ eventId } = await this.deps.recordCorrection({ personId: before.recordId, officerId: d.officerId, reason: `Hợp nhất bản ghi trùng vào ${before.relatedId}: ${d.reason}`, data: {} }));
    }
    return this.decide(findingId, d, 'merge', 'merged', eventId);
  }

  private async decide(findingId: string, d: OfficerDecision, action: string, status: 'dismissed' | 'not_duplicate' | 'merged', eventId: string | null = null): Promise<ActionResult> {
    this.checkDecision(d);
    return this.deps.db.transaction().execute(async (trx) => {
      const finding = await this.mustGet(trx, findingId);
      this.assertOpen(finding);
      if (status === 'not_duplicate' && finding.ruleId !== setRules.duplicate.id) {
        throw new DomainError('invalid', 'NOT_A_DUPLICATE', 'only duplicate findings can be marked distinct', 'Dismiss the finding instead');
      }
      const at = this.now();
      await findingRepository.setStatus(trx, findingId, status, at);
      await scoreRepository.insertAction(trx, { actionId: this.newId(), findingId, action, officerId: d.officerId, reason: d.reason, eventId, actedAt: at });
      return { finding: await this.mustGet(trx, findingId), eventId, stillFailing: false };
    });
  }
}

/** Splits fresh findings against stored statuses: new, still open, to reopen; officers' decisions stay. */
function diffFindings(found: readonly Finding[], previous: ReadonlyMap<string, string>): { inserted: Finding[]; stillOpen: Finding[]; reopened: Finding[] } {
  const inserted: Finding[] = [];
  const stillOpen: Finding[] = [];
  const reopened: Finding[] = [];
  const seen = new Set<string>();
  for (const f of found) {
    if (seen.has(f.findingId)) continue;
    seen.add(f.findingId);
    const status = previous.get(f.findingId);
    if (status === undefined) inserted.push(f);
    else if (status === 'open') stillOpen.push(f);
    else if (!decidedStatuses.has(status)) reopened.push(f);
  }
  return { inserted, stillOpen, reopened };
}

function linkedOf(r: ScanRow): LinkedPerson {
  return { id: r.id_number, sex: r.sex, birthDate: r.birth_date, spouseId: r.spouse_id, fatherId: r.father_id, motherId: r.mother_id };
}

function candidateOf(r: ScanRow): DuplicateCandidate {
  return {
    id: r.id_number, nameFolded: r.name_folded, birthDate: r.birth_date, sex: r.sex, birthProvince: r.birth_province, fatherId: r.father_id,
    motherId: r.mother_id, spouseId: r.spouse_id, hometown: r.hometown, commune: r.permanent_commune ?? r.current_commune,
  };
}

/** The per-record rule ids, for callers that show them apart from the cross-record ones. */
export const recordRuleIds: readonly string[] = recordRules.map((r) => r.id);
