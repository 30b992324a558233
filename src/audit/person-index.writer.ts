import { sql, type Kysely, type Transaction } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { DB } from '../store/database.types.js';

/**
 * The tracker's person index, written behind the appends as a log-structured merge index. An
 * append writes its records in index order (the end of one B-tree); a B-tree keyed by person
 * takes each new record on a random page, and its cost a record grows with it (about one page
 * written a record at 10 million records). Here the unindexed records are taken a run at a time,
 * sorted by person and written under a new run number, at the end of the entries' B-tree; and
 * `fanIn` runs of one tier are merged, a slice a transaction, into one run of the next tier. Each
 * entry is written about once a tier (log₈ of the log's size in runs): sequential pages, not
 * random ones. A lookup seeks once per run (at most fanIn − 1 a tier, plus a merge's).
 *
 * Exactly once: a run's entries go in with the move of access_log_head.indexed_size in one
 * transaction, and a merge slice moves entries from its sources to its run in one transaction, so
 * at every commit each record below indexed_size has exactly one entry. Every step reads the
 * state it needs inside its transaction: two indexers on one store share the work.
 */
export interface PersonIndexOptions {
  /** Unindexed records that make a run (one transaction). Default 2,048. */
  readonly runSize?: number;
  /** Entries a merge transaction moves at most. Default 1,024. */
  readonly sliceSize?: number;
  /** Runs of one tier merged together. Default 8. */
  readonly fanIn?: number;
}

/** One step at a time: true when it did something (call again), false when nothing is due. */
export interface PersonIndexer {
  step(): boolean | Promise<boolean>;
}

const defaults = { runSize: 2_048, sliceSize: 1_024, fanIn: 8 } as const;

type Entry = readonly [personId: string, idx: number];

function compareEntries(a: Entry, b: Entry): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
}

/**
 * The indexer over a SQLite connection (the main thread's, or the writer thread's). A run is one
 * BEGIN IMMEDIATE transaction; a merge goes a slice a transaction. Rows move by INSERT … SELECT,
 * so SQLite sorts and copies them without a round trip to JavaScript a row.
 *
 * @example
 * const indexer = sqlitePersonIndexer(sqlite);
 * while (indexer.step()) { } // every due run is indexed and every due merge done
 */
export function sqlitePersonIndexer(sqlite: SQLite.Database, options: PersonIndexOptions = {}): PersonIndexer {
  const runSize = options.runSize ?? defaults.runSize;
  const sliceSize = options.sliceSize ?? defaults.sliceSize;
  const fanIn = Math.max(2, options.fanIn ?? defaults.fanIn);
  const perSource = Math.max(1, Math.ceil(sliceSize / fanIn));
  const head = sqlite.prepare('SELECT tree_size, indexed_size FROM access_log_head WHERE id = 1').raw();
  const advance = sqlite.prepare('UPDATE access_log_head SET indexed_size = ? WHERE id = 1 AND indexed_size = ?');
  const nextRun = sqlite.prepare('SELECT coalesce(max(run), 0) + 1 FROM access_person_runs').pluck();
  const insertRun = sqlite.prepare('INSERT INTO access_person_runs (run, tier, state, row_count) VALUES (?, ?, ?, ?)');
  const ingest = sqlite.prepare('INSERT INTO access_person_entries (run, person_id, idx) SELECT ?, person_id, idx FROM access_records WHERE idx >= ? AND idx < ? ORDER BY person_id, idx');
  const merging = sqlite.prepare("SELECT run, merged_person_id, merged_idx FROM access_person_runs WHERE state = 'merging' ORDER BY run LIMIT 1").raw();
  const dueTier = sqlite.prepare("SELECT tier FROM access_person_runs WHERE state = 'sealed' AND merging_into IS NULL GROUP BY tier HAVING count(*) >= ? ORDER BY tier LIMIT 1").pluck();
  const claimSources = sqlite.prepare(`UPDATE access_person_runs SET merging_into = ? WHERE run IN (
    SELECT run FROM access_person_runs WHERE state = 'sealed' AND merging_into IS NULL AND tier = ? ORDER BY run LIMIT ?)`);
  const sources = sqlite.prepare('SELECT run FROM access_person_runs WHERE merging_into = ? ORDER BY run').pluck();
  // The perSource-th entry of a source after the slice's start: the slice may end there.
  const sourceLimit = sqlite.prepare('SELECT person_id, idx FROM access_person_entries WHERE run = ? AND (person_id, idx) > (?, ?) ORDER BY person_id, idx LIMIT 1 OFFSET ?').raw();
  const inSources = 'run IN (SELECT run FROM access_person_runs WHERE merging_into = ?)';
  const moveUpTo = sqlite.prepare(`INSERT INTO access_person_entries (run, person_id, idx)
    SELECT ?, person_id, idx FROM access_person_entries WHERE ${inSources} AND (person_id, idx) <= (?, ?) ORDER BY person_id, idx`);
  const dropUpTo = sqlite.prepare(`DELETE FROM access_person_entries WHERE ${inSources} AND (person_id, idx) <= (?, ?)`);
  const moveRest = sqlite.prepare(`INSERT INTO access_person_entries (run, person_id, idx)
    SELECT ?, person_id, idx FROM access_person_entries WHERE ${inSources} ORDER BY person_id, idx`);
  const dropRest = sqlite.prepare(`DELETE FROM access_person_entries WHERE ${inSources}`);
  const moved = sqlite.prepare('UPDATE access_person_runs SET row_count = row_count + ?, merged_person_id = ?, merged_idx = ? WHERE run = ?');
  const seal = sqlite.prepare("UPDATE access_person_runs SET row_count = row_count + ?, state = 'sealed', merged_person_id = NULL, merged_idx = NULL WHERE run = ?");
  const dropSources = sqlite.prepare('DELETE FROM access_person_runs WHERE merging_into = ?');

  /** The next whole run of records, or false when under a run is unindexed. */
  const writeRun = sqlite.transaction((): boolean => {
    const [treeSize, indexed] = head.get() as [number, number];
    if (treeSize - indexed < runSize) return false;
    const run = nextRun.get() as number;
    insertRun.run(run, 0, 'sealed', runSize);
    ingest.run(run, indexed, indexed + runSize);
    advance.run(indexed + runSize, indexed);
    return true;
  });

  /** One slice of the merge in progress, or the start of one: false when no merge is due. */
  const mergeSlice = sqlite.transaction((): boolean => {
    let current = merging.get() as [number, string | null, number | null] | undefined;
    if (current === undefined) {
      const tier = dueTier.get(fanIn) as number | undefined;
      if (tier === undefined) return false;
      const run = nextRun.get() as number;
      insertRun.run(run, tier + 1, 'merging', 0);
      claimSources.run(run, tier, fanIn);
      current = [run, null, null];
    }
    const [target, afterPerson, afterIdx] = current;
    // Every source's entries up to the smallest of their limits are moved: at most perSource of each.
    let upTo: Entry | undefined;
    for (const source of sources.all(target) as number[]) {
      const limit = sourceLimit.get(source, afterPerson ?? '', afterIdx ?? -1, perSource - 1) as Entry | undefined;
      if (limit !== undefined && (upTo === undefined || compareEntries(limit, upTo) < 0)) upTo = limit;
    }
    if (upTo === undefined) {
      const { changes } = moveRest.run(target, target);
      dropRest.run(target);
      dropSources.run(target);
      seal.run(changes, target);
    } else {
      const { changes } = moveUpTo.run(target, target, upTo[0], upTo[1]);
      dropUpTo.run(target, upTo[0], upTo[1]);
      moved.run(changes, upTo[0], upTo[1], target);
    }
    return true;
  });

  return {
    step: () => writeRun.immediate() || mergeSlice.immediate(),
  };
}

/** Serialises PostgreSQL indexers: a transaction-scoped advisory lock (a fixed key of this project's). */
const indexerLockKey = 0x5ac5_0a11;

/**
 * The indexer over PostgreSQL: a run is one INSERT … SELECT, a merge one transaction (the server
 * sorts and writes them; its WAL logs rows, not whole pages, so no slicing is needed). Indexers
 * in several processes take turns on an advisory lock, a step each; appends never wait for it.
 */
export function postgresPersonIndexer(db: Kysely<DB>, options: PersonIndexOptions = {}): PersonIndexer {
  const runSize = options.runSize ?? defaults.runSize;
  const fanIn = Math.max(2, options.fanIn ?? defaults.fanIn);
  const nextRun = async (trx: Transaction<DB>): Promise<number> => {
    const row = await trx.selectFrom('access_person_runs').select((eb) => eb.fn.max('run').as('run')).executeTakeFirst();
    return (row?.run ?? 0) + 1;
  };
  const ingest = async (trx: Transaction<DB>): Promise<boolean> => {
    const head = await trx.selectFrom('access_log_head').select(['tree_size', 'indexed_size']).where('id', '=', 1).executeTakeFirst();
    if (head === undefined || head.tree_size - head.indexed_size < runSize) return false;
    const from = head.indexed_size;
    const to = from + runSize;
    const run = await nextRun(trx);
    await trx.insertInto('access_person_runs').values({ run, tier: 0, state: 'sealed', row_count: runSize, merging_into: null, merged_person_id: null, merged_idx: null }).execute();
    await sql`insert into access_person_entries (run, person_id, idx)
      select ${run}, person_id, idx from access_records where idx >= ${from} and idx < ${to} order by person_id, idx`.execute(trx);
    // Last, so that the head row (which appends update) is locked only for the commit.
    const advanced = await trx.updateTable('access_log_head').set({ indexed_size: to }).where('id', '=', 1).where('indexed_size', '=', from).executeTakeFirst();
    if (advanced.numUpdatedRows !== 1n) throw new Error('the person index moved under its advisory lock');
    return true;
  };
  const merge = async (trx: Transaction<DB>): Promise<boolean> => {
    const due = await trx
      .selectFrom('access_person_runs')
      .select('tier')
      .where('state', '=', 'sealed')
      .groupBy('tier')
      .having((eb) => eb.fn.countAll(), '>=', fanIn)
      .orderBy('tier')
      .limit(1)
      .executeTakeFirst();
    if (due === undefined) return false;
    const runs = (await trx.selectFrom('access_person_runs').select('run').where('state', '=', 'sealed').where('tier', '=', due.tier).orderBy('run').limit(fanIn).execute()).map((r) => r.run);
    const run = await nextRun(trx);
    await sql`insert into access_person_entries (run, person_id, idx)
      select ${run}, person_id, idx from access_person_entries where run = any(${runs}::bigint[]) order by person_id, idx`.execute(trx);
    const { count } = await trx.deleteFrom('access_person_entries').where('run', 'in', runs).executeTakeFirst().then((r) => ({ count: Number(r.numDeletedRows) }));
    await trx.deleteFrom('access_person_runs').where('run', 'in', runs).execute();
    await trx.insertInto('access_person_runs').values({ run, tier: due.tier + 1, state: 'sealed', row_count: count, merging_into: null, merged_person_id: null, merged_idx: null }).execute();
    return true;
  };
  return {
    step: () =>
      db.transaction().execute(async (trx) => {
        // Another indexer's step goes first; this one then sees what is still due.
        await sql`select pg_advisory_xact_lock(${indexerLockKey})`.execute(trx);
        return (await ingest(trx)) || merge(trx);
      }),
  };
}

/** Runs an indexer's slices in the background, one per event-loop turn. */
export interface IndexerLoop {
  /** There may be new work (called after each committed append). */
  poke(): void;
  /** Resolves when no slice is due any more (tests), or on the first error. */
  idle(): Promise<void>;
  /** No more slices after the current one. */
  stop(): Promise<void>;
}

/**
 * One slice a turn, so that appends arriving meanwhile go first. `ready` says whether a slice may
 * run now (false while a Kysely transaction is open on a shared SQLite connection: a slice would
 * join it). A failed slice is reported to `onError` and tried again at the next poke: the index
 * is derived data, and until it catches up the tracker scans the unindexed records.
 */
export function indexerLoop(indexer: PersonIndexer, ready: () => boolean = () => true, onError: (error: unknown) => void = () => undefined): IndexerLoop {
  let running: Promise<void> | undefined;
  let pokedAgain = false;
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const loop = async (): Promise<void> => {
    try {
      while (!isStopped()) {
        await turn();
        if (isStopped() || !ready()) continue;
        if (await indexer.step()) continue;
        // Nothing due: done, unless an append committed meanwhile.
        if (!pokedAgain) return;
        pokedAgain = false;
      }
    } catch (error) {
      onError(error);
    }
  };
  return {
    poke: () => {
      if (stopped) return;
      if (running !== undefined) {
        pokedAgain = true;
        return;
      }
      running = loop().finally(() => { running = undefined; });
    },
    idle: async () => {
      while (running !== undefined) await running;
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}
