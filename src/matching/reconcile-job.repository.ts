import type { Kysely, Selectable, Updateable } from 'kysely';
import type { DB } from '../store/database.types.js';

export type ReconcileJobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** One reconciliation job; `state` and `phase` say where it is, `attempts` how often it started. */
export interface ReconcileJobsTable {
  job_id: string;
  preset: string;
  /** The file's name only (paths can name people or cases). */
  source_name: string;
  source_path: string;
  /** JSON: canonical field → the agency's column name, laid over the preset's mapping. */
  mapping: string;
  out_dir: string;
  state: ReconcileJobState;
  phase: string;
  /** 0-1. */
  progress: number;
  attempts: number;
  rows: number | null;
  /** JSON of the ReconcileSummary once succeeded. */
  summary: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export type ReconcileJobRow = Selectable<ReconcileJobsTable>;

/** Reconciliation job rows. Every function takes the Kysely handle or a transaction first. */
export const reconcileJobRepository = {
  async insert(db: Kysely<DB>, row: ReconcileJobsTable): Promise<void> {
    await db.insertInto('reconcile_jobs').values(row).execute();
  },

  async find(db: Kysely<DB>, jobId: string): Promise<ReconcileJobRow | undefined> {
    return db.selectFrom('reconcile_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
  },

  async list(db: Kysely<DB>, limit: number): Promise<readonly ReconcileJobRow[]> {
    return db.selectFrom('reconcile_jobs').selectAll().orderBy('created_at', 'desc').orderBy('job_id').limit(limit).execute();
  },

  /** Jobs a runner must (re)start: queued ones, and running ones whose process died. */
  async unfinished(db: Kysely<DB>): Promise<readonly ReconcileJobRow[]> {
    return db.selectFrom('reconcile_jobs').selectAll().where('state', 'in', ['queued', 'running']).orderBy('created_at').execute();
  },

  async update(db: Kysely<DB>, jobId: string, changes: Updateable<ReconcileJobsTable>): Promise<void> {
    await db.updateTable('reconcile_jobs').set(changes).where('job_id', '=', jobId).execute();
  },
};
