import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import { accessLogRepository, type PersonEntryKey } from './access-log.repository.js';
import { parseLeaf } from './access-record.js';

/**
 * Verification of the tracker's person index (person-index.writer.ts) against the records.
 *
 * The index is derived data, but a citizen's tracker trusts it: an entry deleted hides a record
 * from its citizen, an entry under another person shows it to someone else. The check proves that
 * every record below `access_log_head.indexed_size` (the mark) has exactly one entry, under the
 * record's own person and under a run the tracker reads, and that no entry lies at or past the mark.
 *
 * At 10 million records neither side is loaded whole, and the entries (keyed by run and person,
 * with no index by record) are never sorted. Both sides are summed into blocks of
 * {@link blockSize} consecutive record indexes: per block, the count and two 32-bit lanes of a
 * sum of keyed hashes of (person, index), under a random key drawn for this check (so a forger
 * cannot make two different sets add up alike). The records side is fed by the tree's own pass
 * over the records, in index order; the entries side is one pass over the entries in their
 * B-tree's order. Only blocks whose sums differ are compared entry by entry (a second pass that
 * keeps only their entries, and a range read of their records). A block wrongly named costs time,
 * never a false report: the entry-by-entry comparison decides.
 */

/** Consecutive record indexes summed together. */
export const blockSize = 4_096;
/** Blocks compared entry by entry at most; further differing blocks are counted, not localised. */
const maxLocalisedBlocks = 64;
const entriesPage = 20_000;

/** What is wrong with the person index, by kind. Record indexes only: never a person. */
export type PersonIndexProblemCode =
  | 'INDEX_ENTRY_MISSING' | 'INDEX_ENTRY_DUPLICATE' | 'INDEX_ENTRY_WRONG_PERSON' | 'INDEX_ENTRY_ORPHAN'
  | 'INDEX_ENTRY_BEYOND_MARK' | 'INDEX_RUN_MISSING' | 'INDEX_RUN_COUNT' | 'INDEX_MARK_INVALID' | 'INDEX_NOT_LOCALISED';

/** One problem of the person index. */
export interface PersonIndexProblem {
  readonly code: PersonIndexProblemCode;
  readonly message: string;
  readonly index?: number;
}

/** Counts of what the check found; all zero (and `ok`) for an intact index. */
export interface PersonIndexSummary {
  readonly ok: boolean;
  /** The mark checked up to: records below it must each have one entry. */
  readonly indexedSize: number;
  readonly entriesRead: number;
  /** Records below the mark without an entry the tracker reads. */
  readonly missing: number;
  /** Records with more than one entry. */
  readonly duplicate: number;
  /** Entries under a person other than their record's. */
  readonly wrongPerson: number;
  /** Entries that point to no record. */
  readonly orphan: number;
  /** Entries at or past the mark. */
  readonly beyondMark: number;
  /** Entries under a run missing from access_person_runs (the tracker does not read them). */
  readonly underMissingRun: number;
  /** Blocks whose sums differ but that were not compared entry by entry (past the first 64). */
  readonly blocksNotLocalised: number;
}

/** A 32-bit keyed hash of (person, record index): one lane. Not cryptographic; its key is secret for the check's duration. */
function laneHash(key: number, personId: string, idx: number): number {
  let h = key ^ Math.imul(idx | 0, 0x9e3779b1) ^ Math.imul(Math.floor(idx / 4_294_967_296), 0x85ebca77);
  for (let i = 0; i < personId.length; i++) {
    h = Math.imul(h ^ personId.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  // murmur3's finaliser: every input bit reaches every output bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per-block count and two hash lanes of a set of (person, index) pairs below `limit`. */
class BlockSums {
  readonly counts: Uint32Array;
  readonly lane1: Uint32Array;
  readonly lane2: Uint32Array;

  constructor(readonly limit: number, private readonly keys: readonly [number, number]) {
    const blocks = Math.ceil(limit / blockSize);
    this.counts = new Uint32Array(blocks);
    this.lane1 = new Uint32Array(blocks);
    this.lane2 = new Uint32Array(blocks);
  }

  add(personId: string, idx: number): void {
    const block = Math.floor(idx / blockSize);
    this.counts[block] = (this.counts[block] ?? 0) + 1;
    this.lane1[block] = ((this.lane1[block] ?? 0) + laneHash(this.keys[0], personId, idx)) >>> 0;
    this.lane2[block] = ((this.lane2[block] ?? 0) + laneHash(this.keys[1], personId, idx)) >>> 0;
  }

  /** The blocks where the two sums differ, in index order. */
  differing(other: BlockSums): number[] {
    const found: number[] = [];
    for (let b = 0; b < this.counts.length; b++) {
      if (this.counts[b] !== other.counts[b] || this.lane1[b] !== other.lane1[b] || this.lane2[b] !== other.lane2[b]) found.push(b);
    }
    return found;
  }
}

/**
 * The records' side of the check, fed by the verification's pass over the records. Created with
 * the mark read before that pass: the mark only moves forward, and records never change, so the
 * entries' side, read later in one snapshot, is compared below this mark.
 */
export class PersonIndexTally {
  private readonly keys: readonly [number, number];
  readonly records: BlockSums;

  constructor(readonly mark: number) {
    const key = randomBytes(8);
    this.keys = [key.readUInt32LE(0), key.readUInt32LE(4)];
    this.records = new BlockSums(mark, this.keys);
  }

  /** A record of the log, in any order; those at or past the mark are not the index's yet. */
  addRecord(idx: number, personId: string): void {
    if (idx < this.mark) this.records.add(personId, idx);
  }

  /** An empty set of sums under the same keys, for the entries. */
  entrySums(): BlockSums {
    return new BlockSums(this.mark, this.keys);
  }
}

/**
 * Compares the person index with the tally of the records. Reads the mark, the runs and every
 * entry in one snapshot (a read transaction; repeatable read on PostgreSQL), so that a merge
 * moving entries between runs meanwhile is seen before or after, never half.
 */
export async function checkPersonIndex(
  db: Kysely<DB>, tally: PersonIndexTally, report: (problem: PersonIndexProblem) => void,
): Promise<PersonIndexSummary> {
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    let missing = 0;
    let duplicate = 0;
    let wrongPerson = 0;
    let orphan = 0;
    let beyondMark = 0;
    let underMissingRun = 0;
    let entriesRead = 0;
    let problems = 0;
    const problem = (p: PersonIndexProblem): void => {
      problems++;
      report(p);
    };

    const head = await accessLogRepository.head(trx);
    const mark = tally.mark;
    if (head.indexedSize > head.treeSize || head.indexedSize < mark) {
      problem({ code: 'INDEX_MARK_INVALID', message: `the person index's mark is ${head.indexedSize} (log size ${head.treeSize}; it was ${mark} when verification began): it may only grow, and never past the log` });
    }
    const runs = new Map((await accessLogRepository.personRuns(trx)).map((r) => [r.run, r]));
    const entries = tally.entrySums();
    const perRun = new Map<number, number>();
    const missingRuns = new Map<number, number>();
    const beyond: number[] = [];
    await forEachEntry(trx, (run, personId, idx) => {
      entriesRead++;
      perRun.set(run, (perRun.get(run) ?? 0) + 1);
      if (!runs.has(run)) {
        // The tracker reads only the runs listed: such an entry is as good as missing.
        missingRuns.set(run, (missingRuns.get(run) ?? 0) + 1);
        underMissingRun++;
        return;
      }
      if (idx >= head.indexedSize || idx < 0 || !Number.isSafeInteger(idx)) {
        beyondMark++;
        if (beyond.length < 20) beyond.push(idx);
        return;
      }
      // Entries between the mark the records were summed to and today's mark are newer than the check.
      if (idx < mark) entries.add(personId, idx);
    });
    for (const [run, count] of missingRuns) {
      problem({ code: 'INDEX_RUN_MISSING', message: `${count} entries lie under run ${run}, which the runs table does not list: the tracker does not read them` });
    }
    if (beyondMark > 0) {
      problem({ code: 'INDEX_ENTRY_BEYOND_MARK', index: beyond[0] ?? head.indexedSize, message: `${beyondMark} entries point at or past the mark ${head.indexedSize} (first: ${beyond.join(', ')})` });
    }
    for (const [run, row] of runs) {
      // A merge's sources keep their count until they are dropped; a merging run counts what it has taken.
      if (row.merging_into === null && (perRun.get(run) ?? 0) !== row.row_count) {
        problem({ code: 'INDEX_RUN_COUNT', message: `run ${run} holds ${perRun.get(run) ?? 0} entries but records ${row.row_count}` });
      }
    }

    const differing = tally.records.differing(entries);
    const localised = differing.slice(0, maxLocalisedBlocks);
    if (localised.length > 0) {
      // The entries of the differing blocks, by record index: a second pass in the same snapshot.
      const wanted = new Set(localised);
      const byIdx = new Map<number, string[]>();
      await forEachEntry(trx, (run, personId, idx) => {
        if (idx >= mark || !runs.has(run) || !wanted.has(Math.floor(idx / blockSize))) return;
        const list = byIdx.get(idx);
        if (list === undefined) byIdx.set(idx, [personId]);
        else list.push(personId);
      });
      for (const block of localised) {
        const from = block * blockSize;
        const to = Math.min(from + blockSize, mark);
        const persons = new Map<number, string>();
        for (const row of await accessLogRepository.recordPersons(trx, from, to)) {
          persons.set(row.idx, parseLeaf(row.leaf)?.personId ?? row.person_id);
        }
        for (let idx = from; idx < to; idx++) {
          const person = persons.get(idx);
          const found = byIdx.get(idx) ?? [];
          if (person === undefined) {
            if (found.length > 0) {
              orphan += found.length;
              problem({ code: 'INDEX_ENTRY_ORPHAN', index: idx, message: `${found.length} person-index entries point to record ${idx}, which the log does not hold` });
            }
            continue;
          }
          const right = found.filter((p) => p === person).length;
          const wrong = found.length - right;
          if (wrong > 0) {
            wrongPerson += wrong;
            problem({ code: 'INDEX_ENTRY_WRONG_PERSON', index: idx, message: `record ${idx} is indexed under ${wrong} other person(s): their tracker shows it, its own citizen's ${right === 0 ? 'does not' : 'does too'}` });
          }
          if (right === 0) {
            missing++;
            problem({ code: 'INDEX_ENTRY_MISSING', index: idx, message: `record ${idx} has no entry in the person index: its citizen's tracker does not show it` });
          } else if (right > 1) {
            duplicate += right - 1;
            problem({ code: 'INDEX_ENTRY_DUPLICATE', index: idx, message: `record ${idx} has ${right} entries in the person index` });
          }
        }
      }
    }
    const blocksNotLocalised = differing.length - localised.length;
    if (blocksNotLocalised > 0) {
      const first = (differing[localised.length] ?? 0) * blockSize;
      problem({ code: 'INDEX_NOT_LOCALISED', index: first, message: `${blocksNotLocalised} further blocks of ${blockSize} records (from record ${first}) differ from their index entries; the first ${maxLocalisedBlocks} are itemised` });
    }
    return {
      ok: problems === 0, indexedSize: mark, entriesRead, missing, duplicate, wrongPerson, orphan, beyondMark, underMissingRun, blocksNotLocalised,
    };
  });
}

/** Every entry of the person index, in its B-tree's order (run, person, index), a page a query. */
async function forEachEntry(db: Kysely<DB>, visit: (run: number, personId: string, idx: number) => void): Promise<void> {
  let after: PersonEntryKey | undefined;
  for (;;) {
    const rows = await accessLogRepository.personEntriesAfter(db, after, entriesPage);
    for (const row of rows) visit(row.run, row.person_id, row.idx);
    const last = rows.at(-1);
    if (last === undefined || rows.length < entriesPage) return;
    after = last;
  }
}
