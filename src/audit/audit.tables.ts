import type { AlertSubjectKind } from './misuse-alert.types.js';

/**
 * The audit module's tables; `DB` in store/database.types.ts extends this interface.
 *
 * The access log is an RFC 6962 Merkle tree. Records and the tree's hashes are written in the same
 * transaction, and neither is ever updated or deleted.
 */
export interface AuditTables {
  access_records: AccessRecordsTable;
  access_log_nodes: AccessLogNodesTable;
  access_log_head: AccessLogHeadTable;
  access_log_checkpoints: AccessLogCheckpointsTable;
  access_log_journal_marks: AccessLogJournalMarksTable;
  access_person_runs: AccessPersonRunsTable;
  access_person_entries: AccessPersonEntriesTable;
  sensitive_persons: SensitivePersonsTable;
  break_glass_reasons: BreakGlassReasonsTable;
  bulk_jobs: BulkJobsTable;
  bulk_job_members: BulkJobMembersTable;
  /** Misuse alerts, of agencies' clients and of officials (the table keeps its first name). */
  exchange_alerts: MisuseAlertsTable;
  admin_actions: AdminActionsTable;
}

/**
 * The administration log (migration 0041, in the registry's store): who changed an officer or a
 * citizen's consent, how, when. `detail` is the action's terms as JSON (a role, a legal basis).
 */
export interface AdminActionsTable {
  action_id: string;
  at: string;
  actor_id: string;
  action: string;
  subject: string;
  detail: string;
}

/**
 * Persons whose reads by officials always alert the auditors (migration 0012, in the registry's
 * store): public figures, protected witnesses, victims. Who flagged and why, never the person's data.
 */
export interface SensitivePersonsTable {
  person_id: string;
  flagged_by: string;
  flagged_at: string;
  /** Why the person is sensitive (for the auditors; never logged). */
  note: string;
}

/**
 * The written reasons of break-glass reads, for the auditors. The access record carries the
 * reason's SHA-256 (breakGlassReasonSha256), so a reason here is checked against the log.
 */
export interface BreakGlassReasonsTable {
  request_id: string;
  reader_id: string;
  reason: string;
  reason_sha256: string;
  recorded_at: string;
  /** The read's action (person.read, household.read); null on rows from before migration 0014. */
  action: string | null;
  /** JSON array of the ID numbers the answer showed; null on rows from before migration 0014. */
  person_ids: string | null;
}

/**
 * A bulk job that included persons (an export, a reconciliation): its kind and the SHA-256 over its
 * sorted person ids that every per-person access record of the job also carries (jobHash).
 */
export interface BulkJobsTable {
  job_id: string;
  kind: string;
  reader_id: string;
  persons: number;
  persons_sha256: string;
  /** The job's access record in the log (its leaf index). */
  log_index: number;
  recorded_at: string;
}

/** One person a bulk job included: the tracker shows the job's access record to them. */
export interface BulkJobMembersTable {
  person_id: string;
  job_id: string;
}

/**
 * One release of a person's data: leaf `idx` of the tree. The record is kept as its leaf, the
 * RFC 8785 canonical JSON that is hashed, so that what is stored is exactly what was hashed;
 * `person_id` and `deferred_until` repeat two of its members for the citizen's tracker (and
 * verification checks that they agree with the leaf).
 */
export interface AccessRecordsTable {
  /** 0-based leaf index; dense and ascending. */
  idx: number;
  person_id: string;
  /** YYYY-MM-DD from which the citizen's tracker shows the record; null: at once. */
  deferred_until: string | null;
  /** The canonical JSON of the record (see access-record.ts). */
  leaf: string;
  /** SHA-256(0x00 ‖ leaf): the tree's level-0 node. */
  leaf_hash: Buffer;
}

/**
 * Every complete interior subtree of the tree: level l ≥ 1, index i holds the hash of leaves
 * [i·2^l, (i+1)·2^l) (level 0 is access_records.leaf_hash). Written once, in the transaction that
 * completes the subtree, so that any proof or root needs O(log n) point reads and never
 * recomputes the tree.
 */
export interface AccessLogNodesTable {
  level: number;
  idx: number;
  /** 32-byte SHA-256. */
  hash: Buffer;
}

/** How far each segment of the access journal is folded into the tree (migration 0016; access-journal.folder.ts). */
export interface AccessLogJournalMarksTable {
  segment: string;
  /** Bytes of the segment whose records are in the tree; moved in the same transaction as they are. */
  folded_to: number;
}

/** A single row (id 1): the committed tree size. Writers update it in their transaction, which serialises them. */
export interface AccessLogHeadTable {
  id: number;
  tree_size: number;
  /** Records with index below this are in the person index (access_person_entries); the indexer moves it forward. */
  indexed_size: number;
}

/**
 * The citizen's tracker index, as sorted runs (person-index.writer.ts): one row a run. Derived
 * from access_records: rebuilt, never trusted by verification.
 */
export interface AccessPersonRunsTable {
  run: number;
  /** 0 for a run of new records; a merge of runs of tier t makes one of tier t + 1. */
  tier: number;
  /** merging: taking in its sources' entries, a slice a transaction; sealed: complete. */
  state: 'merging' | 'sealed';
  row_count: number;
  /** Set on a source of a merge: the run its entries move to. */
  merging_into: number | null;
  /** On a merging run: every source entry up to and including (merged_person_id, merged_idx) has moved. */
  merged_person_id: string | null;
  merged_idx: number | null;
}

/** (run, person, record index): within a run, sorted by person; each record indexed in exactly one run. */
export interface AccessPersonEntriesTable {
  run: number;
  person_id: string;
  idx: number;
}

/** Signed checkpoints (C2SP signed notes) of the tree at some size. */
export interface AccessLogCheckpointsTable {
  tree_size: number;
  /** Lowercase hex SHA-256 root. */
  root_hash: string;
  /** The whole signed note, as published. */
  note: string;
  created_at: string;
}

/** An officer or client reading far more than its own usual pattern. */
export interface MisuseAlertsTable {
  alert_id: string;
  subject_kind: AlertSubjectKind;
  /** The officer id or the client id. */
  subject_id: string;
  client_id: string;
  window_start: string;
  window_seconds: number;
  reads: number;
  /** The subject's usual reads per window (EWMA) when the alert was raised. */
  baseline: number;
  raised_at: string;
  status: 'open' | 'acknowledged';
  acknowledged_at: string | null;
}
