import { storedDetail, type FindingDetail } from './finding-detail.js';
import type { QualityRule, ScoreGroup } from './quality-rule.catalog.js';

/**
 * The states of a finding, named as a quality officer tells them apart (migration 0071 renamed
 * fixed, resolved and distinct): `no_longer_failing`, a later check no longer finds it (the record
 * changed some other way); `corrected`, an officer's correction through the worklist made it pass;
 * `not_duplicate`, two suspected duplicates are two persons. `dismissed` (a false alarm) and
 * `merged` are officers' decisions too.
 */
export type FindingStatus = 'open' | 'no_longer_failing' | 'corrected' | 'dismissed' | 'merged' | 'not_duplicate';

/** Officers' decisions that keep a finding closed even if the rule still fires. */
export const decidedStatuses: ReadonlySet<string> = new Set(['dismissed', 'merged', 'not_duplicate']);

/**
 * The worklist entries that citizens open themselves (correction-request.service.ts): no scan
 * produces or closes them and they count in no score; officers resolve (correct) or dismiss them.
 */
export const correctionRequestRuleId = 'citizen.correction_request';

/** A rule failing on a record, as a check produces it (before storage). */
export interface Finding {
  readonly findingId: string;
  readonly ruleId: string;
  readonly group: ScoreGroup;
  readonly severity: string;
  readonly field: string;
  readonly recordKind: 'person' | 'household';
  readonly recordId: string;
  readonly relatedId: string | null;
  readonly communeCode: string;
  readonly provinceCode: string;
  /** What is wrong, as stored: English with ISO dates (finding-detail.ts reads its code back). */
  readonly detail: string;
}

/** A stored finding, with its life cycle. */
export interface StoredFinding extends Finding {
  readonly detectedAt: string;
  readonly lastSeenAt: string;
  readonly status: FindingStatus;
  readonly closedAt: string | null;
}

/** Where a record belongs: its commune (the one whose officers work its findings) and that commune's province. */
export interface Owner {
  readonly communeCode: string;
  readonly provinceCode: string;
}

/** Builds a finding with its stable id. */
export function makeFinding(rule: QualityRule, recordKind: 'person' | 'household', recordId: string, owner: Owner, problem: FindingDetail, relatedId: string | null = null): Finding {
  return {
    findingId: relatedId === null ? `${rule.id}:${recordId}` : `${rule.id}:${recordId}:${relatedId}`,
    ruleId: rule.id,
    group: rule.group,
    severity: rule.severity,
    field: rule.field,
    recordKind,
    recordId,
    relatedId,
    communeCode: owner.communeCode,
    provinceCode: owner.provinceCode,
    detail: storedDetail(problem),
  };
}
