import type { Kysely } from 'kysely';
import { isoDay, type Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { AccessLogCheckpointsTable, AccessRecordsTable } from './audit.tables.js';
import { accessLogRepository, nodeKey, type NodeRange } from './access-log.repository.js';
import type { AccessRecordInput } from './access-log.types.js';
import { isCalendarDate, parseLeaf } from './access-record.js';
import { officialReadRepository } from './official-read.repository.js';
import { checkPersonIndex, PersonIndexTally, type PersonIndexProblemCode, type PersonIndexSummary } from './person-index.check.js';
import { formatCheckpoint, openCheckpoint, parseVerifierKey, type Checkpoint, type NoteSigner } from './checkpoint-note.js';
import {
  appendToFrontier, consistencyProof, inclusionProof, leafHash, nodesRead, rootAt, rootFromFrontier,
  type NodeReader, type TreeNode,
} from './merkle-tree.js';

/** A signed checkpoint as published: the note and what it says. */
export interface SignedCheckpoint {
  readonly treeSize: number;
  /** Lowercase hex. */
  readonly rootHash: string;
  /** The C2SP signed note (checkpoint text and Ed25519 signature). */
  readonly note: string;
  /** The verifier key that checks the note: `<origin>+<hash>+<key>`. */
  readonly verifierKey: string;
}

/** An inclusion proof of one leaf in the tree of `treeSize` leaves. */
export interface InclusionProof {
  readonly index: number;
  readonly treeSize: number;
  readonly leafHash: string;
  /** RFC 9162 audit path, leaf side first, lowercase hex. */
  readonly proof: readonly string[];
}

/** One entry of a citizen's tracker: who used their data, when, why, under which law or consent. */
export interface TrackerEntry {
  readonly index: number;
  readonly record: AccessRecordInput;
  /** The canonical JSON leaf that was hashed: SHA-256(0x00 ‖ leaf) is leafHash. */
  readonly leaf: string;
  readonly leafHash: string;
  /** Inclusion proof against the tracker page's checkpoint. */
  readonly proof: readonly string[];
}

/** A page of a citizen's tracker. */
export interface TrackerPage {
  readonly personId: string;
  /** The day the page was read for: deferred entries appear from their date on. */
  readonly visibleOn: string;
  readonly checkpoint: SignedCheckpoint | undefined;
  readonly entries: readonly TrackerEntry[];
  /** Pass as `before` to read older entries; absent on the last page. */
  readonly nextBefore: number | undefined;
}

/** One problem found by verification. */
export interface VerifyProblem {
  readonly code:
    | 'HEAD_MISMATCH' | 'RECORD_MISSING' | 'RECORD_UNEXPECTED' | 'RECORD_ALTERED' | 'RECORD_MALFORMED' | 'RECORD_INDEX_MISMATCH'
    | 'NODE_MISMATCH' | 'NODE_MISSING' | 'NODE_UNEXPECTED' | 'CHECKPOINT_MISMATCH' | 'CHECKPOINT_BEYOND_LOG' | 'CHECKPOINT_SIGNATURE'
    | PersonIndexProblemCode;
  /** Record indexes and counts only: never personal data. */
  readonly message: string;
  readonly index?: number;
}

/** What `verify` found. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly recordsChecked: number;
  readonly checkpointsChecked: number;
  /** The tracker's person index against the records (person-index.check.ts). */
  readonly personIndex: PersonIndexSummary;
  /** The first problems found (at most 100). */
  readonly problems: readonly VerifyProblem[];
}

export interface AuditServiceDeps {
  readonly db: Kysely<DB>;
  readonly signer: NoteSigner;
  readonly clock: Clock;
  /**
   * The registry's store, where bulk jobs keep their members (bulk_job_members): the tracker then
   * shows each job's one access record to every person it included. Without it the tracker shows
   * no bulk jobs (the access log's own store has no such tables).
   */
  readonly registryDb?: Kysely<DB>;
  /** Resolves once every record acknowledged so far is in the tree (the access journal's fold): reads of the log wait for it. */
  readonly settled?: () => Promise<void>;
}

const maxProblems = 100;

/** One break-glass read as the auditors review it. */
export interface BreakGlassRead {
  readonly requestId: string;
  readonly readerId: string;
  /** person.read or household.read; null for reads recorded before migration 0014. */
  readonly action: string | null;
  readonly personIds: readonly string[];
  readonly reason: string;
  readonly reasonSha256: string;
  readonly recordedAt: string;
}

export interface BreakGlassReadsPage {
  readonly items: readonly BreakGlassRead[];
  readonly nextCursor: string | null;
}

function decodeBreakGlassCursor(cursor: string): { readonly recordedAt: string; readonly requestId: string } {
  const [recordedAt, requestId, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (recordedAt === undefined || requestId === undefined || rest.length > 0 || Number.isNaN(Date.parse(recordedAt)) || requestId === '') {
    throw new DomainError('invalid', 'BREAK_GLASS_CURSOR_INVALID', 'The cursor is not one this list gave', 'Start again without a cursor, then pass nextCursor as given', { field: 'cursor' });
  }
  return { recordedAt, requestId };
}
const verifyPage = 10_000;

/**
 * Reading the access log: signed checkpoints, inclusion and consistency proofs, the citizen's
 * tracker and the verification of the whole log. Appending is `openAccessLog` (access-log.service.ts).
 */
export class AuditService {
  constructor(private readonly deps: AuditServiceDeps) {}

  /** The verifier key of this log's checkpoints. */
  get verifierKey(): string {
    return this.deps.signer.verifierKey;
  }

  /** The committed tree size. */
  async treeSize(): Promise<number> {
    await this.deps.settled?.();
    return accessLogRepository.treeSize(this.deps.db);
  }

  /** Runs `compute` over the stored tree, fetching every node it reads in one round of queries. */
  private async withNodes<T>(compute: (read: NodeReader) => T): Promise<T> {
    const keys = nodesRead(compute);
    const found = await accessLogRepository.nodes(this.deps.db, keys);
    return compute((level, index) => {
      const hash = found.get(nodeKey(level, index));
      if (hash === undefined) {
        throw new DomainError('unavailable', 'ACCESS_LOG_DAMAGED', `The access log lacks its subtree ${level}/${index}`, 'Run `sachsong audit verify` and restore the store from a backup');
      }
      return hash;
    });
  }

  private async requireSize(treeSize: number, what: string): Promise<void> {
    const committed = await this.treeSize();
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > committed) {
      throw new DomainError('invalid', 'TREE_SIZE_INVALID', `${what} must be between 1 and the log's size, ${committed}`, 'Ask for a tree size from a published checkpoint');
    }
  }

  /** The root hash of the tree of the first `treeSize` records. */
  async rootAt(treeSize: number): Promise<Buffer> {
    await this.requireSize(treeSize, 'treeSize');
    return this.withNodes((read) => rootAt(read, treeSize));
  }

  /** The latest signed checkpoint, or undefined while the log has never been checkpointed. */
  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const row = await accessLogRepository.latestCheckpoint(this.deps.db);
    return row === undefined ? undefined : this.published(row);
  }

  private published(row: AccessLogCheckpointsTable): SignedCheckpoint {
    return { treeSize: row.tree_size, rootHash: row.root_hash, note: row.note, verifierKey: this.verifierKey };
  }

  /**
   * Signs a checkpoint of the committed tree, unless the latest one already covers at least
   * `atLeast` records (default: the whole committed tree). Returns undefined for an empty log.
   */
  async checkpoint(atLeast?: number): Promise<SignedCheckpoint | undefined> {
    const latest = await accessLogRepository.latestCheckpoint(this.deps.db);
    const size = await this.treeSize();
    if (latest !== undefined && latest.tree_size >= (atLeast ?? size)) return this.published(latest);
    if (size === 0) return undefined;
    const root = await this.withNodes((read) => rootAt(read, size));
    const checkpoint: Checkpoint = { origin: this.deps.signer.name, treeSize: size, rootHash: root };
    const row: AccessLogCheckpointsTable = {
      tree_size: size,
      root_hash: root.toString('hex'),
      note: this.deps.signer.sign(formatCheckpoint(checkpoint)),
      created_at: this.deps.clock.now().toISOString(),
    };
    await accessLogRepository.insertCheckpoint(this.deps.db, row);
    return this.published(row);
  }

  /** RFC 9162 inclusion proof of record `index` in the tree of `treeSize` records (default: the latest checkpoint's). */
  async inclusion(index: number, treeSize?: number): Promise<InclusionProof> {
    const size = treeSize ?? (await this.checkpoint(index + 1))?.treeSize ?? 0;
    await this.requireSize(size, 'treeSize');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new DomainError('invalid', 'LEAF_INDEX_INVALID', `index must be between 0 and ${size - 1}`, 'Ask for a record index below the tree size');
    }
    return this.withNodes((read) => ({
      index,
      treeSize: size,
      leafHash: read(0, index).toString('hex'),
      proof: inclusionProof(read, index, size).map((h) => h.toString('hex')),
    }));
  }

  /** RFC 9162 consistency proof between the trees of `first` and `second` records. */
  async consistency(first: number, second: number): Promise<{ readonly first: number; readonly second: number; readonly proof: readonly string[] }> {
    await this.requireSize(second, 'second');
    if (!Number.isSafeInteger(first) || first < 1 || first > second) {
      throw new DomainError('invalid', 'TREE_SIZE_INVALID', 'first must be between 1 and second', 'Ask for the consistency of an older checkpoint with a newer one');
    }
    return this.withNodes((read) => ({ first, second, proof: consistencyProof(read, first, second).map((h) => h.toString('hex')) }));
  }

  /**
   * Break-glass reads for the auditors, newest first: who read, what, whose data and the written
   * reason (whose SHA-256 the access record carries). `cursor` is the previous page's nextCursor.
   *
   * @example
   * const page = await audit.breakGlassReads({ from: '2026-12-01T00:00:00Z', limit: 50 });
   * page.items[0]?.reason; // 'Người dân bị tai nạn tại địa bàn, cần xác minh'
   */
  async breakGlassReads(query: { readonly limit?: number; readonly from?: string; readonly to?: string; readonly cursor?: string } = {}): Promise<BreakGlassReadsPage> {
    const registryDb = this.deps.registryDb;
    if (registryDb === undefined) {
      throw new DomainError('unavailable', 'BREAK_GLASS_READS_UNAVAILABLE', 'Break-glass reasons are not kept on this store', 'Ask the system administrator: the reasons are kept in the registry store');
    }
    for (const [name, value] of [['from', query.from], ['to', query.to]] as const) {
      if (value !== undefined && Number.isNaN(Date.parse(value))) {
        throw new DomainError('invalid', 'BREAK_GLASS_QUERY_INVALID', `${name} is not an instant`, 'Give an ISO 8601 instant, e.g. 2026-12-01T00:00:00Z', { field: name });
      }
    }
    const limit = query.limit ?? 50;
    const before = query.cursor === undefined ? undefined : decodeBreakGlassCursor(query.cursor);
    const rows = await officialReadRepository.breakGlassReads(registryDb, {
      limit: limit + 1,
      ...(query.from === undefined ? {} : { from: new Date(query.from).toISOString() }),
      ...(query.to === undefined ? {} : { to: new Date(query.to).toISOString() }),
      ...(before === undefined ? {} : { before }),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        requestId: r.request_id,
        readerId: r.reader_id,
        action: r.action,
        personIds: r.person_ids === null ? [] : (JSON.parse(r.person_ids) as string[]),
        reason: r.reason,
        reasonSha256: r.reason_sha256,
        recordedAt: r.recorded_at,
      })),
      nextCursor: rows.length > limit && last !== undefined ? Buffer.from(`${last.recorded_at}|${last.request_id}`, 'utf8').toString('base64url') : null,
    };
  }

  /**
   * The citizen's tracker: the person's access records visible on `visibleOn` (default the clock's
   * today), newest first, each with its inclusion proof against a signed checkpoint that covers it.
   */
  async tracker(personId: string, options: { readonly visibleOn?: string; readonly limit?: number; readonly before?: number } = {}): Promise<TrackerPage> {
    if (!/^\d{12}$/.test(personId)) {
      throw new DomainError('invalid', 'ID_NUMBER_MALFORMED', 'An ID number has 12 digits', 'Check the number on the ID card');
    }
    const visibleOn = options.visibleOn ?? isoDay(this.deps.clock.now());
    if (!isCalendarDate(visibleOn)) throw new DomainError('invalid', 'DATE_INVALID', 'The date must be YYYY-MM-DD', 'Give a calendar date');
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    // Reads acknowledged a moment ago are in the journal: the tracker shows them once they are in the tree.
    await this.deps.settled?.();
    const own = await accessLogRepository.personRecords(this.deps.db, personId, visibleOn, limit + 1, options.before);
    const rows = await this.withJobs(own, personId, limit + 1, options.before);
    const page = rows.slice(0, limit);
    const newest = page[0]?.idx;
    const checkpoint = newest === undefined ? await this.latestCheckpoint() : await this.checkpoint(newest + 1);
    const size = checkpoint?.treeSize ?? 0;
    const proofs = await this.withNodes((read) => page.map((row) => inclusionProof(read, row.idx, size)));
    return {
      personId,
      visibleOn,
      checkpoint,
      entries: page.map((row, i) => trackerEntry(row, proofs[i] ?? [])),
      nextBefore: rows.length > limit ? page.at(-1)?.idx : undefined,
    };
  }

  /** The person's own records merged with the records of the bulk jobs that included them, newest first. */
  private async withJobs(own: readonly AccessRecordsTable[], personId: string, limit: number, before: number | undefined): Promise<AccessRecordsTable[]> {
    if (this.deps.registryDb === undefined) return [...own];
    const jobIndexes = await officialReadRepository.personJobIndexes(this.deps.registryDb, personId, limit, before);
    if (jobIndexes.length === 0) return [...own];
    const jobs = (await Promise.all(jobIndexes.map((i) => accessLogRepository.record(this.deps.db, i)))).filter((r): r is AccessRecordsTable => r !== undefined);
    return [...own, ...jobs].sort((a, b) => b.idx - a.idx).slice(0, limit);
  }

  /**
   * Checks the whole log: every record's leaf against its stored hash, every stored subtree
   * against the one recomputed from the leaves, the committed size, and every stored checkpoint
   * (signature and root), plus `external` checkpoints (signed notes kept elsewhere, e.g. by a
   * citizen or an auditor). Then the tracker's person index against the records: every record below
   * its mark indexed exactly once, under its own person (person-index.check.ts). O(n) reads in
   * pages; memory O(log n + page + n / 4,096).
   */
  async verify(external: readonly string[] = [], onProgress?: (records: number) => void): Promise<VerifyReport> {
    await this.deps.settled?.();
    const db = this.deps.db;
    const problems: VerifyProblem[] = [];
    const report = (p: VerifyProblem): void => {
      if (problems.length < maxProblems) problems.push(p);
    };
    const verifier = parseVerifierKey(this.verifierKey);
    const expected = new Map<number, { readonly root: Buffer; readonly source: string }[]>();
    const expect = (checkpoint: Checkpoint, source: string): void => {
      expected.set(checkpoint.treeSize, [...(expected.get(checkpoint.treeSize) ?? []), { root: checkpoint.rootHash, source }]);
    };
    const stored = await accessLogRepository.checkpoints(db);
    for (const row of stored) {
      try {
        const checkpoint = openCheckpoint(row.note, verifier);
        if (checkpoint.treeSize !== row.tree_size || checkpoint.rootHash.toString('hex') !== row.root_hash) {
          report({ code: 'CHECKPOINT_SIGNATURE', message: `stored checkpoint ${row.tree_size}: its columns disagree with its signed note` });
        }
        expect(checkpoint, `stored checkpoint ${row.tree_size}`);
      } catch (error) {
        report({ code: 'CHECKPOINT_SIGNATURE', message: `stored checkpoint ${row.tree_size}: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    // External checkpoints are checked by the caller's parse (openCheckpoint throws on a bad signature).
    for (const [i, note] of external.entries()) expect(openCheckpoint(note, verifier), `checkpoint file ${i + 1}`);

    const head = await accessLogRepository.treeSize(db);
    // The index's mark before the records are read: the records below it are summed as they pass.
    const tally = new PersonIndexTally(await accessLogRepository.indexedSize(db));
    const frontier: TreeNode[] = [];
    let next = 0;
    let checkpointsChecked = 0;
    let gap = false;
    const checkRoots = (size: number): void => {
      for (const want of expected.get(size) ?? []) {
        checkpointsChecked++;
        if (!rootFromFrontier(frontier).equals(want.root)) {
          report({ code: 'CHECKPOINT_MISMATCH', message: `${want.source}: the log's root at ${size} records differs from the signed root (records were changed, removed or reordered)` });
        }
      }
    };
    records: for (;;) {
      const rows = await accessLogRepository.recordsFrom(db, next, verifyPage);
      if (rows.length === 0) break;
      const first = rows[0]?.idx ?? next;
      const last = (rows.at(-1)?.idx ?? next) + 1;
      const nodes = await accessLogRepository.nodeRanges(db, completedRanges(first, last));
      for (const row of rows) {
        if (row.idx !== next) {
          report({ code: 'RECORD_MISSING', index: next, message: `records ${next}..${row.idx - 1} are missing` });
          // The tree cannot be recomputed past a gap: the rest is judged by the checkpoints (which will fail).
          gap = true;
          break records;
        }
        const hash = leafHash(row.leaf);
        if (!hash.equals(row.leaf_hash)) {
          report({ code: 'RECORD_ALTERED', index: row.idx, message: `record ${row.idx} does not hash to its stored leaf hash` });
        }
        const record = parseLeaf(row.leaf);
        // The index must hold the leaf's person, which the tree proves, not the column beside it.
        tally.addRecord(row.idx, record?.personId ?? row.person_id);
        if (record === undefined) report({ code: 'RECORD_MALFORMED', index: row.idx, message: `record ${row.idx} is not a canonical access record` });
        else if (record.personId !== row.person_id || (record.visibility === 'public' ? null : record.visibility.deferredUntil) !== row.deferred_until) {
          report({ code: 'RECORD_INDEX_MISMATCH', index: row.idx, message: `record ${row.idx}: its person or deferral columns disagree with its leaf` });
        }
        // The tree is rebuilt from the leaves themselves, not from the stored leaf hashes.
        for (const node of appendToFrontier(frontier, row.idx, hash)) {
          if (node.level === 0) continue;
          const storedHash = nodes.get(nodeKey(node.level, node.index));
          if (storedHash === undefined) report({ code: 'NODE_MISSING', index: row.idx, message: `subtree ${node.level}/${node.index} is missing` });
          else if (!storedHash.equals(node.hash)) report({ code: 'NODE_MISMATCH', index: row.idx, message: `subtree ${node.level}/${node.index} differs from the one recomputed from the records` });
        }
        next = row.idx + 1;
        checkRoots(next);
      }
      onProgress?.(next);
    }
    if (!gap) {
      const storedNodes = await accessLogRepository.nodeCount(db);
      const expectedNodes = interiorNodeCount(next);
      if (storedNodes > expectedNodes) report({ code: 'NODE_UNEXPECTED', message: `${storedNodes - expectedNodes} stored subtrees lie beyond the log's records` });
    }
    const personIndex = await checkPersonIndex(db, tally, report);
    return finish(problems, head, frontier, next, checkpointsChecked, expected, personIndex);
  }

  /** Verifies a signed checkpoint note against this log's key; throws DomainError('invalid') when it does not verify. */
  openCheckpoint(note: string): Checkpoint {
    return openCheckpoint(note, parseVerifierKey(this.verifierKey));
  }
}

function finish(
  problems: VerifyProblem[], head: number, frontier: readonly TreeNode[], size: number, checkpointsChecked: number,
  expected: ReadonlyMap<number, readonly { readonly source: string }[]>, personIndex: PersonIndexSummary,
): VerifyReport {
  if (head !== size) {
    problems.push({ code: size < head ? 'RECORD_MISSING' : 'RECORD_UNEXPECTED', message: `the log's committed size is ${head} but it holds ${size} consecutive records` });
  }
  for (const [treeSize, sources] of expected) {
    if (treeSize > size) {
      for (const s of sources) problems.push({ code: 'CHECKPOINT_BEYOND_LOG', message: `${s.source} covers ${treeSize} records but the log holds ${size}: records were removed` });
    }
  }
  return {
    ok: problems.length === 0,
    treeSize: size,
    rootHash: rootFromFrontier(frontier).toString('hex'),
    recordsChecked: size,
    checkpointsChecked,
    personIndex,
    problems: problems.slice(0, maxProblems),
  };
}

/** The interior subtrees (level ≥ 1) that complete while leaves [first, last) are appended, as index ranges per level. */
export function completedRanges(first: number, last: number): NodeRange[] {
  const ranges: NodeRange[] = [];
  for (let level = 1, width = 2; width <= last; level++, width *= 2) {
    // Subtree i of this level completes with leaf (i+1)·width − 1.
    const from = Math.ceil((first + 1) / width) - 1;
    const to = Math.floor(last / width) - 1;
    if (to >= from) ranges.push({ level, from, to });
  }
  return ranges;
}

/** How many interior subtrees a tree of `size` leaves has stored. */
export function interiorNodeCount(size: number): number {
  let count = 0;
  for (let width = 2; width <= size; width *= 2) count += Math.floor(size / width);
  return count;
}

function trackerEntry(row: AccessRecordsTable, proof: readonly Buffer[]): TrackerEntry {
  const record = parseLeaf(row.leaf);
  if (record === undefined) {
    throw new DomainError('unavailable', 'ACCESS_LOG_DAMAGED', `Access record ${row.idx} is damaged`, 'Run `sachsong audit verify` and restore the store from a backup');
  }
  return { index: row.idx, record, leaf: row.leaf, leafHash: row.leaf_hash.toString('hex'), proof: proof.map((h) => h.toString('hex')) };
}
