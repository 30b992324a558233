import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import type { AccessLogCheckpointsTable, AccessPersonEntriesTable, AccessPersonRunsTable, AccessRecordsTable } from './audit.tables.js';
import type { NodeKey } from './merkle-tree.js';

/** `level:index`, the key of a node in the maps this repository returns. */
export function nodeKey(level: number, index: number): string {
  return `${level}:${index}`;
}

/** A contiguous run of node indexes on one level. */
export interface NodeRange {
  readonly level: number;
  readonly from: number;
  readonly to: number;
}

/** The key of a person-index entry, in its primary key's order. */
export type PersonEntryKey = Pick<AccessPersonEntriesTable, 'run' | 'person_id' | 'idx'>;

/** Reads of the access log's tables. Writes go through access-log.writer.ts (one transaction per batch). */
export const accessLogRepository = {
  /** The committed tree size. */
  async treeSize(db: Kysely<DB>): Promise<number> {
    const row = await db.selectFrom('access_log_head').select('tree_size').where('id', '=', 1).executeTakeFirst();
    return row?.tree_size ?? 0;
  },

  /**
   * The hashes of the given complete subtrees (level 0: the records' leaf hashes), in at most two
   * queries; absent ones are missing from the map.
   */
  async nodes(db: Kysely<DB>, keys: readonly NodeKey[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const leaves = keys.filter((k) => k.level === 0).map((k) => k.index);
    const interior = keys.filter((k) => k.level > 0);
    // Chunks keep the statements small; a proof at 100 million leaves reads about 50 nodes.
    for (let i = 0; i < leaves.length; i += 500) {
      const rows = await db.selectFrom('access_records').select(['idx', 'leaf_hash']).where('idx', 'in', leaves.slice(i, i + 500)).execute();
      for (const row of rows) found.set(nodeKey(0, row.idx), row.leaf_hash);
    }
    for (let i = 0; i < interior.length; i += 200) {
      const chunk = interior.slice(i, i + 200);
      const rows = await db
        .selectFrom('access_log_nodes')
        .select(['level', 'idx', 'hash'])
        .where((eb) => eb.or(chunk.map((k) => eb.and([eb('level', '=', k.level), eb('idx', '=', k.index)]))))
        .execute();
      for (const row of rows) found.set(nodeKey(row.level, row.idx), row.hash);
    }
    return found;
  },

  /** The nodes of several index ranges, in one query (verification reads a page of the tree this way). */
  async nodeRanges(db: Kysely<DB>, ranges: readonly NodeRange[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    if (ranges.length === 0) return found;
    const rows = await db
      .selectFrom('access_log_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb.or(ranges.map((r) => eb.and([eb('level', '=', r.level), eb('idx', '>=', r.from), eb('idx', '<=', r.to)]))))
      .execute();
    for (const row of rows) found.set(nodeKey(row.level, row.idx), row.hash);
    return found;
  },

  async nodeCount(db: Kysely<DB>): Promise<number> {
    const row = await db.selectFrom('access_log_nodes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return row.n;
  },

  /** Records with index ≥ `from`, in index order. */
  async recordsFrom(db: Kysely<DB>, from: number, limit: number): Promise<AccessRecordsTable[]> {
    return db.selectFrom('access_records').selectAll().where('idx', '>=', from).orderBy('idx').limit(limit).execute();
  },

  async record(db: Kysely<DB>, index: number): Promise<AccessRecordsTable | undefined> {
    return db.selectFrom('access_records').selectAll().where('idx', '=', index).executeTakeFirst();
  },

  /** How far the person index reaches: records below this index are in it. */
  async indexedSize(db: Kysely<DB>): Promise<number> {
    const row = await db.selectFrom('access_log_head').select('indexed_size').where('id', '=', 1).executeTakeFirst();
    return row?.indexed_size ?? 0;
  },

  /** The committed tree size and the person index's mark, read together. */
  async head(db: Kysely<DB>): Promise<{ readonly treeSize: number; readonly indexedSize: number }> {
    const row = await db.selectFrom('access_log_head').select(['tree_size', 'indexed_size']).where('id', '=', 1).executeTakeFirst();
    return { treeSize: row?.tree_size ?? 0, indexedSize: row?.indexed_size ?? 0 };
  },

  /** Every run of the person index. */
  async personRuns(db: Kysely<DB>): Promise<AccessPersonRunsTable[]> {
    return db.selectFrom('access_person_runs').selectAll().execute();
  },

  /** Person-index entries after `after` in primary-key order (run, person, index): a range of the B-tree, no sort. */
  async personEntriesAfter(db: Kysely<DB>, after: PersonEntryKey | undefined, limit: number): Promise<PersonEntryKey[]> {
    let query = db.selectFrom('access_person_entries').select(['run', 'person_id', 'idx']);
    if (after !== undefined) query = query.where((eb) => eb(eb.refTuple('run', 'person_id', 'idx'), '>', eb.tuple(after.run, after.person_id, after.idx)));
    return query.orderBy('run').orderBy('person_id').orderBy('idx').limit(limit).execute();
  },

  /** The records with index in [from, to): index, person column and leaf. */
  async recordPersons(db: Kysely<DB>, from: number, to: number): Promise<Pick<AccessRecordsTable, 'idx' | 'person_id' | 'leaf'>[]> {
    return db.selectFrom('access_records').select(['idx', 'person_id', 'leaf']).where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute();
  },

  /**
   * A person's records that their tracker may show on `visibleOn` (YYYY-MM-DD), newest first,
   * with index below `before` when given. The newest records, not yet in the person index, are
   * scanned (under a run's worth, see person-index.writer.ts); the rest come from the index.
   * The split is exact whatever the indexer does meanwhile: index rows at or past the size read
   * here are left to the scan.
   */
  async personRecords(db: Kysely<DB>, personId: string, visibleOn: string, limit: number, before?: number): Promise<AccessRecordsTable[]> {
    const indexed = await this.indexedSize(db);
    let unindexed = db
      .selectFrom('access_records')
      .selectAll()
      .where('idx', '>=', indexed)
      .where('person_id', '=', personId)
      .where((eb) => eb.or([eb('deferred_until', 'is', null), eb('deferred_until', '<=', visibleOn)]));
    if (before !== undefined) unindexed = unindexed.where('idx', '<', before);
    const newest = await unindexed.orderBy('idx', 'desc').limit(limit).execute();
    if (newest.length >= limit || (before !== undefined && before <= 0)) return newest;
    return [...newest, ...(await this.indexedPersonRecords(db, personId, visibleOn, limit - newest.length, before === undefined ? indexed : Math.min(indexed, before)))];
  },

  /**
   * A person's records below `before` through the person index, newest first. Each run gives its
   * newest `limit` entries below the line (a backward range of its B-tree: no sort of all the
   * person's entries), the newest `limit` of those are read, and the line moves down past them
   * while deferred ones leave the page short.
   */
  async indexedPersonRecords(db: Kysely<DB>, personId: string, visibleOn: string, limit: number, before: number): Promise<AccessRecordsTable[]> {
    const found: AccessRecordsTable[] = [];
    const runs = (await db.selectFrom('access_person_runs').select('run').execute()).map((r) => r.run);
    let line = before;
    while (found.length < limit && runs.length > 0) {
      const candidates: number[] = [];
      // A compound SELECT has at most 500 terms in SQLite.
      for (let i = 0; i < runs.length; i += 200) {
        const perRun = runs.slice(i, i + 200).map((run) =>
          db.selectFrom('access_person_entries').select('idx').where('run', '=', run).where('person_id', '=', personId).where('idx', '<', line).orderBy('idx', 'desc').limit(limit),
        );
        const [first, ...rest] = perRun;
        if (first === undefined) continue;
        const union = rest.reduce((q, next) => q.unionAll(db.selectFrom(next.as('e')).select('idx')), db.selectFrom(first.as('e')).select('idx'));
        for (const row of await union.execute()) candidates.push(row.idx);
      }
      if (candidates.length === 0) break;
      candidates.sort((a, b) => b - a);
      const page = candidates.slice(0, limit);
      const rows = await db
        .selectFrom('access_records')
        .selectAll()
        .where('idx', 'in', page)
        .where((eb) => eb.or([eb('deferred_until', 'is', null), eb('deferred_until', '<=', visibleOn)]))
        .orderBy('idx', 'desc')
        .execute();
      found.push(...rows.slice(0, limit - found.length));
      if (page.length < limit) break;
      line = page[page.length - 1] as number;
    }
    return found;
  },

  /** Stores a signed checkpoint; a second one of the same size is ignored. */
  async insertCheckpoint(db: Kysely<DB>, row: AccessLogCheckpointsTable): Promise<void> {
    await db.insertInto('access_log_checkpoints').values(row).onConflict((oc) => oc.column('tree_size').doNothing()).execute();
  },

  async latestCheckpoint(db: Kysely<DB>): Promise<AccessLogCheckpointsTable | undefined> {
    return db.selectFrom('access_log_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  },

  async checkpoints(db: Kysely<DB>): Promise<AccessLogCheckpointsTable[]> {
    return db.selectFrom('access_log_checkpoints').selectAll().orderBy('tree_size').execute();
  },
};
