import type { ReconcileJobsTable } from './reconcile-job.repository.js';
import type { TaxCodeLinkRunsTable, TaxCodeLinksTable } from './tax-code-link.repository.js';

/**
 * The matching module's tables; `DB` in store/database.types.ts extends this interface.
 */
export interface MatchingTables {
  reconcile_jobs: ReconcileJobsTable;
  tax_code_links: TaxCodeLinksTable;
  tax_code_link_runs: TaxCodeLinkRunsTable;
}
