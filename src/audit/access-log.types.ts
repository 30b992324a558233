/**
 * The access log's public interface: what the exchange calls for every release of a person's data.
 *
 * Stable: the exchange builds against this file. The implementation is `openAccessLog` in
 * src/audit/access-log.service.ts.
 */

import type { TemplatedLeaves } from './access-journal.format.js';

/**
 * Who may see an access record in the citizen's tracker, and from when. Police and other
 * enquiries that must not be tipped off are deferred: the record is in the log (and in every
 * checkpoint) at once, but the tracker shows it only from `deferredUntil` (a YYYY-MM-DD date) on.
 */
export type AccessVisibility = 'public' | { readonly deferredUntil: string };

/**
 * One release of one person's data. Appended before the response leaves.
 *
 * @example
 * const record: AccessRecordInput = {
 *   personId: '079203012345',
 *   at: '2026-11-27T14:20:00.000Z',
 *   clientId: 'VN/GOV/BHXH/insurance-portal',
 *   receivingAgency: 'Bảo hiểm xã hội Việt Nam',
 *   officerId: 'officer-0042',
 *   service: 'person.verify',
 *   purpose: 'Xác minh nhân thân khi cấp thẻ BHYT',
 *   legalBasis: 'Luật Căn cước 2023, Điều 10',
 *   fields: ['fullName', 'birthDate'],
 *   visibility: 'public',
 *   requestId: 'b1e5c3a2-…',
 * };
 */
export interface AccessRecordInput {
  /** The 12-digit ID number of the person whose data was released. */
  readonly personId: string;
  /** When the data was released: an ISO 8601 instant with a zone (e.g. `2026-11-27T14:20:00.000Z`). */
  readonly at: string;
  /** The X-Road style client that asked: `VN/GOV/<member>/<subsystem>`. */
  readonly clientId: string;
  /** The agency that receives the data, when it is not the client's member itself. */
  readonly receivingAgency?: string | undefined;
  /** The officer (or system user) on whose behalf the client asked. */
  readonly officerId: string;
  /** The exchange service that released the data (e.g. `person.verify`). */
  readonly service: string;
  /** Why, in words the citizen can read. */
  readonly purpose: string;
  /** The law (or consent) under which the release was allowed. */
  readonly legalBasis: string;
  /** The consent the release relied on, if any. */
  readonly consentId?: string | undefined;
  /** The names of the fields released (never their values). */
  readonly fields: readonly string[];
  readonly visibility: AccessVisibility;
  /** The exchange's request id, to join the record to the request log. */
  readonly requestId: string;
  /** A case or file reference on the receiving side (e.g. a police case number). */
  readonly caseReference?: string | undefined;
  /**
   * An official's read inside the registry (official-read.recorder.ts): who read. Absent on the
   * exchange's releases, whose leaves are unchanged. `officer` or `service_account`, or `job` for
   * a bulk job (an export, a reconciliation) that included the person.
   */
  readonly readerKind?: 'officer' | 'service_account' | 'job' | undefined;
  /** The reader's role (e.g. `commune_officer`), or the job's kind (`person.export`, `reconcile`). */
  readonly readerRole?: string | undefined;
  /** The reader's unit: `nation`, `province:<2 digits>` or `commune:<5 digits>` (2025 codes). */
  readonly readerUnit?: string | undefined;
  /** Present (true) only on a break-glass read: outside the reader's unit, with a written reason. */
  readonly breakGlass?: true | undefined;
  /**
   * SHA-256 (lowercase hex) of the break-glass reason's UTF-8 text: the leaf commits to the reason
   * the auditors read (table break_glass_reasons) without showing it in the citizen's tracker.
   */
  readonly breakGlassReasonSha256?: string | undefined;
  /** The bulk job that included the person. */
  readonly jobId?: string | undefined;
  /** SHA-256 (lowercase hex) over the job's sorted person ids, each followed by a newline. */
  readonly jobHash?: string | undefined;
}

/** Proof that a record was durably appended: its position and RFC 6962 leaf hash. */
export interface AppendReceipt {
  /** 0-based position of the record in the log (the Merkle leaf index). */
  readonly index: number;
  /** SHA-256(0x00 ‖ canonical JSON of the record), lowercase hex. */
  readonly leafHash: string;
}

/**
 * The append-only Merkle log of access records.
 *
 * Both methods resolve only once the records are committed to the store (in the same
 * transaction as the tree's hashes). Concurrent `append` calls are group-committed: they are
 * buffered for a millisecond or two (or until a batch is full) and written in one transaction,
 * so awaiting `append` per request is cheap. A rejected promise means the record was NOT
 * written: the caller must not release the data. Do not await an append inside a database
 * transaction: the log commits its own transactions (on SQLite the store has one connection, so
 * such an append would wait for its own caller; it fails with ACCESS_LOG_BUSY after 10 s).
 *
 * @example
 * const receipt = await accessLog.append(record); // then send the response
 */
export interface AccessLog {
  /** Appends one record; resolves once it is durable. Throws DomainError('invalid', …) for a malformed record. */
  append(record: AccessRecordInput): Promise<AppendReceipt>;
  /** Appends several records in one transaction, in the given order; resolves once all are durable. */
  appendMany(records: readonly AccessRecordInput[]): Promise<readonly AppendReceipt[]>;
  /**
   * Appends records whose index the caller does not need (officials' reads): resolves once they
   * are durable, which with the access journal is before they are folded into the tree (a few
   * milliseconds later; readers of the log wait for that). Without the journal it is appendMany.
   */
  appendUnindexed?(records: readonly AccessRecordInput[]): Promise<void>;
  /**
   * appendUnindexed for the records of one read from a leaf template whose leaves are exactly
   * prepareAccessLeaf's (the officials' read recorder's templates, held equal by a test).
   */
  appendLeaves?(leaves: TemplatedLeaves): Promise<void>;
  /** Writes what is buffered and stops accepting appends. */
  close(): Promise<void>;
}
