/** The store's own table for work that runs on one node at a time (migration 0070). */
export interface JobLeaseTables {
  job_leases: JobLeasesTable;
}

/** A named job's lease: the node holding it, and until when (ISO instants). */
export interface JobLeasesTable {
  name: string;
  /** The node: host, process id and a random part, as `nodeIdentity` gives it. */
  holder: string;
  acquired_at: string;
  expires_at: string;
}
