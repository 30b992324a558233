/**
 * The direction centre's tables; `DB` in store/database.types.ts extends this interface.
 *
 * Plans and tasks are a few thousand rows; the indicator series is one row per indicator, scope
 * and day (a year of daily values for 3,321 communes is about 1.2 million rows per indicator),
 * keyed so that a dashboard reads one scope's range with one index seek.
 */
export interface DirectionTables {
  direction_plans: DirectionPlansTable;
  direction_tasks: DirectionTasksTable;
  direction_milestones: DirectionMilestonesTable;
  direction_task_changes: DirectionTaskChangesTable;
  direction_comments: DirectionCommentsTable;
  direction_indicator_values: DirectionIndicatorValuesTable;
  direction_indicator_runs: DirectionIndicatorRunsTable;
  direction_statistics_releases: DirectionStatisticsReleasesTable;
}

export interface DirectionPlansTable {
  plan_id: string;
  title: string;
  /** The decision or programme it implements (e.g. a decision number). */
  reference: string;
  starts_on: string;
  ends_on: string;
  created_by: string;
  created_at: string;
}

/** A task: one owner (agency and officer), a deadline, optionally an indicator with a target. */
export interface DirectionTasksTable {
  task_id: string;
  plan_id: string;
  /** The task's number in the plan ("1", "2.3"): how the meeting names it. */
  code: string;
  title: string;
  /** 'ministry' | 'locality'. */
  owner_kind: string;
  /** The agency code (ministry short code, or a 2025 province code). */
  owner_agency: string;
  owner_agency_name: string;
  owner_officer: string;
  starts_on: string;
  deadline: string;
  /** An indicator id of the catalog, or null. */
  indicator_id: string | null;
  /** The scope of the indicator value bound ('' nation, a province code). */
  indicator_scope: string;
  indicator_baseline: number | null;
  indicator_target: number | null;
  /** Set when an officer marks the task done. */
  completed_on: string | null;
  /** Bumped on every change (optimistic concurrency of edits). */
  version: number;
  updated_at: string;
}

export interface DirectionMilestonesTable {
  milestone_id: string;
  task_id: string;
  title: string;
  due_on: string;
  completed_on: string | null;
}

/** Append-only: every change of a task, its milestones or comments, with who made it. */
export interface DirectionTaskChangesTable {
  change_id: string;
  task_id: string;
  /** 'created' | 'updated' | 'milestone_added' | 'milestone_completed' | 'completed' | 'reopened' | 'commented' | 'imported'. */
  action: string;
  /** JSON: { field: [before, after] } or the item added. */
  detail: string;
  changed_by: string;
  changed_at: string;
}

export interface DirectionCommentsTable {
  comment_id: string;
  task_id: string;
  author: string;
  body: string;
  created_at: string;
}

/** One value of an indicator for a scope on a day (Asia/Ho_Chi_Minh calendar day). */
export interface DirectionIndicatorValuesTable {
  indicator_id: string;
  /** 'nation' | 'province' | 'commune' | 'agency' | 'service'. */
  scope: string;
  /** '' for the nation; a province or commune code; an agency or service id. */
  scope_code: string;
  day: string;
  value: number;
  /** The count the value is a share of, where it is a share; null otherwise. */
  denominator: number | null;
  computed_at: string;
}

export interface DirectionIndicatorRunsTable {
  run_id: string;
  /** 'schedule' | 'demand'. */
  trigger: string;
  day: string;
  started_at: string;
  finished_at: string;
  indicators: number;
  values_written: number;
  /** JSON: { indicatorId: error code } for those that failed. */
  failures: string;
}

/** A published table of locality statistics, with the privacy budget it spent. */
export interface DirectionStatisticsReleasesTable {
  release_id: string;
  /** 'age_sex' | 'ethnicity' | 'residence' | … (locality-statistics.ts). */
  table_name: string;
  /** The province whose communes are the rows, or '' for the provinces of the nation. */
  scope_code: string;
  /** The calendar month the release belongs to (YYYY-MM): the budget's period. */
  period: string;
  epsilon: number;
  /** JSON: the released table (noisy counts). */
  body: string;
  released_by: string;
  released_at: string;
}
