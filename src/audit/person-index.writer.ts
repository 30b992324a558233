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
  /** Unindexed records that make a run (one transaction). Default 4,096. */
  readonly runSize?: number;
  /** Entries a merge transaction moves at most. Default 2,048. */
  readonly sliceSize?: number;
  /** Runs of one tier merged together. Default 16. */
  readonly fanIn?: number;
}

/** One step at a time: true when it did something (call again), false when nothing is due. */
export interface PersonIndexer {
  step(): boolean | Promise<boolean>;
}

/**
 * Sixteen runs a merge rather than eight: a record is copied once a tier, log₁₆ instead of log₈ of
 * the log's size in runs (3.6 against 5.6 copies at 100 million records), for about twice the
 * runs a tracker lookup seeks. Indexing 1 and 3 million records with every due merge: 1.51 and
 * 2.15 µs of CPU a record against 2.38 and 3.10 µs for runs of 2,048 merged eight at a time
 * (bench/person-index-fan-in.bench.ts, 2026-12-06).
 */
export const personIndexDefaults = { runSize: 4_096, sliceSize: 2_048, fanIn: 16 } as const;
const defaults = personIndexDefaults;

type Entry = readonly [personId: string, idx: number];

/**
 * The tier of a run of `entries` entries built whole (a log moved to its own file, a benchmark's
 * fast build): the tier whose merged runs are about that size, so that merges count it right.
 */
export function runTier(entries: number, options: PersonIndexOptions = {}): number {
  const fanIn = Math.max(2, options.fanIn ?? defaults.fanIn);
  let tier = 0;
  for (let size = (options.runSize ?? defaults.runSize) * fanIn; size <= entries; size *= fanIn) tier++;
  return tier;
}

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
  // The lowest-tier merge under way (its run is one tier above its sources), and the lowest tier
  // with enough free runs and none merging: small merges go on between the slices of a large one.
  const merging = sqlite.prepare("SELECT run, tier - 1, merged_person_id, merged_idx FROM access_person_runs WHERE state = 'merging' ORDER BY tier LIMIT 1").raw();
  const dueTier = sqlite.prepare(`SELECT tier FROM access_person_runs WHERE state = 'sealed' AND merging_into IS NULL
    AND tier NOT IN (SELECT tier - 1 FROM access_person_runs WHERE state = 'merging') GROUP BY tier HAVING count(*) >= ? ORDER BY tier LIMIT 1`).pluck();
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

  /** The next whole run of records; false when under a run is unindexed. */
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
    let current = merging.get() as [number, number, string | null, number | null] | undefined;
    const tier = dueTier.get(fanIn) as number | undefined;
    if (tier !== undefined && (current === undefined || tier < current[1])) {
      const run = nextRun.get() as number;
      insertRun.run(run, tier + 1, 'merging', 0);
      claimSources.run(run, tier, fanIn);
      current = [run, tier, null, null];
    }
    if (current === undefined) return false;
    const [target, , afterPerson, afterIdx] = current;
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

  // Each step follows a commit of appends: a plain read first, so that the write lock is taken
  // only when there is work (the transaction reads the state again under it).
  const tryRun = (): boolean => {
    const [treeSize, indexed] = head.get() as [number, number];
    return treeSize - indexed >= runSize && writeRun.immediate();
  };
  const tryMerge = (): boolean => (merging.get() !== undefined || dueTier.get(fanIn) !== undefined) && mergeSlice.immediate();
  // Runs and merge slices take turns when both are due, so that merges keep up under a steady stream of runs.
  let mergeFirst = false;
  return {
    step: () => {
      mergeFirst = !mergeFirst;
      return mergeFirst ? tryMerge() || tryRun() : tryRun() || tryMerge();
    },
  };
}

/** PostgreSQL advisory lock keys of this project's: one for writing runs (and taking run numbers), one a tier for merges. */
const runLockKey = 0x5ac5_0a11;
const mergeLockKey = 0x5ac5_0a12;

/**
 * The indexer over PostgreSQL: a run is one INSERT … SELECT, a merge one transaction (the server
 * sorts and writes them; its WAL logs rows, not whole pages, so no slicing is needed). A merge is
 * claimed in a short transaction (its run number and sources), then copied under a lock of its
 * tier alone: runs go on being written meanwhile. Indexers in several processes take turns on
 * advisory locks; appends never wait for them.
 */
export function postgresPersonIndexer(db: Kysely<DB>, options: PersonIndexOptions = {}): PersonIndexer {
  const runSize = options.runSize ?? defaults.runSize;
  const fanIn = Math.max(2, options.fanIn ?? defaults.fanIn);
  const nextRun = async (trx: Transaction<DB>): Promise<number> => {
    const row = await trx.selectFrom('access_person_runs').select((eb) => eb.fn.max('run').as('run')).executeTakeFirst();
    return (row?.run ?? 0) + 1;
  };
  const insertRun = async (trx: Transaction<DB>, run: number, tier: number, state: 'merging' | 'sealed', rowCount: number): Promise<void> => {
    await trx.insertInto('access_person_runs').values({ run, tier, state, row_count: rowCount, merging_into: null, merged_person_id: null, merged_idx: null }).execute();
  };
  /** The next whole run of records; false when under a run is unindexed. */
  const writeRun = (): Promise<boolean> =>
    db.transaction().execute(async (trx) => {
      // Another indexer's run goes first; this one then sees what is still due.
      await sql`select pg_advisory_xact_lock(${runLockKey})`.execute(trx);
      const head = await trx.selectFrom('access_log_head').select(['tree_size', 'indexed_size']).where('id', '=', 1).executeTakeFirst();
      if (head !== undefined && head.tree_size - head.indexed_size >= runSize) {
        const from = head.indexed_size;
        const to = from + runSize;
        const run = await nextRun(trx);
        await insertRun(trx, run, 0, 'sealed', runSize);
        await sql`insert into access_person_entries (run, person_id, idx)
          select ${run}, person_id, idx from access_records where idx >= ${from} and idx < ${to} order by person_id, idx`.execute(trx);
        // Last, so that the head row (which appends update) is locked only for the commit.
        const advanced = await trx.updateTable('access_log_head').set({ indexed_size: to }).where('id', '=', 1).where('indexed_size', '=', from).executeTakeFirst();
        if (advanced.numUpdatedRows !== 1n) throw new Error('the person index moved under its advisory lock');
        return true;
      }
      return false;
    });
  /** Claims the lowest due merge (its run number and its sources); false when none is due. */
  const claimMerge = (): Promise<boolean> =>
    db.transaction().execute(async (trx) => {
      // Run numbers are taken under the runs' lock.
      await sql`select pg_advisory_xact_lock(${runLockKey})`.execute(trx);
      const due = await trx
        .selectFrom('access_person_runs')
        .select('tier')
        .where('state', '=', 'sealed')
        .where('merging_into', 'is', null)
        .where('tier', 'not in', (eb) => eb.selectFrom('access_person_runs').select((e) => sql<number>`${e.ref('tier')} - 1`.as('tier')).where('state', '=', 'merging'))
        .groupBy('tier')
        .having((eb) => eb.fn.countAll(), '>=', fanIn)
        .orderBy('tier')
        .limit(1)
        .executeTakeFirst();
      if (due === undefined) return false;
      const run = await nextRun(trx);
      await insertRun(trx, run, due.tier + 1, 'merging', 0);
      const sources = trx.selectFrom('access_person_runs').select('run').where('state', '=', 'sealed').where('merging_into', 'is', null).where('tier', '=', due.tier).orderBy('run').limit(fanIn);
      await trx.updateTable('access_person_runs').set({ merging_into: run }).where('run', 'in', sources).execute();
      return true;
    });
  /** Copies one claimed merge that no other indexer is copying; false when there is none. */
  const copyMerge = async (): Promise<boolean> => {
    const claimed = await db.selectFrom('access_person_runs').select(['run', 'tier']).where('state', '=', 'merging').orderBy('tier').execute();
    for (const { run, tier } of claimed) {
      const copied = await db.transaction().execute(async (trx) => {
        const locked = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${mergeLockKey}, ${tier}) as locked`.execute(trx);
        if (locked.rows[0]?.locked !== true) return false;
        // Another indexer may have copied it before this one took the lock.
        const still = await trx.selectFrom('access_person_runs').select('run').where('run', '=', run).where('state', '=', 'merging').executeTakeFirst();
        if (still === undefined) return false;
        const sources = trx.selectFrom('access_person_runs').select('run').where('merging_into', '=', run);
        await sql`insert into access_person_entries (run, person_id, idx)
          select ${run}, person_id, idx from access_person_entries where run in (${sources}) order by person_id, idx`.execute(trx);
        const deleted = await trx.deleteFrom('access_person_entries').where('run', 'in', sources).executeTakeFirst();
        await trx.deleteFrom('access_person_runs').where('merging_into', '=', run).execute();
        await trx.updateTable('access_person_runs').set({ state: 'sealed', row_count: Number(deleted.numDeletedRows) }).where('run', '=', run).execute();
        return true;
      });
      if (copied) return true;
    }
    return false;
  };
  return {
    // A run and a merge a step, so that merges keep up under a steady stream of runs.
    step: async () => {
      const wrote = await writeRun();
      return (await copyMerge()) || (await claimMerge()) || wrote;
    },
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
