/**
 * The quality module's tables; `DB` in store/database.types.ts extends this interface.
 *
 * Sized for 100 million people: findings hold only records that fail a rule (a few percent),
 * keyed by a stable finding id; scores are one row per scope and score group per snapshot.
 */
export interface QualityTables {
  quality_findings: QualityFindingsTable;
  quality_actions: QualityActionsTable;
  quality_scans: QualityScansTable;
  quality_scores: QualityScoresTable;
  quality_correction_requests: QualityCorrectionRequestsTable;
}

/** One rule failing on one record (or one pair of records, for duplicates). */
export interface QualityFindingsTable {
  /** `<rule id>:<record id>` or `<rule id>:<record id>:<related id>` for pair rules: stable across scans. */
  finding_id: string;
  rule_id: string;
  /** 'correct' | 'complete' | 'clean' | 'live'. */
  score_group: string;
  severity: string;
  field: string;
  /** 'person' or 'household'. */
  record_kind: string;
  record_id: string;
  /** The other record of a pair (duplicate, spouse), or null. */
  related_id: string | null;
  /** The commune that owns the record (its officers work the finding); '' when unknown. */
  commune_code: string;
  /** The 2-digit 2025 province of that commune; '' when unknown. */
  province_code: string;
  /** What was found, without personal data beyond the record's own ID. */
  detail: string;
  detected_at: string;
  last_seen_at: string;
  /** 'open' | 'no_longer_failing' | 'corrected' | 'dismissed' | 'merged' | 'not_duplicate' (finding.types.ts). */
  status: string;
  closed_at: string | null;
}

/** Append-only: every officer action on a finding, attributed. */
export interface QualityActionsTable {
  action_id: string;
  finding_id: string;
  /** 'resolve' | 'dismiss' | 'merge' | 'distinct'. */
  action: string;
  officer_id: string;
  reason: string;
  /** The correction life event that resolved it, when there is one. */
  event_id: string | null;
  acted_at: string;
}

export interface QualityScansTable {
  scan_id: string;
  /** 'full' (snapshots scores) or 'incremental'. */
  kind: string;
  started_at: string;
  finished_at: string;
  persons: number;
  findings_open: number;
  findings_new: number;
  findings_fixed: number;
}

/** A scorecard row: one scope (national, a province, a commune, a rule, a field) and score group, at one scan. */
export interface QualityScoresTable {
  scan_id: string;
  taken_at: string;
  /** 'national' | 'province' | 'commune' | 'rule' | 'field'. */
  scope: string;
  /** '' for national; the province or commune code; the rule id; the field name. */
  scope_code: string;
  /** The province of a commune row (for drill-down); '' otherwise. */
  parent_code: string;
  /** 'correct' | 'complete' | 'clean' | 'live' | 'overall'. */
  score_group: string;
  records: number;
  failing: number;
  /** 0-100: the share of records with no open finding in the group. */
  score: number;
}

/** A citizen's request to correct a field of their record: the worklist finding it opened, and what they wrote. */
export interface QualityCorrectionRequestsTable {
  request_id: string;
  /** The finding in the commune's worklist (rule `citizen.correction_request`); its status is the request's. */
  finding_id: string;
  person_id: string;
  /** The e-ID account that asked. */
  account_id: string;
  field: string;
  /** The citizen's explanation (personal: shown to the commune's officers and the citizen only, never logged). */
  explanation: string;
  /** What the citizen offers as proof (a document's name and number), or null. */
  evidence: string | null;
  created_at: string;
}
