import type { ReconcileJobsTable } from './reconcile-job.repository.js';

/**
 * The matching module's tables; `DB` in store/database.types.ts extends this interface.
 */
export interface MatchingTables {
  reconcile_jobs: ReconcileJobsTable;
}
