import { sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { DB } from '../store/database.types.js';

/**
 * The tracker's person index, written behind the appends. An append writes its records in index
 * order (the end of one B-tree); indexing them by person at once would dirty one random page a
 * record. Here the unindexed records are taken a run at a time, sorted by person, and inserted in
 * slices: a run touches each index page about once, and a slice keeps the appends waiting behind
 * it short. access_log_head.indexed_size moves only with a run's last slice, so a run cut short
 * (a process killed mid-way) is done again from its start, its rows already in ignored.
 */
export interface PersonIndexOptions {
  /** Unindexed records that start a run. Default 16,384. */
  readonly runSize?: number;
  /** Index rows a transaction at most (a read step takes twice as many). Default 128: at 5,000 appends/s, slices of 512 held appends back 10-24 ms (p999 50-112 ms), slices of 128 gave p999 41-42 ms. */
  readonly sliceSize?: number;
}

/** One slice at a time: true when it wrote something (call again), false when nothing is due. */
export interface PersonIndexer {
  step(): boolean | Promise<boolean>;
}

const defaults = { runSize: 16_384, sliceSize: 128 } as const;
/** A run that catches up on a long backlog (an old log, a stopped indexer) takes at most this many runs' worth. */
const catchUpRuns = 8;

/**
 * The indexer over a SQLite connection (the main thread's, or the writer thread's). Each slice is
 * its own BEGIN IMMEDIATE transaction.
 *
 * @example
 * const indexer = sqlitePersonIndexer(sqlite);
 * while (indexer.step()) { } // everything due is indexed
 */
export function sqlitePersonIndexer(sqlite: SQLite.Database, options: PersonIndexOptions = {}): PersonIndexer {
  const runSize = options.runSize ?? defaults.runSize;
  const sliceSize = options.sliceSize ?? defaults.sliceSize;
  const head = sqlite.prepare('SELECT tree_size, indexed_size FROM access_log_head WHERE id = 1').raw();
  // Read by rowid range, a slice a step, and sorted here: one ORDER BY over a whole run held the writer for 50-80 ms.
  const unindexed = sqlite.prepare('SELECT person_id, idx FROM access_records WHERE idx >= ? AND idx < ?').raw();
  const insert = sqlite.prepare('INSERT OR IGNORE INTO access_person_index (person_id, idx) VALUES (?, ?)');
  const advance = sqlite.prepare('UPDATE access_log_head SET indexed_size = ? WHERE id = 1 AND indexed_size = ?');
  interface Run { readonly from: number; readonly to: number; readonly rows: (readonly [string, number])[]; read: number; written: number; sorted: boolean }
  let run: Run | undefined;
  const writeSlice = sqlite.transaction((rows: readonly (readonly [string, number])[], start: number, end: number, advanceTo: readonly [number, number] | undefined) => {
    for (let i = start; i < end; i++) {
      const row = rows[i] as readonly [string, number];
      insert.run(row[0], row[1]);
    }
    // Another process may have indexed the same run meanwhile: then its update stands, and ours changes nothing.
    if (advanceTo !== undefined) advance.run(advanceTo[0], advanceTo[1]);
  });
  const byPerson = (a: readonly [string, number], b: readonly [string, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);
  return {
    step: () => {
      if (run === undefined) {
        const [treeSize, indexed] = head.get() as [number, number];
        if (treeSize - indexed < runSize) return false;
        run = { from: indexed, to: indexed + Math.min(treeSize - indexed, runSize * catchUpRuns), rows: [], read: indexed, written: 0, sorted: false };
      }
      if (run.read < run.to) {
        const until = Math.min(run.read + sliceSize * 2, run.to);
        for (const row of unindexed.iterate(run.read, until) as IterableIterator<[string, number]>) run.rows.push(row);
        run.read = until;
        return true;
      }
      if (run.written === 0 && !run.sorted) {
        run.rows.sort(byPerson);
        run.sorted = true;
        return true;
      }
      const end = Math.min(run.written + sliceSize, run.rows.length);
      const last = end === run.rows.length;
      const current = run;
      // Until the slice commits, the run stays as it was: a failed slice is tried again.
      writeSlice.immediate(current.rows, current.written, end, last ? [current.to, current.from] : undefined);
      current.written = end;
      if (last) run = undefined;
      return true;
    },
  };
}

/**
 * The indexer over PostgreSQL: a run is one INSERT … SELECT in one transaction (the server sorts
 * and writes it; its WAL logs rows, not whole pages, so no slicing is needed).
 */
export function postgresPersonIndexer(db: Kysely<DB>, options: PersonIndexOptions = {}): PersonIndexer {
  const runSize = options.runSize ?? defaults.runSize;
  return {
    step: async () => {
      const head = await db.selectFrom('access_log_head').select(['tree_size', 'indexed_size']).where('id', '=', 1).executeTakeFirst();
      if (head === undefined || head.tree_size - head.indexed_size < runSize) return false;
      const from = head.indexed_size;
      const to = from + Math.min(head.tree_size - from, runSize * catchUpRuns);
      await db.transaction().execute(async (trx) => {
        await sql`insert into access_person_index (person_id, idx)
          select person_id, idx from access_records where idx >= ${from} and idx < ${to} order by person_id, idx
          on conflict do nothing`.execute(trx);
        await trx.updateTable('access_log_head').set({ indexed_size: to }).where('id', '=', 1).where('indexed_size', '=', from).execute();
      });
      return true;
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
