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
  /** The node running the job (migration 0070), while it runs. */
  runner: string | null;
  /** Until when the runner holds it; renewed while it runs, so another node takes over only after its runner stopped. */
  lease_expires_at: string | null;
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

  /** Jobs a runner may (re)start: queued ones, and running ones (claim decides whether their runner has stopped). */
  async unfinished(db: Kysely<DB>): Promise<readonly ReconcileJobRow[]> {
    return db.selectFrom('reconcile_jobs').selectAll().where('state', 'in', ['queued', 'running']).orderBy('created_at').execute();
  },

  /**
   * Takes the job for `runner` until `until`: a queued job, or a running one whose runner's lease
   * has expired (its node stopped). One statement, so of two nodes asking at once one gets it.
   */
  async claim(db: Kysely<DB>, jobId: string, runner: string, now: string, until: string): Promise<boolean> {
    const result = await db.updateTable('reconcile_jobs')
      .set({ state: 'running', runner, lease_expires_at: until, updated_at: now })
      .where('job_id', '=', jobId)
      .where((eb) => eb.or([eb('state', '=', 'queued'), eb.and([eb('state', '=', 'running'), eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)])])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  /** Renews the runner's hold on a job it is running. */
  async renew(db: Kysely<DB>, jobId: string, runner: string, until: string): Promise<void> {
    await db.updateTable('reconcile_jobs').set({ lease_expires_at: until }).where('job_id', '=', jobId).where('runner', '=', runner).where('state', '=', 'running').execute();
  },

  async update(db: Kysely<DB>, jobId: string, changes: Updateable<ReconcileJobsTable>): Promise<void> {
    await db.updateTable('reconcile_jobs').set(changes).where('job_id', '=', jobId).execute();
  },
};
