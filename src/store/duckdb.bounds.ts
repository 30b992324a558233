/**
 * The one place where the project's bulk work opens DuckDB (reconciliation, its evaluation, the
 * registry snapshot, the Parquet export), so that every instance has the same bounds:
 *
 * - `memory_limit`: DuckDB's default is 80% of the machine's memory, and a 300 MB junk upload took
 *   the server from 0.27 to 3.2 GB. The default here is a quarter of physical memory, at least
 *   512 MiB and at most 2 GiB: the API, the SQLite page cache and the access log's writer keep the
 *   rest. Joins, aggregates and sorts past the limit spill to disk instead of growing. The limit
 *   bounds DuckDB's buffer manager, not every allocation: on a 300 MB junk tax file (4.2 M rows,
 *   one thread, 23 GB machine) the process peaked at 2.4 GB RSS under a 5.9 GB limit, 2.3 GB under
 *   2 GiB, and 1.3 to 2.1 GB under 1 GiB (two runs), in 30 to 70 s on a shared machine.
 * - `threads`: every core but one (at least one), so that the request thread keeps a core while a
 *   job runs (README: on two cores the server's own helpers already compete).
 * - `temp_directory`: where spilling goes. DuckDB's default for an in-memory database is `.tmp`
 *   in the process's working folder, and the system temp folder is often RAM (tmpfs), which would
 *   defeat the limit: the caller names a folder on the data disk, beside the job's outputs.
 * - `max_temp_directory_size`: spilling stops with an error before the disk is full (DuckDB's
 *   default is 90% of the free space).
 *
 * Not configurable through the environment yet: a constant with a documented default until an
 * operator needs another (then it belongs in src/config/config.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const MiB = 1024 * 1024;

/** The bounds an instance is opened with. */
export interface DuckDbLimits {
  readonly memoryLimitBytes: number;
  readonly threads: number;
  /** Largest total size of spilled data, bytes. */
  readonly maxTempBytes: number;
}

/** The defaults described above, for this machine. */
export function defaultDuckDbLimits(): DuckDbLimits {
  const quarter = Math.floor(totalmem() / 4);
  return {
    memoryLimitBytes: Math.min(Math.max(quarter, 512 * MiB), 2 * 1024 * MiB),
    threads: Math.max(1, availableParallelism() - 1),
    maxTempBytes: 100 * 1024 * 1024 * MiB,
  };
}

/** DuckDB's configuration options for an instance with these limits, spilling under `tempDirectory`. */
export function duckDbOptions(tempDirectory: string, limits: DuckDbLimits = defaultDuckDbLimits()): Record<string, string> {
  return {
    memory_limit: `${Math.floor(limits.memoryLimitBytes / MiB)}MiB`,
    threads: String(limits.threads),
    temp_directory: tempDirectory,
    max_temp_directory_size: `${Math.floor(limits.maxTempBytes / MiB)}MiB`,
  };
}

/** An open instance and the way to close it, which also removes its spill folder. */
export interface BoundedDuckDb {
  readonly instance: DuckDBInstance;
  close(): void;
}

/**
 * Opens an in-memory DuckDB instance with the project's limits, spilling into a folder of its own
 * under `spillRoot` (on the data disk, beside the work's outputs), removed again on close.
 *
 * @example
 * const duck = await openDuckDb(path.join(outDir, '.duckdb-spill'), { preserve_insertion_order: 'true' });
 * try { const connection = await duck.instance.connect(); … } finally { duck.close(); }
 */
export async function openDuckDb(spillRoot: string, extra: Readonly<Record<string, string>> = {}, limits?: DuckDbLimits): Promise<BoundedDuckDb> {
  // A folder per instance: two jobs, or two processes, never remove each other's spill files.
  const spill = path.join(spillRoot, `${process.pid}-${randomUUID()}`);
  mkdirSync(spill, { recursive: true });
  try {
    const instance = await DuckDBInstance.create(':memory:', { ...extra, ...duckDbOptions(spill, limits) });
    return {
      instance,
      close() {
        instance.closeSync();
        rmSync(spill, { recursive: true, force: true });
        try {
          rmdirSync(spillRoot); // only when empty: another instance may be spilling beside this one
        } catch {
          // not empty, or already gone
        }
      },
    };
  } catch (error) {
    rmSync(spill, { recursive: true, force: true });
    throw error;
  }
}
