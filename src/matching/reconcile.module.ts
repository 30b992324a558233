import path from 'node:path';
import type { Database } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { ReconcileJobService } from './reconcile-job.service.js';
import type { DuckDbLimits } from '../store/duckdb.bounds.js';
import { duckDbReconcileEngine } from './reconcile.engine.js';
import { ReconcileService } from './reconcile.service.js';
import { readSnapshotManifest, writeSnapshot } from './registry-snapshot.engine.js';
import { registryFingerprint, snapshotRowsAfter } from '../registry/registry-snapshot.read-model.js';
import { ensureSnapshot, keysetPages, type SnapshotReady } from './registry-snapshot.service.js';
import type { BulkJobRecorder } from '../audit/bulk-job.recorder.js';

/** Where reconciliation keeps its files under a working folder. */
export function reconcileFolders(dir: string): { readonly snapshot: string; readonly inbox: string; readonly jobs: string } {
  return { snapshot: path.join(dir, 'snapshot'), inbox: path.join(dir, 'inbox'), jobs: path.join(dir, 'jobs') };
}

/**
 * The registry snapshot for a store: reused while the registry is unchanged, rebuilt otherwise.
 *
 * @example
 * const { dir } = await registrySnapshot(database, '/data/reconcile/snapshot');
 */
export function registrySnapshot(database: Database, dir: string): Promise<SnapshotReady> {
  return ensureSnapshot(dir, {
    fingerprint: () => registryFingerprint(database.db),
    pages: () => keysetPages((after, limit) => snapshotRowsAfter(database.db, after, limit)),
    readManifest: readSnapshotManifest,
    write: writeSnapshot,
  });
}

/** Wires reconciliation for a store: the service (DuckDB engine) and the job runner. */
export function createReconcile(options: {
  readonly database: Database;
  readonly clock: Clock;
  readonly dir: string;
  readonly onError?: (error: unknown) => void;
  /** Largest upload accepted, bytes; default defaultMaxUploadBytes (16 GiB). */
  readonly maxUploadBytes?: number;
  /** DuckDB bounds other than the defaults (store/duckdb.bounds.ts). */
  readonly duckDb?: Partial<DuckDbLimits>;
  /** Records each finished job once in the access log (audit's BulkJobRecorder). */
  readonly bulkJobs?: BulkJobRecorder;
}): {
  readonly service: ReconcileService;
  readonly jobs: ReconcileJobService;
} {
  const folders = reconcileFolders(options.dir);
  let building: Promise<SnapshotReady> | undefined;
  // One snapshot build at a time in this process.
  const snapshot = (): Promise<SnapshotReady> => {
    building ??= registrySnapshot(options.database, folders.snapshot).finally(() => { building = undefined; });
    return building;
  };
  const service = new ReconcileService({ engine: duckDbReconcileEngine, clock: options.clock, snapshot, ...(options.duckDb ? { duckDb: options.duckDb } : {}) });
  const jobs = new ReconcileJobService({
    db: options.database.db,
    clock: options.clock,
    reconcile: service,
    jobsDir: folders.jobs,
    inboxDir: folders.inbox,
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
    ...(options.bulkJobs === undefined ? {} : { bulkJobs: options.bulkJobs }),
  });
  return { service, jobs };
}

/** The working folder beside the SQLite file, or under the system's temp folder for PostgreSQL and in-memory stores. */
export function defaultReconcileDir(database: Database, tmp: string): string {
  if (database.dialect === 'sqlite' && database.location !== ':memory:') return path.join(path.dirname(database.location), 'reconcile');
  return path.join(tmp, 'sachsong-reconcile');
}
